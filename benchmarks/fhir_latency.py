"""Latency of PAS ``Claim/$submit`` and CRD ``order-sign`` on loopback.

Starts the real app under uvicorn on 127.0.0.1 with a throwaway SQLite database, then
sends requests one after another over HTTP and prints p50/p99. Bounded both in count
(``--count`` per endpoint) and in time (``--seconds`` per endpoint). CRD asks for answers
within 5 seconds 90% of the time and PAS within 15 seconds; our goal is p99 under 100 ms.

    .venv/bin/python benchmarks/fhir_latency.py --count 300
"""

from __future__ import annotations

import argparse
import socket
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import jwt
import uvicorn
from cryptography.hazmat.primitives.asymmetric import rsa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "fhir"))

from pas_payloads import MEETS, answers, coverage, pas_bundle, patient, service_request

from medpolicy.adapters.cds_hooks import TrustedIssuers
from medpolicy.service.api.app import create_app
from medpolicy.service.clock import FixedClock
from medpolicy.service.db.database import Database
from medpolicy.service.principal import SYSTEM
from medpolicy.service.tokens import TokenDesk

EHR = "https://ehr.example"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _measure(name: str, send: Callable[[int], httpx.Response], count: int, seconds: float) -> None:
    samples: list[float] = []
    deadline = time.perf_counter() + seconds
    for index in range(count):
        if time.perf_counter() > deadline:
            break
        started = time.perf_counter()
        response = send(index)
        samples.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{name}: HTTP {response.status_code}: {response.text[:300]}")
    print(
        f"{name:<16} n={len(samples):<5} p50={statistics.median(samples):6.1f} ms"
        f"  p99={_percentile(samples, 0.99):6.1f} ms  max={max(samples):6.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=300, help="requests per endpoint")
    parser.add_argument("--seconds", type=float, default=30.0, help="time limit per endpoint")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        database = Database(f"sqlite:///{Path(folder) / 'bench.sqlite3'}")
        clock = FixedClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
        app = create_app(database=database, clock=clock)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        app.state.crd_trusted_issuers = TrustedIssuers({EHR: key.public_key()})
        secret = (
            TokenDesk(database, clock).issue(SYSTEM, role="provider", org="bench", name="b").secret
        )
        port = _free_port()
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
        )
        # CRD accepts a call only for the URL the payer publishes (never on the strength
        # of a Host header): here, the loopback address this run listens on.
        app.state.public_base_url = f"http://127.0.0.1:{port}"
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        base = f"http://127.0.0.1:{port}"
        try:
            with httpx.Client(base_url=base, timeout=10) as http:
                _run(http, base, secret, key, count=args.count, seconds=args.seconds)
        finally:
            server.should_exit = True
            thread.join(timeout=10)


def _run(
    http: httpx.Client, base: str, secret: str, key: Any, *, count: int, seconds: float
) -> None:
    bearer = {"Authorization": f"Bearer {secret}"}
    completed = answers(**MEETS)

    def submit(index: int) -> httpx.Response:
        body = pas_bundle(claim_id=f"bench-{index}", response=completed)
        return http.post("/fhir/Claim/$submit", json=body, headers=bearer)

    url = f"{base}/cds-services/order-sign"
    hook = {
        "hook": "order-sign",
        "hookInstance": str(uuid.uuid4()),
        "context": {
            "userId": "Practitioner/1",
            "patientId": "pat1",
            "draftOrders": {
                "resourceType": "Bundle",
                "type": "collection",
                "entry": [{"resource": service_request()}],
            },
        },
        "prefetch": {"patient": patient(), "coverage": coverage()},
    }

    def order_sign(_index: int) -> httpx.Response:
        now = int(time.time())
        claims = {"iss": EHR, "aud": url, "iat": now, "exp": now + 300, "jti": str(uuid.uuid4())}
        token = jwt.encode(claims, key, algorithm="RS384")
        return http.post(url, json=hook, headers={"Authorization": f"Bearer {token}"})

    for warm in range(5):
        submit(10_000_000 + warm)
        order_sign(warm)
    _measure("Claim/$submit", submit, count, seconds)
    _measure("order-sign", order_sign, count, seconds)


if __name__ == "__main__":
    main()
