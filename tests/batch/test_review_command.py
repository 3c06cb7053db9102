"""`medpolicy review` as a user runs it: a real process, real files, a readable report."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from .conftest import MEETS, claim

MEDPOLICY = [sys.executable, "-m", "medpolicy.cli"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*MEDPOLICY, *args], capture_output=True, text=True, timeout=120, check=False
    )


def test_review_prints_the_summary_and_writes_a_self_contained_html_report(
    tmp_path: Path, claims_file: Callable[..., Path], auths_file: Callable[..., Path]
) -> None:
    claims = claims_file(
        [
            claim("a", "38242", facts=MEETS, paid="1500.50", provider="P-7"),
            claim("b", "38242", member="B", facts=MEETS, paid="99.50", provider="P-7"),
            claim("c", "99213", paid="80.00"),
            claim(None, "99213"),
        ]
    )
    auths = auths_file([("PA-1", "B", "38242", "2026-03-01", "2026-03-02", "approved")])
    out = tmp_path / "report"
    done = run("review", str(claims), "--authorizations", str(auths), "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # no progress bar when stderr is not a terminal
    assert "Reviewed 3 of 4 claim lines" in done.stdout
    assert "1 could not be reviewed" in done.stdout
    table = {
        line.split()[0]: line.split()[1:]
        for line in done.stdout.splitlines()
        if line.split() and line.split()[0] in ("authorized", "meets_criteria_no_authorization")
    }
    assert table == {
        "authorized": ["1", "99.50"],
        "meets_criteria_no_authorization": ["1", "1,500.50"],
    }
    page = (out / "summary.html").read_text(encoding="utf-8")
    assert "<svg" in page
    assert "P-7" in page
    assert not re.search(r"(src|href)=['\"]?https?:", page)
    assert "<script" not in page
    summary = (out / "summary.csv").read_text(encoding="utf-8")
    assert "month,2026-03,meets_criteria_no_authorization,1,1500.50" in summary
    assert "M1" not in page + summary  # member ids stay in the findings file


def test_a_missing_file_is_one_line_and_exit_status_2(tmp_path: Path) -> None:
    done = run("review", str(tmp_path / "nope.parquet"), "--out", str(tmp_path / "r"))
    assert done.returncode == 2
    assert done.stderr.strip().startswith("medpolicy: cannot read")
    assert "Traceback" not in done.stderr


def test_a_missing_column_names_it_and_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "claims.csv"
    path.write_text("claim_id,line\nC1,1\n", encoding="utf-8")
    done = run("review", str(path), "--out", str(tmp_path / "r"))
    assert done.returncode == 2
    assert "it has no column member_id, service_code" in done.stderr
    assert not (tmp_path / "r").exists()
