"""`medpolicy extract` as a user runs it: a real process, real files, real exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

MEDPOLICY = [sys.executable, "-m", "medpolicy.cli"]
NOTE = (
    "BMT clinic. 60M with AML, s/p RIC allo-HCT from an 8/8 MUD (04/2024). "
    "Marrow 02/2026: relapse confirmed. No GVHD. "
    "Plan: DLI from his original unrelated donor for relapsed AML."
)


def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*MEDPOLICY, "extract", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.slow
def test_json_lines_get_one_answer_each_in_order_and_bad_lines_do_not_stop_the_rest() -> None:
    lines = [
        json.dumps({"id": "a", "text": NOTE, "service": "38242"}),
        "{not json",
        json.dumps({"id": "b", "text": ""}),
        json.dumps({"id": "c", "text": NOTE, "service": "99999"}),
        json.dumps({"id": "d", "text": NOTE}),
    ]
    done = run("-", stdin="\n".join(lines) + "\n")
    assert done.returncode == 2, done.stderr
    out = [json.loads(line) for line in done.stdout.splitlines()]
    assert [o["id"] for o in out] == ["a", None, "b", "c", "d"]
    first = out[0]
    assert first["facts"]["relapse_confirmed"] is True
    assert first["facts"]["dli_indication"] == "relapsed_refractory_persistent"
    assert len(first["facts"]) == 14
    start, end = first["spans"]["relapse_confirmed"]
    assert NOTE[start:end] == first["evidence"]["relapse_confirmed"]
    assert out[1]["error"]["code"] == "invalid_json"
    assert out[2]["error"] == {
        "code": "invalid_note",
        "field": "text",
        "message": "a note needs its text",
        "accepted": "a non-empty string",
    }
    assert out[3]["error"]["field"] == "service"
    assert "38242" in out[3]["error"]["message"]
    assert out[4]["facts"]["active_gvhd"] == "none"
    assert "Traceback" not in done.stderr


@pytest.mark.slow
def test_a_plain_text_file_is_one_note_named_after_the_file(tmp_path: Path) -> None:
    path = tmp_path / "referral.txt"
    path.write_text(NOTE + "\nHis sister has breast cancer.\n", encoding="utf-8")
    done = run(str(path))
    assert done.returncode == 0, done.stderr
    (line,) = done.stdout.splitlines()
    result = json.loads(line)
    assert result["id"] == "referral.txt"
    assert result["facts"]["diagnosis_category"] == "hematologic_malignancy"
    assert any(a["kind"] == "family" for a in result["assertions"])


def test_a_missing_file_is_one_clear_line_and_status_2(tmp_path: Path) -> None:
    done = run(str(tmp_path / "nope.jsonl"))
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith("medpolicy: cannot read")


def test_empty_input_answers_nothing() -> None:
    done = run("-", stdin="\n\n")
    assert done.returncode == 0
    assert done.stdout == ""
