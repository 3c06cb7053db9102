"""The `medpolicy` command as a user runs it: a real process, real files, real exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

MEDPOLICY = [sys.executable, "-m", "medpolicy.cli"]
GOOD = {
    "request_id": "A",
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


def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*MEDPOLICY, *args], input=stdin, capture_output=True, text=True, timeout=60, check=False
    )


def test_json_lines_are_answered_in_order_and_an_invalid_line_does_not_stop_the_rest() -> None:
    lines = [
        json.dumps(GOOD),
        json.dumps({**GOOD, "request_id": "B", "facts": {"donor_chimerism_percent": 112}}),
        "{not json",
        json.dumps(
            {
                **GOOD,
                "request_id": "C",
                "service": {"code": "Q2056", "date_of_service": "2026-04-10"},
            }
        ),
    ]
    done = run("evaluate", "-", stdin="\n".join(lines) + "\n")
    assert done.returncode == 2
    out = [json.loads(line) for line in done.stdout.splitlines()]
    assert [o.get("request_id") for o in out] == ["A", "B", None, "C"]
    assert out[0]["outcome"] == "meets_criteria"
    assert out[1]["error"]["field"] == "facts.donor_chimerism_percent"
    assert out[2]["error"]["code"] == "invalid_json"
    assert out[3]["outcome"] == "not_addressed"
    assert "Traceback" not in done.stderr


def test_one_pretty_printed_request_from_a_file_exits_zero(tmp_path: Path) -> None:
    path = tmp_path / "request.json"
    path.write_text(json.dumps(GOOD, indent=2))
    done = run("evaluate", str(path))
    assert done.returncode == 0
    (line,) = done.stdout.splitlines()
    determination = json.loads(line)
    assert determination["outcome"] == "meets_criteria"
    assert set(determination) >= {
        "request_id",
        "policy",
        "service",
        "coverage_basis",
        "outcome",
        "next_step",
        "reasons",
        "criteria",
        "exclusions",
        "missing",
        "warnings",
        "facts",
    }


def test_text_format_prints_a_checklist_for_a_person() -> None:
    request = {**GOOD, "facts": {**GOOD["facts"], "cell_source": "other_donor"}}
    done = run("evaluate", "--format", "text", stdin=json.dumps(request))
    assert done.returncode == 0
    assert "Outcome: does_not_meet_criteria" in done.stdout
    assert "[NOT MET] dli.2" in done.stdout
    assert "[met] dli.1" in done.stdout
    assert "not a denial" in done.stdout


def test_a_missing_file_is_one_clear_line_not_a_traceback(tmp_path: Path) -> None:
    done = run("evaluate", str(tmp_path / "nope.json"))
    assert done.returncode == 2
    assert "cannot read" in done.stderr
    assert "Traceback" not in done.stderr


def test_empty_input_is_an_error_not_a_silent_success(tmp_path: Path) -> None:
    done = run("evaluate", "-", stdin="\n\n")
    assert done.returncode == 2
    assert done.stdout == ""
    assert "no request in standard input: it is empty or holds only blank lines" in done.stderr
    empty = tmp_path / "requests.jsonl"
    empty.write_bytes(b"")
    from_file = run("evaluate", str(empty))
    assert from_file.returncode == 2
    assert f"no request in {empty}" in from_file.stderr


def test_policy_show_renders_criteria_with_citations() -> None:
    done = run("policy", "show", "MCP-210")
    assert done.returncode == 0
    assert "**dli.3.b**" in done.stdout
    assert "criterion 2.b" in done.stdout
    old = run("policy", "show", "mcp-210", "--version", "2014-11-11")
    assert "Reconstructed version" in old.stdout
    assert "not addressed" in old.stdout


def test_policy_show_json_carries_versions_and_evidence() -> None:
    done = run("policy", "show", "MCP-210", "--format", "json")
    data = json.loads(done.stdout)
    assert [v["id"] for v in data["versions"]] == ["2014-11-11", "2025-08-13"]
    assert len(data["evidence"]) >= 10


def test_policy_diff_names_the_criterion_that_changed() -> None:
    done = run("policy", "diff", "MCP-210", "2014-11-11", "2025-08-13")
    assert done.returncode == 0
    assert "**dli.3.b** logic" in done.stdout
    assert "relapse_confirmed = true" in done.stdout
    assert "Criteria added" in done.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("policy", "show", "MCP-999"), "no policy 'MCP-999'"),
        (("policy", "diff", "MCP-210", "2014-11-11", "2030-01-01"), "no version '2030-01-01'"),
    ],
)
def test_policy_commands_refuse_unknown_names_clearly(args: tuple[str, ...], message: str) -> None:
    done = run(*args)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_policy_check_runs_every_golden_case() -> None:
    done = run("policy", "check")
    assert done.returncode == 0
    assert "0 failed" in done.stdout
    passed = int(done.stdout.split("golden cases: ")[1].split(" passed")[0])
    assert passed >= 140


@pytest.mark.parametrize(
    "payload",
    [
        b"\xff\xfe not utf-8",
        b"[" * 100_000,
        b'{"service": ' * 50_000,
        b"1" * 10_000,
        b'"just a string"\n[1, 2]\nnull\n',
    ],
    ids=["not-utf8", "deep-list", "deep-object", "huge-number", "json-non-objects"],
)
def test_hostile_input_gets_a_clear_error_and_never_a_traceback(payload: bytes) -> None:
    done = subprocess.run(
        [*MEDPOLICY, "evaluate", "-"], input=payload, capture_output=True, timeout=60, check=False
    )
    assert done.returncode == 2
    assert b"Traceback" not in done.stderr
    assert b"Traceback" not in done.stdout
    for line in done.stdout.splitlines():
        assert "error" in json.loads(line)


def test_piped_requests_are_answered_one_by_one_before_input_ends() -> None:
    """An integration writes a request and waits for its answer on the same pipe."""
    with subprocess.Popen(
        [*MEDPOLICY, "evaluate", "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        assert process.stdin is not None
        assert process.stdout is not None
        for request_id in ("P1", "P2"):
            process.stdin.write(json.dumps({**GOOD, "request_id": request_id}) + "\n")
            process.stdin.flush()
            answer = json.loads(process.stdout.readline())
            assert answer["request_id"] == request_id
            assert answer["outcome"] == "meets_criteria"
        process.stdin.close()
        process.wait(timeout=30)
    assert process.returncode == 0


def test_a_utf8_byte_order_mark_and_windows_line_ends_are_accepted(tmp_path: Path) -> None:
    path = tmp_path / "requests.jsonl"
    lines = [json.dumps({**GOOD, "request_id": f"W{i}"}) for i in range(3)]
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(lines).encode() + b"\r\n")
    done = run("evaluate", str(path))
    assert done.returncode == 0
    assert [json.loads(line)["request_id"] for line in done.stdout.splitlines()] == [
        "W0",
        "W1",
        "W2",
    ]


def test_a_line_that_is_not_utf8_is_reported_and_the_rest_decided() -> None:
    payload = (
        json.dumps(GOOD).encode() + b"\n" + b'{"request_id": "\xff"}\n' + json.dumps(GOOD).encode()
    )
    done = subprocess.run(
        [*MEDPOLICY, "evaluate", "-"], input=payload, capture_output=True, timeout=60, check=False
    )
    assert done.returncode == 2
    out = [json.loads(line) for line in done.stdout.splitlines()]
    assert [o.get("outcome") for o in out] == ["meets_criteria", None, "meets_criteria"]
    assert "line 2 is not UTF-8" in out[1]["error"]["message"]


def test_a_file_with_blank_and_broken_lines_is_answered_as_a_pipe_is(tmp_path: Path) -> None:
    """A file's lines take the quick way when they are valid requests; every other line
    (blank, not UTF-8, not JSON, not a valid request) gets the same answer as from a pipe."""
    payload = b"\n".join(
        [
            json.dumps(GOOD).encode(),
            b"",
            b"   \t",
            json.dumps({**GOOD, "request_id": "B", "facts": {"relapse_confirmed": "yes"}}).encode(),
            b'{"request_id": "\xff"}',
            b"{not json",
            json.dumps({**GOOD, "request_id": "Z"}).encode(),
        ]
    )
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(payload + b"\n")
    from_file = subprocess.run(
        [*MEDPOLICY, "evaluate", str(path), "--quiet"], capture_output=True, timeout=60, check=False
    )
    from_pipe = subprocess.run(
        [*MEDPOLICY, "evaluate", "-", "--quiet"],
        input=payload,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert from_file.returncode == from_pipe.returncode == 2
    assert from_file.stdout == from_pipe.stdout
    out = [json.loads(line) for line in from_file.stdout.splitlines()]
    assert [o.get("request_id") for o in out] == ["A", "B", None, None, "Z"]
    assert out[1]["error"]["field"] == "facts.relapse_confirmed"
    assert "line 5 is not UTF-8" in out[2]["error"]["message"]
    assert out[3]["error"]["message"].startswith("line 6: not valid JSON")
    assert out[4]["outcome"] == "meets_criteria"
