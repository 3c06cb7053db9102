"""Reading the workbench's forms into what the case desk takes.

A reviewer records a fact by picking "fact = value" from one list (choices of yes/no and
enumerated facts) or by typing a number for a measured fact such as donor chimerism.
Anything else is refused with the field, what was given and what is accepted.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date
from typing import Any

from medpolicy.policy.model import FactDef
from medpolicy.service.errors import InvalidInputError


def choice_value(entry: str, dictionary: Mapping[str, FactDef]) -> tuple[str, Any]:
    """``"prior_hsct=allogeneic"`` -> ``("prior_hsct", "allogeneic")``; booleans as bools."""
    fact, _, raw = entry.partition("=")
    definition = dictionary.get(fact)
    if definition is None or definition.type == "number":
        raise InvalidInputError(
            "unknown_fact",
            f"fact {fact!r} is not a yes/no or choice fact of this case's policy.",
            field="fact",
            accepted=", ".join(f for f, d in dictionary.items() if d.type != "number"),
        )
    value: Any = {"true": True, "false": False}.get(raw) if definition.type == "boolean" else raw
    if not definition.accepts(value):
        raise InvalidInputError(
            "fact_value_not_accepted",
            f"{definition.label}: {raw!r} is not a value of this fact.",
            field=fact,
            accepted=definition.accepted(),
        )
    return fact, value


def number_value(fact: str, raw: str, dictionary: Mapping[str, FactDef]) -> tuple[str, float]:
    """A measured fact typed as a number, e.g. ``donor_chimerism_percent`` "92"."""
    definition = dictionary.get(fact)
    if definition is None or definition.type != "number":
        raise InvalidInputError(
            "unknown_fact",
            f"fact {fact!r} is not a measured (number) fact of this case's policy.",
            field="fact",
            accepted=", ".join(f for f, d in dictionary.items() if d.type == "number"),
        )
    try:
        value = float(raw.strip())
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or not definition.accepts(value):
        raise InvalidInputError(
            "fact_value_not_accepted",
            f"{definition.label}: {raw.strip()!r} is not accepted.",
            field=fact,
            accepted=definition.accepted(),
        )
    return fact, int(value) if value.is_integer() else value


def lines(text: str) -> list[str]:
    """The non-blank lines of a text area."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def day(text: str, field: str) -> date:
    """A date from an ``<input type=date>``."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInputError(
            "date_not_accepted",
            f"{field} {text.strip()!r} is not a date.",
            field=field,
            accepted="a date as YYYY-MM-DD",
        ) from None
