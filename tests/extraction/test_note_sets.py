"""The extractor against labelled notes, scored by the shared scorer with the acceptance
thresholds of issue 13: precision >= 0.97, recall >= 0.85, false certainty <= 1% of fact
slots, evidence overlapping the labelled span for >= 95% of correct facts."""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

Score = Callable[[list[dict[str, Any]]], tuple[dict[str, Any], str]]
FACTS_PER_NOTE = 14


def _meets_thresholds(figures: dict[str, Any], notes: int, table: str) -> None:
    assert figures["precision"] >= 0.97, table
    assert figures["recall"] >= 0.85, table
    assert figures["false_certainty"] <= 0.01 * notes * FACTS_PER_NOTE, table
    assert figures["evidence_overlap"] >= 0.95, table


def test_our_labelled_notes_follow_the_labelling_rules(
    dev_notes: list[dict[str, Any]], scorer: ModuleType, tmp_path: Path
) -> None:
    gold = tmp_path / "dev.json"
    gold.write_text(json.dumps(dev_notes), encoding="utf-8")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = scorer.check_files([str(gold)])
    assert status == 0, out.getvalue()
    assert len(dev_notes) >= 60


def test_our_notes_cover_every_kind_and_trap(
    dev_notes: list[dict[str, Any]], scorer: ModuleType
) -> None:
    assert {n["kind"] for n in dev_notes} == scorer.KINDS
    assert {t for n in dev_notes for t in n["traps"]} == scorer.TRAPS


def test_extraction_meets_the_thresholds_on_our_notes(
    dev_notes: list[dict[str, Any]], score: Score
) -> None:
    figures, table = score(dev_notes)
    _meets_thresholds(figures, len(dev_notes), table)


def test_extraction_meets_the_thresholds_on_the_public_twelve(
    public_notes: list[dict[str, Any]], score: Score
) -> None:
    figures, table = score(public_notes)
    _meets_thresholds(figures, len(public_notes), table)


@pytest.mark.parametrize("which", ["dev", "public"])
def test_every_evidence_is_the_exact_text_at_its_span(
    which: str,
    dev_notes: list[dict[str, Any]],
    public_notes: list[dict[str, Any]],
    extractor: Any,
) -> None:
    notes = dev_notes if which == "dev" else public_notes
    for note in notes:
        result = extractor.extract(note["text"], note_id=note["id"], service=note["service"])
        assert set(result.facts) == set(note["facts"])
        assert set(result.evidence) == {f for f, v in result.facts.items() if v is not None}
        for fact, (start, end) in result.spans.items():
            assert note["text"][start:end] == result.evidence[fact]
        for aside in result.assertions:
            assert note["text"][aside.start : aside.end] == aside.text
