"""The Python entry point: ``evaluate(request) -> Determination``."""

from __future__ import annotations

from functools import cache
from typing import Any

from medpolicy.adapters.json_request import parse_request
from medpolicy.domain import Determination
from medpolicy.engine import Engine
from medpolicy.policy.registry import default_registry

__all__ = ["default_engine", "evaluate"]


@cache
def default_engine() -> Engine:
    """The engine over the default policies, built once per process."""
    return Engine(default_registry())


def evaluate(request: Any, engine: Engine | None = None) -> Determination:
    """Decide one contract request (a dict as parsed from JSON).

    Raises ``RequestError`` when the request is not valid; it names the field, what was
    given and what is accepted.
    """
    chosen = engine or default_engine()
    return chosen.determine(parse_request(request, chosen.registry))
