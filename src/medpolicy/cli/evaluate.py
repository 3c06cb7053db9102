"""``medpolicy evaluate``: decide the requests of a file or of standard input, in order.

Answers go to standard output, one per request, as soon as a batch of them is ready (at
once for each line read from a pipe or a terminal). Standard error carries what a person
watching needs: a progress bar while a long file is read (only when standard error is a
terminal, so that logs and pipes stay clean) and a summary at the end with the count of
each outcome, the invalid requests and the rate. ``--quiet`` leaves standard error to
real problems only.
"""

from __future__ import annotations

import gc
import json
import os
import stat
import sys
import time
from typing import Any, BinaryIO, cast

from medpolicy.adapters.json_codec import DeterminationEncoder, Refusal, RequestDecoder
from medpolicy.adapters.json_request import parse_request, request_id_of
from medpolicy.adapters.text import render_text
from medpolicy.api import default_engine
from medpolicy.cli.batch import BadLine, documents, is_interactive
from medpolicy.domain import CoverageRequest
from medpolicy.engine import Engine
from medpolicy.errors import MedpolicyError, RequestError, error_body

__all__ = ["EXIT_INVALID", "decide_stream", "summary"]

EXIT_INVALID = 2
_BATCH = 512
"""Answers written together when the input is a file: fewer, larger writes."""


def decide_stream(stream: BinaryIO, name: str, *, as_text: bool, quiet: bool) -> int:
    """Decide every request of ``stream`` (called ``name`` in messages); the exit status."""
    engine = default_engine()
    started = time.perf_counter()
    answer = _Answers(engine, as_text=as_text)
    # What is loaded so far (policies, code tables, the compiled engine) lives as long as
    # the process: the garbage collector need not walk it again on every full collection.
    gc.freeze()
    sys.stdout.flush()
    out = sys.stdout.buffer
    batch = 1 if is_interactive(stream) else _BATCH
    bar = None if quiet else _progress_bar(stream, name)
    tally: dict[str | None, int] = {}
    if as_text:
        lines = documents(stream, json.loads)
    else:
        lines = documents(stream, answer.decoder.read_checked, quick=answer.decoder.read_valid)
    # Valid requests, nearly every line of a batch, are decided inline and their answers
    # kept as fragments until the batch is written in one piece; the rest are answered by
    # ``answer`` with their error.
    determine, write, request_type = engine.determine, answer.write, CoverageRequest
    get = tally.get
    parts: list[bytes] = []
    waiting = 0
    for _, document in lines:
        if document.__class__ is request_type:
            result = determine(document)
            write(result, parts)
            outcome: str | None = result.verdict.outcome
        else:
            line, outcome = answer(document)
            parts.append(line)
        parts.append(b"\n")
        tally[outcome] = get(outcome, 0) + 1
        waiting += 1
        if waiting >= batch:
            out.write(b"".join(parts))
            out.flush()
            parts.clear()
            waiting = 0
            if bar is not None:
                bar.advance(stream, sum(tally.values()))
    if parts:
        out.write(b"".join(parts))
    out.flush()
    if bar is not None:
        bar.close()
    invalid = tally.pop(None, 0)
    counts = cast(dict[str, int], tally)
    decided = sum(counts.values())
    if decided + invalid == 0:
        raise MedpolicyError(
            f"no request in {name}: it is empty or holds only blank lines. Give one JSON "
            "object, or JSON Lines with one request per line (see docs/request.md).",
            code="empty_input",
        )
    if not quiet and decided + invalid > 1:
        elapsed = time.perf_counter() - started
        print(f"medpolicy: {summary(counts, invalid, elapsed)}", file=sys.stderr)
    return EXIT_INVALID if invalid else 0


