"""A request's stated facts, decoded and checked against a data dictionary in one C pass.

The data dictionary says what each fact accepts: true or false, one of an enum's values,
a number within a range. msgspec can check exactly that while it decodes, if it is given
a type per fact, so each dictionary becomes a struct type with one optional field per fact
(``Literal`` values for an enum, ``bool``, a ``float`` with its bounds). Decoding a
request's ``facts`` object into it refuses unknown facts and values outside the dictionary
in C, and turns JSON integers into floats as the field-by-field check does.

The struct only says yes or no. When it refuses, the request is read again field by
field (``json_request``), which words the refusal; a test holds the two to the same
verdict on every value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated, Any, Literal, Optional

import msgspec

from medpolicy.policy.model import FactDef

__all__ = ["StatedFactsReader", "fact_type"]


def fact_type(fact: FactDef) -> Any:
    """The type whose JSON values are exactly those ``fact.accepts`` (numbers as floats)."""
    if fact.type == "boolean":
        return bool
    if fact.type == "enum":
        return Literal[tuple(fact.value_labels)]
    return Annotated[float, msgspec.Meta(ge=fact.minimum, le=fact.maximum)]


class StatedFactsReader:
    """The stated facts of one data dictionary, from the JSON of a request's ``facts``.

    ``read`` gives the known facts (a null is no value) in the dictionary's order, the
    same mapping the field-by-field check gives; it raises ``msgspec.ValidationError``
    for anything that check would refuse.
    """

    def __init__(self, dictionary: Mapping[str, FactDef]) -> None:
        fields = [
            (f"f{i}", Optional[fact_type(fact)], msgspec.field(default=None, name=fact.id))  # noqa: UP045
            for i, fact in enumerate(dictionary.values())
        ]
        struct = msgspec.defstruct(
            "StatedFacts", fields, forbid_unknown_fields=True, omit_defaults=True
        )
        self._decode: Callable[[Any], Any] = msgspec.json.Decoder(Optional[struct]).decode  # noqa: UP045

    def read(self, raw: bytes | msgspec.Raw) -> dict[str, Any]:
        """The facts stated in ``raw`` (a JSON object, or null for none)."""
        facts = self._decode(raw)
        return {} if facts is None else msgspec.to_builtins(facts)
