"""Load driver for the prior-authorization service on loopback.

Sends requests at a fixed rate (open loop: a slow answer does not slow the sender, so
queueing shows up in the latency) to ``POST /v1/determinations`` and then to
``POST /v1/cases``, and prints throughput and p50/p99 latency for each. Bounded in
count (``--rate`` x ``--seconds`` per endpoint) and in time (``--timeout``).

Without ``--url`` it starts ``medpolicy serve`` itself on a fresh SQLite data folder and
makes a provider token; with ``--url`` give a provider ``--token``.

    .venv/bin/python benchmarks/load_service.py --rate 100 --seconds 10
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

GOAL_P99_MS = 50.0


def sample_request(number: int) -> dict[str, Any]:
    """A DLI request; every other one lacks the indication (insufficient information)."""
    facts: dict[str, Any] = {
        "prior_hsct": "allogeneic",
        "prior_hsct_medically_necessary": True,
        "cell_source": "original_donor",
        "lymphocytes_genetically_modified": False,
    }
    if number % 2 == 0:
        facts["dli_indication"] = "relapsed_refractory_persistent"
    return {
        "request_id": f"BENCH-{number}",
        "member": {"id": f"M{number:06d}", "line_of_business": "medicaid", "state": "OH"},
        "service": {"code": "38242", "date_of_service": "2026-03-02"},
        "diagnoses": ["C92.02", "Z94.84"],
        "facts": facts,
    }


@dataclass
class Result:
    """Latencies and failures of one endpoint's run."""

    name: str
    latencies_ms: list[float] = field(default_factory=list)
    failures: dict[str, int] = field(default_factory=dict)
    elapsed_s: float = 0.0

    def percentile(self, share: float) -> float:
        """Latency at ``share`` (0..1), nearest rank."""
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]

    def line(self) -> str:
        """One line of figures."""
        if not self.latencies_ms:
            return f"{self.name:<22} no successful requests; failures {self.failures}"
        ok = len(self.latencies_ms)
        return (
            f"{self.name:<22} {ok:>6} ok  {ok / self.elapsed_s:7.1f} req/s  "
            f"p50 {self.percentile(0.50):6.1f} ms  p99 {self.percentile(0.99):6.1f} ms  "
            f"max {max(self.latencies_ms):6.1f} ms  "
            f"mean {statistics.fmean(self.latencies_ms):6.1f} ms  "
            f"failures {sum(self.failures.values())}"
        )


async def drive(
    client: httpx.AsyncClient, *, path: str, body_of: Any, rate: float, count: int
) -> Result:
    """Send ``count`` requests at ``rate`` per second; wait for all answers."""
    result = Result(path)

    async def one(number: int) -> None:
        body, headers = body_of(number)
        started = time.perf_counter()
        try:
            response = await client.post(path, json=body, headers=headers)
        except httpx.HTTPError as error:
            kind = type(error).__name__
            result.failures[kind] = result.failures.get(kind, 0) + 1
            return
        latency = (time.perf_counter() - started) * 1000
        if response.status_code in {200, 201}:
            result.latencies_ms.append(latency)
        else:
            key = f"HTTP {response.status_code}"
            result.failures[key] = result.failures.get(key, 0) + 1

    start = time.perf_counter()
    tasks = []
    for number in range(count):
        delay = start + number / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(number)))
    await asyncio.gather(*tasks)
    result.elapsed_s = time.perf_counter() - start
    return result


async def run(url: str, token: str, rate: float, count: int) -> list[Result]:
    """Warm up, then load each endpoint in turn."""
    auth = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    async with httpx.AsyncClient(base_url=url, headers=auth, timeout=30, limits=limits) as client:
        for number in range(20):
            await client.post("/v1/determinations", json=sample_request(number))
        determinations = await drive(
            client,
            path="/v1/determinations",
            body_of=lambda n: (sample_request(n), {}),
            rate=rate,
            count=count,
        )
        cases = await drive(
            client,
            path="/v1/cases",
            body_of=lambda n: (
                {"request": sample_request(n), "priority": "standard"},
                {"Idempotency-Key": str(uuid.uuid4())},
            ),
            rate=rate,
            count=count,
        )
    return [determinations, cases]


@contextmanager
def local_server(port: int) -> Iterator[tuple[str, str]]:
    """``medpolicy serve`` on a fresh SQLite folder; yields its URL and a provider token."""
    src = str(Path(__file__).resolve().parents[1] / "src")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])}
    with tempfile.TemporaryDirectory(prefix="medpolicy-bench-") as data_dir:
        base = [sys.executable, "-m", "medpolicy.service"]
        server = subprocess.Popen(
            [*base, "serve", "--data-dir", data_dir, "--port", str(port),
             "--log-level", "warning"],
            env=env,
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        try:
            wait_for(url)  # the server creates the database; a token needs one
            token = subprocess.run(
                [*base, "token", "create", "--role", "provider", "--org", "bench",
                 "--data-dir", data_dir],
                check=True, capture_output=True, text=True, env=env,
            ).stdout.strip()  # fmt: skip
            yield url, token
        finally:
            server.terminate()
            server.wait(timeout=15)


def wait_for(url: str, seconds: float = 30) -> None:
    """Until ``/health`` answers."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise SystemExit(f"no answer from {url}/health")


def main() -> int:
    """Parse arguments, run the load, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running server (default: start one)")
    parser.add_argument("--token", help="a provider token for --url")
    parser.add_argument("--port", type=int, default=8299, help="port for the local server")
    parser.add_argument("--rate", type=float, default=100.0, help="requests per second")
    parser.add_argument("--seconds", type=float, default=10.0, help="seconds per endpoint")
    parser.add_argument("--timeout", type=float, default=120.0, help="give up after this")
    args = parser.parse_args()
    count = max(1, min(int(args.rate * args.seconds), 100_000))

    async def bounded(url: str, token: str) -> list[Result]:
        return await asyncio.wait_for(run(url, token, args.rate, count), args.timeout)

    if args.url:
        if not args.token:
            parser.error("--url needs --token")
        results = asyncio.run(bounded(args.url, args.token))
    else:
        with local_server(args.port) as (url, token):
            results = asyncio.run(bounded(url, token))
    print(f"load: {count} requests per endpoint at {args.rate:g} req/s on loopback")
    for result in results:
        print(result.line())
    worst = max((r.percentile(0.99) for r in results if r.latencies_ms), default=float("inf"))
    print(f"goal p99 < {GOAL_P99_MS:g} ms: {'met' if worst < GOAL_P99_MS else 'NOT met'}")
    return 0 if all(r.latencies_ms and not r.failures for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
