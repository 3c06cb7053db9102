"""Requests for `medpolicy evaluate`: one JSON object, or JSON Lines read as a stream.

A batch file may hold millions of lines, and an integration may pipe requests in one at a
time and wait for each answer, so lines are read, decided and written one after another
rather than after the whole input has arrived. A file whose first line is not JSON on its
own is read whole once more, in case it is a single pretty-printed object.
"""

from __future__ import annotations

import codecs
import json
import os
import stat
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from medpolicy.errors import MedpolicyError

__all__ = ["BadLine", "documents", "is_interactive", "open_input"]

_loads = json.loads


@dataclass(frozen=True, slots=True)
class BadLine:
    """A line that is not a JSON document, and why."""

    number: int
    message: str


def open_input(path: str) -> BinaryIO:
    """The requests' byte stream: standard input for ``-``, else the named file."""
    if path == "-":
        return sys.stdin.buffer
    try:
        return open(path, "rb")
    except OSError as exc:
        raise MedpolicyError(f"cannot read {path}: {exc.strerror}") from None


def is_interactive(stream: BinaryIO) -> bool:
    """Whether answers should be written as soon as each is ready (a pipe or terminal)."""
    try:
        return not stat.S_ISREG(os.fstat(stream.fileno()).st_mode)
    except (OSError, ValueError):
        return True


def documents(
    stream: Iterable[bytes], parse: Callable[[str], Any] = _loads
) -> Iterator[tuple[int, Any]]:
    """Yield (line number, ``parse`` of the line or a BadLine), skipping blank lines.

    ``parse`` raises ValueError for text that is not JSON. A file whose first line is not
    JSON on its own is tried whole with ``json.loads``; if that is an object, it is the one
    document (yielded as parsed by ``json.loads``).
    """
    lines = iter(stream)
    number = 0
    for line in lines:
        number += 1
        raw = line[len(codecs.BOM_UTF8) :] if line.startswith(codecs.BOM_UTF8) else line
        if not raw.strip():
            continue
        first = _parse(raw, number, parse)
        if isinstance(first, BadLine):
            yield from _whole_or_lines(raw, lines, number, first)
            return
        yield number, first
        break
    for raw in lines:
        number += 1
        if not raw.isspace():
            yield number, _parse(raw, number, parse)


def _whole_or_lines(
    first_line: bytes, rest: Iterator[bytes], number: int, first: BadLine
) -> Iterator[tuple[int, Any]]:
    remainder = b"".join(rest)
    whole = _parse(first_line + remainder, number)
    if isinstance(whole, dict):
        yield number, whole
        return
    yield number, first
    for offset, line in enumerate(remainder.splitlines(), start=number + 1):
        if line.strip():
            yield offset, _parse(line, offset)


def _parse(raw: bytes, number: int, parse: Callable[[str], Any] = _loads) -> Any:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return BadLine(number, f"line {number} is not UTF-8 text; requests must be UTF-8 JSON")
    try:
        return parse(text)
    except ValueError as exc:
        return BadLine(number, f"line {number}: not valid JSON ({exc})")
    except RecursionError:
        return BadLine(number, f"line {number}: not valid JSON (nested too deeply)")
