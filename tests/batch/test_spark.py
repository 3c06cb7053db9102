"""Spark (local mode) gives the same report as the embedded review on the same input."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

pytest.importorskip("pyspark", reason="pip install '.[spark]' for the Spark review")

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs Java 17")
def test_spark_local_and_duckdb_write_identical_findings_errors_and_summary(
    tmp_path: Path,
) -> None:
    claims, auths = tmp_path / "claims.parquet", tmp_path / "auths.parquet"
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "make_claims.py"),
            "20000",
            "--out",
            str(claims),
            "--authorizations",
            str(auths),
        ],
        check=True,
        capture_output=True,
    )
    from medpolicy.batch import ReviewJob, review_claims

    embedded = review_claims(ReviewJob(str(claims), tmp_path / "duck", str(auths)))
    spark = review_claims(
        ReviewJob(str(claims), tmp_path / "spark", str(auths), engine="spark", master="local[2]")
    )
    duck_rows = pq.read_table(tmp_path / "duck" / "findings.parquet").sort_by("row").to_pylist()
    spark_rows = pq.read_table(tmp_path / "spark" / "findings.parquet").sort_by("row").to_pylist()
    assert len(duck_rows) > 19_000
    assert spark_rows == duck_rows
    for name in ("errors.csv", "summary.csv"):
        assert (tmp_path / "spark" / name).read_bytes() == (tmp_path / "duck" / name).read_bytes()
    assert spark.patterns == embedded.patterns
    assert embedded.errors > 0
    assert {r["finding"] for r in duck_rows} >= {
        "not_addressed",
        "authorized",
        "unauthorized_paid",
        "not_met_or_experimental",
        "insufficient_information",
    }
