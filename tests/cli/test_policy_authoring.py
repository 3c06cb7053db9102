"""`medpolicy policy show|diff|check` for a policy author editing a working copy: which
folder, a version that starts in the future, and versions no golden case exercises."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from tests.policy_copies import with_future_version

MEDPOLICY = [sys.executable, "-m", "medpolicy.cli"]
UNTESTED = (
    "WARNING MCP-210 version 2027-01-01 (from 2027-01-01): no golden case has a date of "
    "service in this period"
)


def run(*args: str, action: str = "check") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*MEDPOLICY, "policy", action, *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def working_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of policies whose MCP-210 gained a 2027 version with no golden case."""
    return with_future_version(tmp_path_factory.mktemp("author"))


def test_the_shipped_policies_pass_strict_with_no_warning() -> None:
    done = run("--strict")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "WARNING" not in done.stdout
    assert "0 failed" in done.stdout
    assert "warning" not in done.stdout.splitlines()[-1]


def test_a_version_no_golden_case_exercises_is_warned_about_not_failed(
    working_copy: Path,
) -> None:
    done = run("--policies", str(working_copy))
    assert done.returncode == 0, done.stdout + done.stderr
    assert UNTESTED in done.stdout.splitlines()
    assert done.stdout.splitlines()[-1].endswith("0 failed, 1 warning")
    assert "(3 versions)" in done.stdout


def test_strict_makes_the_warning_fail_for_ci(working_copy: Path) -> None:
    done = run("--policies", str(working_copy), "--strict")
    assert done.returncode == 1
    assert UNTESTED in done.stdout.splitlines()


@pytest.mark.parametrize("where", ["folder of policies", "one policy folder"])
def test_the_positional_folder_still_works(working_copy: Path, where: str) -> None:
    folder = working_copy if where == "folder of policies" else working_copy / "mcp-210"
    for args in ((str(folder),), ("--policies", str(folder))):
        done = run(*args)
        assert done.returncode == 0, done.stdout + done.stderr
        assert UNTESTED in done.stdout.splitlines()


def test_two_different_folders_are_refused_naming_both(working_copy: Path, tmp_path: Path) -> None:
    done = run(str(tmp_path), "--policies", str(working_copy))
    assert done.returncode == 2
    assert str(tmp_path) in done.stderr
    assert str(working_copy) in done.stderr
    assert "Traceback" not in done.stderr


def test_a_folder_without_policies_is_one_clear_line(tmp_path: Path) -> None:
    done = run("--policies", str(tmp_path))
    assert done.returncode == 2
    assert "holds no policy folder" in done.stderr
    assert "Traceback" not in done.stderr


def test_help_documents_the_folder_and_strict() -> None:
    done = run("--help")
    assert "--policies DIR" in done.stdout
    assert "--strict" in done.stdout
    assert "no golden case" in done.stdout


@pytest.mark.parametrize("where", ["folder of policies", "one policy folder"])
def test_diff_and_show_give_a_future_version_its_first_day(working_copy: Path, where: str) -> None:
    folder = working_copy if where == "folder of policies" else working_copy / "mcp-210"
    diff = run("MCP-210", "2025-08-13", "2027-01-01", "--policies", str(folder), action="diff")
    assert diff.returncode == 0, diff.stderr
    assert "- Version 2025-08-13: dates of service 2025-08-13 to 2026-12-31." in diff.stdout
    assert "- Version 2027-01-01: dates of service from 2027-01-01." in diff.stdout
    assert "today" not in diff.stdout
    show = run("MCP-210", "--policies", str(folder), action="show")
    assert show.returncode == 0, show.stderr
    assert "Version **2027-01-01**, for dates of service from 2027-01-01." in show.stdout
