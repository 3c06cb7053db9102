"""The compiled build (mypyc, ``hatch_build.py``) answers exactly as the Python source does,
is what an installation runs, and steps aside when its source has been edited."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import medpolicy
from medpolicy import native

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from engine_throughput import generate  # noqa: E402


def _modules_report(env: dict[str, str]) -> dict[str, bool]:
    code = (
        "import importlib, json, medpolicy\n"
        "from medpolicy import native\n"
        "print(json.dumps({m: native.compiled(importlib.import_module(m)) "
        "for m in native.COMPILED}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    report: dict[str, bool] = json.loads(done.stdout)
    return report


def _version_line(pure_python: str) -> str:
    """``medpolicy --version`` with ``MEDPOLICY_PURE_PYTHON`` set to ``pure_python``."""
    done = subprocess.run(
        [sys.executable, "-m", "medpolicy.cli", "--version"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "MEDPOLICY_PURE_PYTHON": pure_python},
    )
    return done.stdout.rstrip()


def _built() -> bool:
    package = Path(medpolicy.__file__).parent
    return (package / "native.json").exists()


def test_an_installation_runs_the_compiled_modules_it_built() -> None:
    if not _built():
        if os.environ.get("MEDPOLICY_REQUIRE_NATIVE"):
            pytest.fail("the installation built no compiled modules (see pip's output)")
        pytest.skip("pure-Python installation: no compiled modules to check")
    assert native.stale() == []
    assert all(_modules_report(dict(os.environ)).values())
    assert _version_line("").endswith("(engine compiled with mypyc)")
    assert _version_line("1").endswith("(pure Python: MEDPOLICY_PURE_PYTHON is set)")


def test_compiled_and_source_give_byte_identical_answers(tmp_path: Path) -> None:
    """A batch of 3,000 generated requests (every outcome, many fact patterns, category
    codes, refusals) and the public examples, decided by each build."""
    if not _built():
        pytest.skip("pure-Python installation: only one build to run")
    lines = [*generate(3_000, seed=2026), "{not json", '{"service": {"code": "38242"}}']
    lines += (ROOT / "examples" / "requests.jsonl").read_text(encoding="utf-8").splitlines()
    batch = tmp_path / "batch.jsonl"
    batch.write_text("\n".join(lines) + "\n", encoding="utf-8")
    answers = {}
    for name, extra in (("compiled", {}), ("source", {"MEDPOLICY_PURE_PYTHON": "1"})):
        env = {**os.environ, **extra}
        assert set(_modules_report(env).values()) == {name == "compiled"}
        done = subprocess.run(
            [sys.executable, "-m", "medpolicy.cli", "evaluate", str(batch), "--quiet"],
            capture_output=True,
            env=env,
            check=False,
        )
        assert done.returncode == 2, done.stderr  # the two refused lines
        answers[name] = done.stdout
    assert answers["compiled"] == answers["source"]
    assert answers["compiled"].count(b"\n") == len(lines)


def _package(tmp_path: Path, sources: dict[str, str]) -> Path:
    package = tmp_path / "medpolicy"
    for module, text in sources.items():
        path = package.joinpath(*module.split(".")[1:]).with_suffix(".py")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return package


def test_an_edited_source_makes_the_build_stale(tmp_path: Path) -> None:
    modules = ("medpolicy.memo", "medpolicy.engine.facts")
    package = _package(tmp_path, {"medpolicy.memo": "A = 1\n", "medpolicy.engine.facts": "B = 2\n"})
    assert native.stale(package, modules) == list(modules)  # no record: nothing is trusted
    record = {
        m: hashlib.sha256(
            package.joinpath(*m.split(".")[1:]).with_suffix(".py").read_bytes()
        ).hexdigest()
        for m in modules
    }
    (package / "native.json").write_text(json.dumps(record), encoding="utf-8")
    assert native.stale(package, modules) == []
    (package / "engine" / "facts.py").write_text("B = 3\n", encoding="utf-8")
    assert native.stale(package, modules) == ["medpolicy.engine.facts"]
    (package / "native.json").write_text("{not json", encoding="utf-8")
    assert native.stale(package, modules) == list(modules)