class _Answers:
    """The answer line (UTF-8) for each parsed document, and its outcome (None when the
    document is not a valid request)."""

    def __init__(self, engine: Engine, *, as_text: bool) -> None:
        self.engine = engine
        self.decoder = RequestDecoder(engine.registry)
        encoder = DeterminationEncoder()
        self.encode, self.write = encoder.encode, encoder.write
        self._as_text = as_text

    def __call__(self, document: Any) -> tuple[bytes, str | None]:
        if isinstance(document, BadLine):
            return _error_line(None, "invalid_json", None, document.message), None
        if self._as_text:
            return self._text(document)
        request = (
            document
            if isinstance(document, CoverageRequest | Refusal)
            else self.decoder.read_object(document)
        )
        if isinstance(request, Refusal):
            error = request.error
            line = _error_line(
                request.request_id, error.code, error.field, error.message, error.accepted
            )
            return line, None
        result = self.engine.determine(request)
        return self.encode(result), result.outcome

    def _text(self, document: Any) -> tuple[bytes, str | None]:
        engine = self.engine
        try:
            request = parse_request(document, engine.registry)
        except RequestError as exc:
            line = _error_line(
                request_id_of(document), exc.code, exc.field, exc.message, exc.accepted
            )
            return line, None
        result = engine.determine(request)
        policy = engine.registry.policy(result.policy.id) if result.policy else None
        return render_text(result, request=request, policy=policy).encode(), result.outcome


def summary(counts: dict[str, int], invalid: int, seconds: float) -> str:
    """One line: how many requests, how fast, how many of each outcome, how many invalid."""
    total = sum(counts.values()) + invalid
    # A rate over a fraction of a second says more about start-up than about speed.
    rate = f", {total / seconds:,.0f}/s" if seconds >= 1 else ""
    took = f"{seconds:.1f} s" if seconds >= 1 else f"{seconds * 1000:,.0f} ms"
    parts = [f"{count:,} {outcome}" for outcome, count in sorted(counts.items(), key=_larger)]
    if invalid:
        parts.append(f'{invalid:,} invalid (their lines carry "error")')
    noun = "request" if total == 1 else "requests"
    return f"{total:,} {noun} in {took}{rate}: " + ", ".join(parts)


def _larger(item: tuple[str, int]) -> tuple[int, str]:
    return -item[1], item[0]


def _error_line(
    request_id: str | None, code: str, field: str | None, message: str, accepted: str | None = None
) -> bytes:
    error = error_body(code, field, message, accepted)
    return json.dumps({"request_id": request_id, "error": error}, ensure_ascii=False).encode()


class _Bar:
    """A tqdm bar on standard error: bytes of a file read, or requests from a pipe."""

    def __init__(self, bar: Any, by_bytes: bool) -> None:
        self._bar = bar
        self._by_bytes = by_bytes

    def advance(self, stream: BinaryIO, requests: int) -> None:
        if self._by_bytes:
            try:
                self._bar.update(stream.tell() - self._bar.n)
            except OSError:
                self._by_bytes = False
            self._bar.set_postfix_str(f"{requests:,} requests", refresh=False)
        else:
            self._bar.update(requests - self._bar.n)

    def close(self) -> None:
        self._bar.close()


def _progress_bar(stream: BinaryIO, name: str) -> _Bar | None:
    """A bar when a person is watching standard error and not typing the requests."""
    if not sys.stderr.isatty():
        return None
    try:
        status = os.fstat(stream.fileno())
    except (OSError, ValueError):
        return None
    if os.isatty(stream.fileno()):
        return None
    from tqdm import tqdm

    if stat.S_ISREG(status.st_mode):
        bar = tqdm(
            total=status.st_size,
            unit="B",
            unit_scale=True,
            unit_divisor=1024,
            desc=name,
            file=sys.stderr,
            leave=False,
            bar_format="{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} "
            "[{elapsed}<{remaining}] {postfix}",
        )
        return _Bar(bar, by_bytes=True)
    return _Bar(tqdm(unit=" requests", desc=name, file=sys.stderr, leave=False), by_bytes=False)
