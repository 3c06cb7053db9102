"""One bounded memo table for every cache in medpolicy.

The engine and the adapters remember results that recur (a fact pattern's verdict, a
code's normal form, a checked fact value) so that a stream of requests costs little more
than reading it. Each of those tables is a ``Memo``: a dict that computes a missing entry
on first lookup and holds at most ``limit`` entries, so no input, however varied, can make
the process grow without bound. When a table is full it is emptied and starts again; the
patterns that recur are back after a few lookups.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

__all__ = ["DEFAULT_LIMIT", "Memo"]

K = TypeVar("K")
V = TypeVar("V")

DEFAULT_LIMIT = 65_536
"""Entries per table: enough for every pattern of a large batch, a few MB at most."""


class Memo(dict[K, V]):
    """``memo[key]`` is ``compute(key)``, computed once while it stays in the table.

    A hit is a plain dict lookup (no Python call), which is why this is a dict subclass
    with ``__missing__`` rather than a wrapper. Keys must be hashable.
    """

    __slots__ = ("compute", "limit")

    def __init__(self, compute: Callable[[K], V], limit: int = DEFAULT_LIMIT) -> None:
        super().__init__()
        self.compute = compute
        self.limit = limit

    def __missing__(self, key: K) -> V:
        value = self.compute(key)
        if len(self) >= self.limit:
            self.clear()
        self[key] = value
        return value
