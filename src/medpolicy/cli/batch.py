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
    stream: Iterable[bytes],
    parse: Callable[[str], Any] = _loads,
    quick: Callable[[bytes], Any] | None = None,
) -> Iterator[tuple[int, Any]]:
    """Yield (line number, ``parse`` of the line or a BadLine), skipping blank lines.

    ``parse`` raises ValueError for text that is not JSON. A file whose first line is not
    JSON on its own is tried whole with ``json.loads``; if that is an object, it is the one
    document (yielded as parsed by ``json.loads``). ``quick``, when given, is tried first
    on every line, on its bytes: what it returns is yielded as the line's document, and
    when it returns None the line takes the ordinary way (blank lines, text that is not
    UTF-8 or not JSON, anything ``quick`` does not handle).
    """
    lines = iter(stream)
    number = 0
    for line in lines:
        number += 1
        raw = line[len(codecs.BOM_UTF8) :] if line.startswith(codecs.BOM_UTF8) else line
        if not raw.strip():
            continue
        first = quick(raw) if quick is not None else None
        if first is None:
            first = _parse(raw, number, parse)
        if isinstance(first, BadLine):
            yield from _whole_or_lines(raw, lines, number, first)
            return
        yield number, first
        break
    for raw in lines:
        number += 1
        document = quick(raw) if quick is not None else None
        if document is not None:
            yield number, document
        elif not raw.isspace():
            yield number, _parse(raw, number, parse)


def _whole_or_lines(
    first_line: bytes, rest: Iterator[bytes], number: int, first: BadLine
) -> Iterator[tuple[int, Any]]:
    remainder = b"".join(rest)
    whole = _parse(first_line + remainder, number)
    if isinstance(whole, dict):
        yield number, whole
        return
    lines = [
        (offset, _parse(line, offset))
        for offset, line in enumerate(remainder.splitlines(), start=number + 1)
        if line.strip()
    ]
    if not isinstance(whole, BadLine) or not any(isinstance(p, dict) for _, p in lines):
        # The input is one JSON document that is not a request, or no line is a JSON object
        # on its own: one document written over several lines, or several such. Say once
        # what is wrong with it as a whole, instead of once for every line of it.
        raise MedpolicyError(_as_a_whole(first_line + remainder, number), code="invalid_json")
    yield number, first
    yield from lines


def _as_a_whole(data: bytes, first_number: int) -> str:
    """Why input spread over several lines is not one request, in a sentence."""
    accepted = (
        "Give one JSON object (one request), or JSON Lines: one request per line, each "
        "written on a single line (for example `jq -c . FILE > requests.jsonl`)."
    )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return f"the input is not UTF-8 text. {accepted}"
    decoder = json.JSONDecoder()
    values: list[Any] = []
    position = len(text) - len(text.lstrip())
    while position < len(text):
        try:
            value, end = decoder.raw_decode(text, position)
        except RecursionError:
            return f"the input is not valid JSON: it is nested too deeply. {accepted}"
        except ValueError as exc:
            if values:
                break
            where = _line_and_column(text, getattr(exc, "pos", position), first_number)
            reason = getattr(exc, "msg", str(exc))
            return f"the input is not valid JSON: {reason} at {where}. {accepted}"
        values.append(value)
        position = end + len(text[end:]) - len(text[end:].lstrip())
    if len(values) > 1 and position >= len(text):
        return (
            f"the input holds {len(values)} JSON documents, each over several lines; "
            f"a request file holds one. {accepted}"
        )
    if len(values) == 1 and isinstance(values[0], list):
        return f"the input is a JSON array, not a request. {accepted}"
    if len(values) == 1:
        return f"the input is {type(values[0]).__name__} JSON, not a request object. {accepted}"
    where = _line_and_column(text, position, first_number)
    return f"the input is not valid JSON after its first document, at {where}. {accepted}"


def _line_and_column(text: str, position: int, first_number: int) -> str:
    line = text.count("\n", 0, position) + first_number
    column = position - (text.rfind("\n", 0, position) + 1) + 1
    return f"line {line}, column {column}"


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
