"""README.md runs as written: every ``sh`` block as a shell script, every ``pycon`` block as
a doctest, from the repository's root with the virtual environment's commands on PATH (as
after ``source .venv/bin/activate``). ``text`` blocks are illustrations and are not run.

The two setup commands are CI's own job (``.ci/run`` runs them), so they are checked to be
there and not run again here. Service blocks get a free port instead of 8210 (engineers and
CI may run several servers on one machine) and a private data folder and cache.
"""

from __future__ import annotations

import doctest
import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
SETUP = (
    "python3 -m venv .venv && .venv/bin/pip install -q -e '.[dev]' && "
    ".venv/bin/medpolicy evaluate examples/dli-relapsed-aml.json --format text"
)
TESTS = "bash .ci/test"
_BLOCK = re.compile(r"^```(\w+)\n(.*?)^```$", re.S | re.M)


def blocks(language: str) -> list[str]:
    return [body for lang, body in _BLOCK.findall(README.read_text("utf-8")) if lang == language]


def scripts() -> list[str]:
    return [b for b in blocks("sh") if b.strip() not in (SETUP, TESTS)]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def environment(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["HOME"] = str(tmp_path / "home")
    env["XDG_DATA_HOME"] = str(tmp_path / "home" / "data")
    env["MEDPOLICY_CACHE_DIR"] = str(tmp_path / "cache")
    for name in ("MEDPOLICY_DATA_DIR", "MEDPOLICY_DATABASE_URL", "MEDPOLICY_POLICIES"):
        env.pop(name, None)
    return env


def test_the_two_commands_are_there_as_ci_runs_them() -> None:
    commands = [b.strip() for b in blocks("sh")]
    assert SETUP in commands
    assert TESTS in commands
    assert 'python_requires = ">=3.11"' in (ROOT / "pyproject.toml").read_text().replace(
        "requires-python", "python_requires"
    )
    assert "Python 3.11 or newer" in README.read_text("utf-8")


def test_every_file_the_readme_names_exists() -> None:
    text = README.read_text("utf-8")
    named = set(re.findall(r"\b((?:examples|docs)/[\w./-]+\.\w+)", text))
    assert named
    assert [name for name in sorted(named) if not (ROOT / name).is_file()] == []


def test_the_python_examples_print_what_they_say(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    examples = blocks("pycon")
    assert examples
    for number, block in enumerate(examples):
        test = parser.get_doctest(block, {}, f"README pycon block {number}", str(README), 0)
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0
    assert result.attempted >= 5


@pytest.mark.slow
def test_every_shell_block_runs_as_written(tmp_path: Path) -> None:
    work = tmp_path / "clone"
    shutil.copytree(
        ROOT,
        work,
        ignore=shutil.ignore_patterns(".venv", ".git", "*.pyc", "__pycache__", "medpolicy-data"),
    )
    (work / ".venv").symlink_to(ROOT / ".venv")
    env = environment(tmp_path)
    for number, script in enumerate(scripts()):
        port = str(free_port())
        body = script.replace("8210", port)
        if "medpolicy serve" in body:
            env["MEDPOLICY_PORT"] = port
        done = subprocess.run(
            ["bash", "-e", "-o", "pipefail", "-c", body],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert done.returncode == 0, f"README sh block {number}:\n{script}\n{done.stderr[-3000:]}"
        if '"priority": "standard"' in script:
            assert '"status":"approved"' in done.stdout.replace(" ", ""), done.stdout[-2000:]
            assert "audit log intact" in done.stdout + done.stderr
            # The server, stopped before the check, signed a checkpoint that the check read.
            assert re.search(r"checkpoints: \d+ in .* hold", done.stdout), done.stdout[-2000:]
        if "medpolicy extract" in script:
            assert '"dli_indication": "relapsed_refractory_persistent"' in done.stdout
