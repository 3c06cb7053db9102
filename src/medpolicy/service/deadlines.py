"""Decision deadlines of the CMS Interoperability and Prior Authorization rule (CMS-0057-F).

A plan decides an expedited request within 72 hours and a standard one within 7 calendar
days of receiving it. A plan may extend once, by up to 14 calendar days, when it records
why (for example: the provider asked for more time to send chimerism results), and
only before the deadline has passed.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

Priority = Literal["expedited", "standard"]

DECISION_WINDOWS: dict[str, timedelta] = {
    "expedited": timedelta(hours=72),
    "standard": timedelta(days=7),
}
EXTENSION = timedelta(days=14)


def due_at(received_at: datetime, priority: str) -> datetime:
    """When a request received at ``received_at`` must be decided."""
    return received_at + DECISION_WINDOWS[priority]


def extended_due_at(current_due_at: datetime) -> datetime:
    """The deadline after the one extension the rule allows."""
    return current_due_at + EXTENSION


def may_extend(current_due_at: datetime, now: datetime) -> bool:
    """An extension is taken while the deadline runs; once it has passed the case is late,
    and extending then would only hide that from the overdue queue and the figures."""
    return now <= current_due_at
