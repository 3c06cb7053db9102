"""The service benchmarks the README quotes still run against the service as it is now.

Both drive the real HTTP service, so each hardening of it (a token needs an existing
database; CRD needs the published URL and a JWT with ``iat``) can break them unseen, as
it did before these tests. A short run of each must answer every request with success.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def _run(script: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), *args],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.mark.slow
def test_the_load_driver_starts_a_server_and_every_request_succeeds() -> None:
    out = _run("load_service.py", "--rate", "20", "--seconds", "1")
    rows = [line for line in out.splitlines() if line.startswith("/v1/")]
    assert [row.split()[0] for row in rows] == ["/v1/determinations", "/v1/cases"]
    for row in rows:
        assert row.split()[1] == "20"  # requests answered
        assert row.rstrip().endswith("failures 0")


@pytest.mark.slow
def test_the_fhir_latency_benchmark_gets_answers_from_pas_and_crd() -> None:
    out = _run("fhir_latency.py", "--count", "5")
    names = [line.split()[0] for line in out.splitlines() if "p50=" in line]
    assert names == ["Claim/$submit", "order-sign"]
