"""SIGKILL during a burst of submissions: every acknowledged case is there, exactly once."""

from __future__ import annotations

import threading
import time
import uuid
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from medpolicy.service.cli import main

from .samples import dli_request, pending_request
from .server import Server, create_database

WORKERS = 8
KILL_AFTER_ACKS = 150
BURST_SECONDS = 20


def token(url: str, capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, str]:
    create_database(url)
    assert main(["token", "create", *args, "--database-url", url]) == 0
    return {"Authorization": f"Bearer {capsys.readouterr().out.strip()}"}


def stored_keys(url: str) -> dict[str, int]:
    """How many cases the database holds per Idempotency-Key, read directly."""
    engine = create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT idempotency_key, COUNT(*) FROM cases GROUP BY 1"))
        counts = {str(key): int(count) for key, count in rows}
    engine.dispose()
    return counts


@pytest.mark.slow
def test_every_acknowledged_case_survives_sigkill_exactly_once(
    tmp_path: Path, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    provider = token(database_url, capsys, "--role", "provider", "--org", "acme")
    nurse = token(database_url, capsys, "--role", "nurse")
    log = tmp_path / "server.log"
    server = Server(tmp_path, log, database_url=database_url).start()
    acknowledged: dict[str, str] = {}
    bodies: dict[str, dict[str, object]] = {}
    lock, stop = threading.Lock(), threading.Event()

    def burst(worker: int) -> None:
        with httpx.Client(base_url=server.url, headers=provider, timeout=10) as client:
            while not stop.is_set():
                key = str(uuid.uuid4())
                body = {
                    "request": dli_request() if worker % 2 else pending_request(),
                    "priority": "expedited",
                }
                try:
                    response = client.post("/v1/cases", json=body, headers={"Idempotency-Key": key})
                except httpx.TransportError:
                    return
                if response.status_code == 201:
                    with lock:
                        acknowledged[key] = response.json()["id"]
                        bodies[key] = body

    threads = [threading.Thread(target=burst, args=(w,)) for w in range(WORKERS)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + BURST_SECONDS
    while len(acknowledged) < KILL_AFTER_ACKS and time.monotonic() < deadline:
        time.sleep(0.01)
    server.kill()
    stop.set()
    for thread in threads:
        thread.join()
    assert len(acknowledged) >= KILL_AFTER_ACKS // 2

    with Server(tmp_path, log, database_url=database_url) as restarted:
        client = httpx.Client(base_url=restarted.url, timeout=10)
        found = sum(
            client.get(f"/v1/cases/{case_id}", headers=nurse).status_code == 200
            for case_id in acknowledged.values()
        )
        replayed = {
            key: client.post(
                "/v1/cases", json=bodies[key], headers={**provider, "Idempotency-Key": key}
            )
            for key in acknowledged
        }
        client.close()
    counts = stored_keys(database_url)
    duplicates = sum(1 for key in acknowledged if counts.get(key, 0) > 1)
    stored_once = sum(1 for key in acknowledged if counts.get(key) == 1)
    print(
        f"\ncrash test ({database_url.split(':', maxsplit=1)[0]}): "
        f"acknowledged={len(acknowledged)} found={found} "
        f"stored_once={stored_once} duplicates={duplicates} stored_total={sum(counts.values())}"
    )
    assert {r.status_code for r in replayed.values()} == {200}
    assert {k: r.json()["id"] for k, r in replayed.items()} == acknowledged
    assert found == len(acknowledged)
    assert stored_once == len(acknowledged)
    assert duplicates == 0
    assert main(["audit", "verify", "--database-url", database_url]) == 0
