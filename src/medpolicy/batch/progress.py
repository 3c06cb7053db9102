"""A progress bar on standard error for long reviews, drawn only on a terminal.

A review of tens of millions of lines runs for tens of seconds inside a query engine; the
bar shows which step is running and how far the engine says it is, so a person can tell a
long run from a stuck one. Redirected to a file or a pipe, nothing is written.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

__all__ = ["Progress"]

_WIDTH = 30
_TICK = 0.2


class Progress:
    """Draws ``step [#####.....] 42%`` on one line, redrawn in place."""

    def __init__(self, stream: TextIO | None = None, *, enabled: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = _is_terminal(self.stream) if enabled is None else enabled
        self.started = time.monotonic()

    def draw(self, step: str, fraction: float | None) -> None:
        if not self.enabled:
            return
        elapsed = time.monotonic() - self.started
        if fraction is None:
            bar = " " * _WIDTH
            percent = "    "
        else:
            filled = int(max(0.0, min(1.0, fraction)) * _WIDTH)
            bar = "#" * filled + "." * (_WIDTH - filled)
            percent = f"{fraction * 100:3.0f}%"
        self.stream.write(f"\r{step:<28} [{bar}] {percent} {elapsed:6.1f}s")
        self.stream.flush()

    @contextmanager
    def step(self, name: str, poll: Callable[[], float | None] | None = None) -> Iterator[None]:
        """Show ``name`` while the body runs; ``poll`` says how far along it is (0 to 1)."""
        if not self.enabled:
            yield
            return
        done = threading.Event()

        def watch() -> None:
            while not done.wait(_TICK):
                self.draw(name, _safe(poll))

        self.draw(name, None)
        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        try:
            yield
        finally:
            done.set()
            watcher.join()
            self.draw(name, 1.0)

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()


def _safe(poll: Callable[[], float | None] | None) -> float | None:
    if poll is None:
        return None
    try:
        return poll()
    except Exception:
        return None


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
