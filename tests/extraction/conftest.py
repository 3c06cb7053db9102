"""Fixtures for the note extractor: the compiled extractor, the labelled notes (ours and the
public twelve) and the shared scorer, loaded from its file as the acceptance run uses it."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from medpolicy.extraction import Extractor, Note, extractor_for
from medpolicy.policy.registry import default_registry

HERE = Path(__file__).parent


def _module(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def extractor() -> Extractor:
    return extractor_for(default_registry())


@pytest.fixture(scope="session")
def scorer(shared_dir: Path) -> ModuleType:
    return _module(shared_dir / "notes" / "score_notes.py", "score_notes")


@pytest.fixture(scope="session")
def dev_notes() -> list[dict[str, Any]]:
    notes: list[dict[str, Any]] = _module(HERE / "note_set.py", "note_set").load_notes()
    return notes


@pytest.fixture(scope="session")
def public_notes(shared_dir: Path) -> list[dict[str, Any]]:
    notes: list[dict[str, Any]] = json.loads(
        (shared_dir / "notes" / "public_sample.json").read_text(encoding="utf-8")
    )
    return notes


@pytest.fixture(scope="session")
def score(
    extractor: Extractor, scorer: ModuleType
) -> Callable[[list[dict[str, Any]]], tuple[dict[str, Any], str]]:
    """Extract every note and score the predictions with the shared scorer: its figures and
    the table it prints."""

    def run(notes: list[dict[str, Any]]) -> tuple[dict[str, Any], str]:
        batch = [Note(n["text"], n["id"], n["service"]) for n in notes]
        preds = {e.id: e.to_dict() for e in extractor.extract_many(batch)}
        table = io.StringIO()
        with contextlib.redirect_stdout(table):
            figures: dict[str, Any] = scorer.score(notes, preds, [])
        return figures, table.getvalue()

    return run
