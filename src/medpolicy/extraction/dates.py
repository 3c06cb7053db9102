"""Dates written in notes, so that the later of two statements can win.

Calendar dates (``03/06/2026``, ``02/2026``, ``2026-03-06``, ``March 2026``, a bare year)
and transplant days (``day +150``) are two clocks that cannot be compared with each other;
each date keeps its clock. A month or a year alone sorts before every day inside it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["NoteDate", "find_dates"]

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_MONTH_WORD = "|".join(sorted(_MONTHS, key=len, reverse=True))

_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("iso", re.compile(r"\b(?P<y>(?:19|20)\d\d)-(?P<m>[01]?\d)-(?P<d>[0-3]?\d)\b")),
    ("mdy", re.compile(r"\b(?P<m>[01]?\d)/(?P<d>[0-3]?\d)/(?P<y>(?:19|20)?\d\d)\b")),
    ("my", re.compile(r"\b(?P<m>[01]?\d)/(?P<y>(?:19|20)\d\d)\b")),
    (
        "word",
        re.compile(
            rf"\b(?P<mw>{_MONTH_WORD})\.?(?:\s+(?P<d>[0-3]?\d)(?:st|nd|rd|th)?,?)?\s+(?P<y>(?:19|20)\d\d)\b",
            re.IGNORECASE,
        ),
    ),
    ("year", re.compile(r"(?<![/\-\d.])\b(?P<y>(?:19|20)\d\d)\b(?![/\-]\d|\.\d)")),
    ("day", re.compile(r"\b(?:day|D)\s*\+\s*(?P<n>\d{1,4})\b", re.IGNORECASE)),
)


@dataclass(frozen=True, slots=True)
class NoteDate:
    """A date found at ``start:end``: its clock (``calendar`` or ``day``) and sort key."""

    start: int
    end: int
    clock: str
    key: int


def find_dates(text: str) -> list[NoteDate]:
    """Every date in ``text``, in order; a date inside a longer one is not repeated."""
    found: list[NoteDate] = []
    taken: list[tuple[int, int]] = []
    for form, pattern in _PATTERNS:
        for match in pattern.finditer(text):
            start, end = match.span()
            if any(s < end and start < e for s, e in taken):
                continue
            date = _read(form, match)
            if date is not None:
                taken.append((start, end))
                found.append(NoteDate(start, end, date[0], date[1]))
    found.sort(key=lambda d: d.start)
    return found


def _read(form: str, match: re.Match[str]) -> tuple[str, int] | None:
    groups = match.groupdict()
    if form == "day":
        return "day", int(groups["n"])
    year = int(groups["y"])
    if year < 100:
        year += 2000
    if form == "year":
        return "calendar", year * 10000
    month = _MONTHS[groups["mw"].lower()] if groups.get("mw") else int(groups["m"])
    day = int(groups["d"]) if groups.get("d") else 0
    if not 1 <= month <= 12 or day > 31:
        return None
    return "calendar", year * 10000 + month * 100 + day
