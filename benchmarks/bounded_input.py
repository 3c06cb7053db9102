"""Memory and event-loop figures for bounded input, on a real ``medpolicy serve``.

Starts the server on a fresh SQLite data folder and prints:

1. peak RSS (VmHWM) of the server after 4 concurrent bodies of each kind: anonymous 48 MB
   (refused before reading), authenticated 48 MB to the FHIR route (cut off at 20 MiB),
   and authenticated PAS Bundles just under the 20 MiB cap (parsed and decided);
2. ``/health`` latency (p50, p99, max) polled every 10 ms while one 20 MiB PAS Bundle is
   submitted.

Each scenario runs on its own server so that each peak is its own. Figures depend on the
machine; run it when the machine is quiet.

    .venv/bin/python benchmarks/bounded_input.py
"""

from __future__ import annotations

import base64
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

MIB = 1024 * 1024
CLAIM = {
    "resourceType": "Claim",
    "id": "claim-1",
    "identifier": [{"system": "http://example.org/claims", "value": "claim-1"}],
    "status": "active",
    "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/claim-type",
                         "code": "professional"}]},
    "use": "preauthorization",
    "patient": {"reference": "Patient/pat1"},
    "created": "2026-03-02T09:00:00Z",
    "insurer": {"reference": "Organization/plan"},
    "provider": {"reference": "Organization/clinic"},
    "priority": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/processpriority",
                             "code": "normal"}]},
    "diagnosis": [{"sequence": 1, "diagnosisCodeableConcept": {
        "coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "C92.02"}]}}],
    "insurance": [{"sequence": 1, "focal": True, "coverage": {"reference": "Coverage/cov1"}}],
    "item": [{"sequence": 1, "productOrService": {
        "coding": [{"system": "http://www.ama-assn.org/go/cpt", "code": "38242"}]},
        "servicedDate": "2026-03-02"}],
}  # fmt: skip


def pas_bundle(size: int, claim_id: str) -> bytes:
    """A PAS request Bundle of about ``size`` bytes: the Claim and a large attachment."""
    claim = {
        **CLAIM,
        "id": claim_id,
        "identifier": [{"system": "http://example.org/claims", "value": claim_id}],
    }
    entries: list[dict[str, Any]] = [
        {"fullUrl": f"http://ehr.example/fhir/Claim/{claim_id}", "resource": claim},
        {"fullUrl": "http://ehr.example/fhir/Patient/pat1", "resource": {
            "resourceType": "Patient", "id": "pat1", "name": [{"family": "Doe"}],
            "birthDate": "1970-01-01", "gender": "female"}},
        {"fullUrl": "http://ehr.example/fhir/Coverage/cov1", "resource": {
            "resourceType": "Coverage", "id": "cov1", "status": "active",
            "beneficiary": {"reference": "Patient/pat1"},
            "payor": [{"reference": "Organization/plan"}]}},
        {"fullUrl": "http://ehr.example/fhir/Organization/plan",
         "resource": {"resourceType": "Organization", "id": "plan", "name": "Plan"}},
        {"fullUrl": "http://ehr.example/fhir/Organization/clinic",
         "resource": {"resourceType": "Organization", "id": "clinic", "name": "Clinic"}},
    ]  # fmt: skip
    skeleton = json.dumps({"resourceType": "Bundle", "type": "collection", "entry": entries})
    raw = max(0, (size - len(skeleton) - 300) * 3 // 4)
    data = base64.b64encode(os.urandom(raw)).decode()
    entries.append(
        {
            "fullUrl": "http://ehr.example/fhir/Binary/b1",
            "resource": {
                "resourceType": "Binary",
                "id": "b1",
                "contentType": "application/pdf",
                "data": data,
            },
        }
    )
    bundle = {"resourceType": "Bundle", "type": "collection",
              "identifier": {"system": "http://example.org/bundles", "value": claim_id},
              "timestamp": "2026-03-02T09:00:00Z", "entry": entries}  # fmt: skip
    return json.dumps(bundle).encode()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def server() -> Iterator[tuple[str, int, str]]:
    """A fresh ``medpolicy serve``: its URL, its pid and a provider token."""
    folder = Path(tempfile.mkdtemp(prefix="medpolicy-bench-"))
    env = {**os.environ, "MEDPOLICY_AUDIT_KEY_FILE": str(folder / "audit.key")}
    base = [sys.executable, "-m", "medpolicy.service"]
    port = free_port()
    process = subprocess.Popen(
        [*base, "serve", "--data-dir", str(folder), "--port", str(port), "--log-level",
         "warning"], env=env, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if httpx.get(url + "/health", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.05)
    token = subprocess.run(
        [*base, "token", "create", "--role", "provider", "--org", "bench", "--data-dir",
         str(folder)], env=env, capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    try:
        yield url, process.pid, token
    finally:
        process.terminate()
        process.wait(timeout=20)


def memory_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def endless(total: int, chunk: int = MIB) -> Iterator[bytes]:
    block = b" " * chunk
    sent = 0
    while sent < total:
        yield block
        sent += chunk


def concurrently(count: int, work: Callable[[int], int]) -> list[int]:
    statuses = [0] * count

    def run(i: int) -> None:
        try:
            statuses[i] = work(i)
        except httpx.HTTPError as error:
            statuses[i] = -1 if "reset" not in str(error).lower() else -2

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def scenario(name: str, work: Callable[[str, str, int], int]) -> None:
    with server() as (url, pid, token):
        before = memory_kb(pid, "VmRSS")
        statuses = concurrently(4, lambda i: work(url, token, i))
        peak = memory_kb(pid, "VmHWM")
        print(f"{name}: statuses {statuses}; RSS before {before / 1024:.0f} MB, "
              f"peak {peak / 1024:.0f} MB")  # fmt: skip


def anonymous_48mb(url: str, _token: str, _i: int) -> int:
    return httpx.post(url + "/fhir/Claim/$submit", content=endless(48 * MIB), timeout=120,
                      headers={"Content-Type": "application/fhir+json"}).status_code  # fmt: skip


def authenticated_48mb(url: str, token: str, _i: int) -> int:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/fhir+json"}
    return httpx.post(url + "/fhir/Claim/$submit", content=endless(48 * MIB),
                      headers=headers, timeout=120).status_code  # fmt: skip


def just_under_cap(url: str, token: str, i: int) -> int:
    body = pas_bundle(20 * MIB - 64 * 1024, f"claim-{i}-{uuid.uuid4().hex[:6]}")
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/fhir+json"}
    return httpx.post(url + "/fhir/Claim/$submit", content=body, headers=headers,
                      timeout=300).status_code  # fmt: skip


def health_during_submission() -> None:
    with server() as (url, _pid, token):
        body = pas_bundle(20 * MIB - 64 * 1024, "claim-health")
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/fhir+json"}
        done = threading.Event()
        result: dict[str, Any] = {}

        def submit() -> None:
            began = time.perf_counter()
            result["status"] = httpx.post(
                url + "/fhir/Claim/$submit", content=body, headers=headers, timeout=300
            ).status_code
            result["seconds"] = time.perf_counter() - began
            done.set()  # fmt: skip

        thread = threading.Thread(target=submit)
        latencies = []
        with httpx.Client(base_url=url, timeout=30) as client:
            client.get("/health")
            thread.start()
            while not done.is_set():
                began = time.perf_counter()
                client.get("/health")
                latencies.append((time.perf_counter() - began) * 1000)
                time.sleep(0.01)
        thread.join()
        latencies.sort()
        p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
        print(f"/health during one 20 MiB PAS submission (status {result['status']}, "
              f"{result['seconds']:.2f} s): {len(latencies)} polls, p50 "
              f"{statistics.median(latencies):.1f} ms, p99 {p99:.1f} ms, max "
              f"{latencies[-1]:.1f} ms")  # fmt: skip


def main() -> None:
    scenario("4 x anonymous 48 MB to Claim/$submit", anonymous_48mb)
    scenario("4 x authenticated 48 MB to Claim/$submit", authenticated_48mb)
    scenario("4 x authenticated PAS Bundle just under 20 MiB", just_under_cap)
    health_during_submission()


if __name__ == "__main__":
    main()
