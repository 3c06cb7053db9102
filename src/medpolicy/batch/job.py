"""What a review is asked to do, and what an engine hands back for the summary."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ReviewJob", "Run"]


@dataclass(frozen=True, slots=True)
class ReviewJob:
    """One review: the claims, the authorizations on file, where the report goes and
    which engine runs it (``duckdb`` in this process, or ``spark`` at ``master``)."""

    claims: str
    out: Path
    authorizations: str | None = None
    engine: str = "duckdb"
    master: str | None = None
    memory_limit: str = "3GB"


@dataclass(frozen=True, slots=True)
class Run:
    """What an engine reports after writing findings and errors: the summary rows
    (dimension, key, finding, lines, paid), and counts."""

    rows: Sequence[Sequence[object]]
    lines_read: int
    errors: int
    patterns: int
