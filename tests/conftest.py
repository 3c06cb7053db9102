"""Shared fixtures: where the repository, its policies and the shared spec live, and the
official Da Vinci examples read as published."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"

# The audit key and checkpoints of every test's database go to a folder of this run, not
# to the user's data folder (servers started by tests inherit this environment).
_AUDIT_DIR = Path(tempfile.mkdtemp(prefix="medpolicy-audit-"))
os.environ.setdefault("MEDPOLICY_AUDIT_KEY_FILE", str(_AUDIT_DIR / "audit.key"))
os.environ.setdefault("MEDPOLICY_AUDIT_CHECKPOINT_FILE", str(_AUDIT_DIR / "checkpoints.jsonl"))


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.fail(f"the shared folder is expected beside the repository at {SHARED}")
    return SHARED


@pytest.fixture
def conformance() -> Callable[[str], dict[str, Any]]:
    """Load one example by its path under ../shared/conformance (e.g. 'pas/Bundle-...json')."""

    def load(name: str) -> dict[str, Any]:
        path = SHARED / "conformance" / name
        if not path.is_file():
            pytest.fail(f"conformance example {path} is missing")
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return data

    return load
