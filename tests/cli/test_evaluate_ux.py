"""What a person running ``medpolicy evaluate`` sees on standard error, and when."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
from importlib.metadata import version
from pathlib import Path

import pytest

from medpolicy.cli.evaluate import summary

MEDPOLICY = [sys.executable, "-m", "medpolicy.cli"]
MET = {
    "service": {"code": "38242", "date_of_service": "2026-04-10"},
    "diagnoses": ["C92.02"],
    "facts": {
        "prior_hsct": "allogeneic",
        "prior_hsct_medically_necessary": True,
        "cell_source": "original_donor",
        "lymphocytes_genetically_modified": False,
        "dli_indication": "relapsed_refractory_persistent",
    },
}
PENDING = {"service": {"code": "38242", "date_of_service": "2026-04-10"}, "facts": {}}
UNADDRESSED = {"service": {"code": "Q2056", "date_of_service": "2026-04-10"}}


def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*MEDPOLICY, *args], input=stdin, capture_output=True, text=True, timeout=60, check=False
    )


def batch(tmp_path: Path) -> Path:
    lines = [MET, MET, PENDING, UNADDRESSED, {"facts": {"prior_hsct": "maybe"}}]
    path = tmp_path / "requests.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


def test_a_batch_ends_with_a_summary_of_outcomes_errors_and_rate(tmp_path: Path) -> None:
    done = run("evaluate", str(batch(tmp_path)))
    assert done.returncode == 2
    assert len(done.stdout.splitlines()) == 5
    (summary,) = done.stderr.splitlines()
    assert re.fullmatch(
        r"medpolicy: 5 requests in [0-9,]+ ms: 2 meets_criteria, "
        r"1 insufficient_information, 1 not_addressed, 1 invalid \(their lines carry "
        r'"error"\)',
        summary,
    ), summary


def test_the_summary_gives_a_rate_only_over_a_second_or_more() -> None:
    counts = {"meets_criteria": 3, "not_addressed": 1}
    assert summary(counts, 0, 0.018) == "4 requests in 18 ms: 3 meets_criteria, 1 not_addressed"
    assert summary(counts, 1, 2.5) == (
        "5 requests in 2.5 s, 2/s: 3 meets_criteria, 1 not_addressed, "
        '1 invalid (their lines carry "error")'
    )


def test_quiet_leaves_standard_error_empty_and_the_answers_unchanged(tmp_path: Path) -> None:
    loud = run("evaluate", str(batch(tmp_path)))
    quiet = run("evaluate", "--quiet", str(batch(tmp_path)))
    assert quiet.stderr == ""
    assert quiet.stdout == loud.stdout
    assert quiet.returncode == loud.returncode


def test_one_request_gets_its_answer_and_no_summary() -> None:
    done = run("evaluate", "-", stdin=json.dumps(MET))
    assert done.returncode == 0
    assert json.loads(done.stdout)["outcome"] == "meets_criteria"
    assert done.stderr == ""


def test_version_is_the_installed_distributions() -> None:
    done = run("--version")
    assert done.returncode == 0
    assert done.stdout.startswith(f"medpolicy {version('medpolicy')} (")


@pytest.mark.parametrize(
    ("args", "usage", "hint"),
    [
        (("evaluate", "--quite", "-"), "usage: medpolicy evaluate", "did you mean --quiet?"),
        (
            ("policy", "show", "MCP-210", "--fromat", "json"),
            "usage: medpolicy policy show",
            "did you mean --format?",
        ),
        (("token", "list", "--data-dri", "x"), "usage: medpolicy token list", "--data-dir?"),
    ],
)
def test_a_misspelt_option_shows_its_subcommands_usage_and_a_near_match(
    args: tuple[str, ...], usage: str, hint: str
) -> None:
    done = run(*args)
    assert done.returncode == 2
    assert done.stderr.startswith(usage)
    assert "unrecognized arguments" in done.stderr
    assert hint in done.stderr
    assert done.stdout == ""


def test_two_pretty_printed_requests_in_one_file_are_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "two.json"
    path.write_text(json.dumps(MET, indent=2) + "\n" + json.dumps(PENDING, indent=2) + "\n")
    done = run("evaluate", str(path))
    assert done.returncode == 2
    assert done.stdout == ""
    (message,) = done.stderr.splitlines()
    assert "holds 2 JSON documents, each over several lines" in message
    assert "JSON Lines: one request per line" in message


def test_a_broken_pretty_printed_request_is_one_error_with_its_place(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    text = json.dumps(MET, indent=2).replace('"diagnoses"', "diagnoses")
    path.write_text(text)
    done = run("evaluate", str(path))
    assert done.returncode == 2
    (message,) = done.stderr.splitlines()
    line = text[: text.index("diagnoses")].count("\n") + 1
    assert f"not valid JSON: Expecting property name enclosed in double quotes at line {line}," in (
        message
    )


def with_a_terminal_for_stderr(args: list[str], tmp_path: Path) -> tuple[int, str, bytes]:
    """Run with standard error on a pseudo-terminal; the exit code, stdout and stderr."""
    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    answers = tmp_path / "answers.jsonl"
    with answers.open("wb") as out:
        child = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=out, stderr=terminal)
    os.close(terminal)
    seen = b""
    while True:
        ready, _, _ = select.select([controller], [], [], 30)
        if not ready:
            break
        try:
            chunk = os.read(controller, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    child.wait(timeout=60)
    os.close(controller)
    return child.returncode, answers.read_text(encoding="utf-8"), seen


def test_a_terminal_sees_a_progress_bar_and_a_pipe_does_not(tmp_path: Path) -> None:
    path = tmp_path / "many.jsonl"
    path.write_text((json.dumps(MET) + "\n") * 3000, encoding="utf-8")
    code, out, terminal = with_a_terminal_for_stderr([*MEDPOLICY, "evaluate", str(path)], tmp_path)
    assert code == 0
    assert len(out.splitlines()) == 3000
    assert re.search(rb"many\.jsonl: +\d+%\|", terminal), terminal[-400:]
    assert b"3,000 requests in" in terminal
    piped = run("evaluate", str(path))
    assert "%|" not in piped.stderr
    assert "\r" not in piped.stderr
    assert piped.stderr.startswith("medpolicy: 3,000 requests in")
    _, _, quiet = with_a_terminal_for_stderr([*MEDPOLICY, "evaluate", "-q", str(path)], tmp_path)
    assert quiet == b""


def test_policy_diff_gives_an_open_ended_version_its_first_day_not_today() -> None:
    done = run("policy", "diff", "MCP-210", "2014-11-11", "2025-08-13")
    assert done.returncode == 0
    assert "- Version 2025-08-13: dates of service from 2025-08-13." in done.stdout
    assert "today" not in done.stdout
    shown = run("policy", "show", "MCP-210")
    assert "for dates of service from 2025-08-13." in shown.stdout


@pytest.mark.parametrize(
    ("args", "typed", "hint"),
    [
        (["evaluate"], json.dumps(MET), "reading requests from the terminal"),
        (
            ["extract"],
            json.dumps({"id": "n1", "text": "No active graft-versus-host disease."}),
            "reading notes from the terminal",
        ),
    ],
)
def test_no_file_on_a_terminal_says_it_waits_for_typed_input(
    tmp_path: Path, args: list[str], typed: str, hint: str
) -> None:
    controller, terminal = pty.openpty()
    answers = tmp_path / "answers.jsonl"
    with answers.open("wb") as out:
        child = subprocess.Popen(
            [*MEDPOLICY, *args], stdin=terminal, stdout=out, stderr=subprocess.PIPE
        )
        os.close(terminal)
        os.write(controller, typed.encode() + b"\n\x04")
        _, errors = child.communicate(timeout=60)
    os.close(controller)
    assert child.returncode == 0, errors
    assert hint in errors.decode()
    assert "Ctrl-D" in errors.decode()
    assert len(answers.read_text(encoding="utf-8").splitlines()) == 1
    piped = run(*args, stdin=typed + "\n")
    assert "from the terminal" not in piped.stderr
