"""`medpolicy extract`: clinical notes in, proposed facts with their evidence out.

Input is JSON Lines, one note a line (``{"id": ..., "text": ..., "service": "38242"}``,
service optional), or a plain text file holding one note. Output is one JSON line per note,
in input order, written as soon as it is read when the input is a pipe. A line that is not
a valid note gets its own error line (``{"id", "error": {"code", "field", "message",
"accepted"}}``), the others are still read, and the exit status is 2, as for `evaluate`.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from typing import Any, BinaryIO

from medpolicy.cli.batch import BadLine, documents, is_interactive
from medpolicy.errors import MedpolicyError, RequestError, error_body
from medpolicy.extraction import Extractor, Note, extractor_for
from medpolicy.policy.registry import default_registry

__all__ = ["extract_stream", "input_name", "parse_note"]

EXIT_INVALID = 2
_KEYS = ("id", "text", "service")


def parse_note(document: Any, number: int) -> Note:
    """A note from one parsed JSON line; ``RequestError`` names the field that is wrong."""
    if not isinstance(document, dict):
        raise RequestError(
            f"line {number} is not a JSON object",
            field=None,
            code="invalid_note",
            accepted='{"id": ..., "text": "...", "service": "38242"}',
        )
    unknown = sorted(set(document) - set(_KEYS))
    if unknown:
        raise RequestError(
            f"unknown key {unknown[0]!r}",
            field=unknown[0],
            code="invalid_note",
            accepted="id, text, service",
        )
    text = document.get("text")
    if not isinstance(text, str) or not text.strip():
        raise RequestError(
            "a note needs its text",
            field="text",
            code="invalid_note",
            accepted="a non-empty string",
        )
    note_id = document.get("id", str(number))
    if not isinstance(note_id, str | int) or isinstance(note_id, bool):
        raise RequestError(
            "the id must be a string or a number",
            field="id",
            code="invalid_note",
            accepted="a string or a number",
        )
    service = document.get("service")
    if service is not None and not isinstance(service, str):
        raise RequestError(
            "the service is a CPT code written as a string",
            field="service",
            code="invalid_note",
            accepted='a string such as "38242"',
        )
    return Note(text, str(note_id), service)


def extract_stream(stream: BinaryIO, name: str) -> int:
    """Read every note of ``stream`` and write one line per note; the exit status."""
    registry = default_registry()
    interactive = is_interactive(stream)
    first, rest = _first_line(stream)
    if first is None:
        return 0
    out = sys.stdout
    if not first.lstrip().startswith(b"{"):
        return _plain_text(registry, first + b"".join(rest), name)
    invalid = False
    lines = _chain(first, rest)
    for line, failed in _answers(registry, documents(lines), interactive=interactive):
        invalid = invalid or failed
        out.write(line + "\n")
        if interactive:
            out.flush()
    out.flush()
    return EXIT_INVALID if invalid else 0


def _plain_text(registry: Any, raw: bytes, name: str) -> int:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise MedpolicyError(
            f"{name} is not UTF-8 text; a plain-text note must be UTF-8", code="invalid_note"
        ) from None
    sys.stdout.write(extractor_for(registry).extract(text, note_id=name).to_json() + "\n")
    sys.stdout.flush()
    return 0


def _answers(
    registry: Any, parsed: Iterator[tuple[int, Any]], *, interactive: bool
) -> Iterator[tuple[str, bool]]:
    """One output line per input line, reading notes in small batches for speed."""
    batch: list[tuple[Note, Extractor]] = []
    size = 1 if interactive else 64
    for number, document in parsed:
        try:
            if isinstance(document, BadLine):
                raise RequestError(document.message, field=None, code="invalid_json")
            note = parse_note(document, number)
            extractor = extractor_for(registry, note.service)
        except MedpolicyError as exc:
            yield from _flush(batch)
            yield _error_line(document, exc), True
            continue
        batch.append((note, extractor))
        if len(batch) >= size:
            yield from _flush(batch)
    yield from _flush(batch)


def _flush(batch: list[tuple[Note, Extractor]]) -> Iterator[tuple[str, bool]]:
    while batch:
        extractor = batch[0][1]
        same = []
        while batch and batch[0][1] is extractor:
            same.append(batch.pop(0)[0])
        for extraction in extractor.extract_many(same):
            yield extraction.to_json(), False


def _error_line(document: Any, exc: MedpolicyError) -> str:
    note_id = document.get("id") if isinstance(document, dict) else None
    if not isinstance(note_id, str | int) or isinstance(note_id, bool):
        note_id = None
    field = getattr(exc, "field", None)
    accepted = getattr(exc, "accepted", None)
    if exc.code == "unknown_service":
        field = "service"
    error = error_body(exc.code, field, exc.message, accepted)
    return json.dumps({"id": note_id, "error": error}, ensure_ascii=False)


def _first_line(stream: BinaryIO) -> tuple[bytes | None, Iterator[bytes]]:
    lines = iter(stream)
    for line in lines:
        if line.strip():
            return line, lines
    return None, lines


def _chain(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    yield first
    yield from rest


def input_name(path: str) -> str:
    """The id of a plain-text note: its file name, or ``-`` for standard input."""
    return "-" if path == "-" else os.path.basename(path)
