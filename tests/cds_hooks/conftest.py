"""Fixtures for the FHIR adapter tests: the official Da Vinci examples, read as published."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

CONFORMANCE = Path(__file__).resolve().parents[2] / ".." / "shared" / "conformance"


@pytest.fixture
def conformance() -> Callable[[str], dict[str, Any]]:
    """Load one example by its path under ../shared/conformance (e.g. 'pas/Bundle-...json')."""

    def load(name: str) -> dict[str, Any]:
        path = CONFORMANCE / name
        if not path.is_file():
            pytest.fail(f"conformance example {path} is missing")
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return data

    return load
