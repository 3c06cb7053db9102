"""Changes to facts already on a case, and when they stop an automatic approval.

A provider adding information may also restate a fact the case already knew, with another
value. That is a change, not new information: the case history keeps each one (old and new
value with their sources, who, when), and a change that would let the case be approved
automatically sends it to a nurse or physician instead, with the changed facts flagged,
so that no adverse or pending recommendation turns into an approval unseen.

A fact that was unknown before and is known now is new information, not a change. A fact
known before (stated, or derived from a diagnosis code) that is now different or unknown
is a change, whoever or whatever changed it.

Values live only in the database (the event's detail); nothing here logs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from medpolicy.service.principal import Principal

__all__ = ["EVENT_KIND", "change_detail", "changed_facts", "flagged_changes"]

EVENT_KIND = "fact_change"


def changed_facts(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Facts known in the determination ``before`` whose value differs in ``after`` (both
    the contract's determination JSON), each with the old and new value and source."""
    old_facts = before.get("facts") or {}
    new_facts = after.get("facts") or {}
    changes = []
    for fact, old in old_facts.items():
        if not isinstance(old, Mapping) or old.get("value") is None:
            continue
        new = new_facts.get(fact)
        now = (
            {"value": new["value"], "source": new.get("source")}
            if isinstance(new, Mapping) and new.get("value") is not None
            else None
        )
        if now is None or not _same(old["value"], now["value"]):
            changes.append(
                {
                    "fact": fact,
                    "old": {"value": old["value"], "source": old.get("source")},
                    "new": now,
                }
            )
    return changes


def _same(a: Any, b: Any) -> bool:
    """Equal as JSON values: true is not 1, and 80 is 80.0."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return bool(a == b)


def change_detail(
    *,
    changes: list[dict[str, Any]],
    version: int,
    principal: Principal,
    at: datetime,
    previous_outcome: str,
    outcome: str,
    routed_to_review: bool,
) -> dict[str, Any]:
    """The history entry for one round of changes (stored as a case event's detail)."""
    return {
        "version": version,
        "changes": changes,
        "by": {"token_id": principal.token_id, "role": principal.role.value},
        "at": at.isoformat(),
        "previous_outcome": previous_outcome,
        "outcome": outcome,
        "routed_to_review": routed_to_review,
        "why": (
            "Facts already on the case were changed and the case would otherwise have been "
            "approved automatically; a nurse or physician reviews the changed facts first."
            if routed_to_review
            else "Facts already on the case were changed."
        ),
    }


def flagged_changes(details: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Every fact change of a case's history, oldest first, one entry per changed fact,
    for a reviewer's screen to highlight."""
    flagged = []
    for detail in details:
        for change in detail.get("changes") or []:
            flagged.append(
                {
                    **change,
                    "version": detail.get("version"),
                    "at": detail.get("at"),
                    "by": detail.get("by"),
                    "routed_to_review": bool(detail.get("routed_to_review")),
                }
            )
    return flagged
