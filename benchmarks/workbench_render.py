"""Render time of the reviewer workbench's queue and case pages with 10,000 cases.

Builds a SQLite database holding 10,000 cases (real tables, each with a version decided by
the engine; a few hundred distinct requests, due times spread over two weeks, a fifth of
them expedited, some assigned), signs a physician in, then asks the service in process
(FastAPI through its ASGI test client, so routing, session check with its write, the
queries, the audit entry and Jinja2 rendering are all counted) for:

- the queue, first page and random pages, with and without filters (goal p99 < 200 ms);
- case pages of random cases (goal p99 < 100 ms).

    .venv/bin/python benchmarks/workbench_render.py [--cases 10000] [--samples 300]

Figures on a shared machine are noisy; the script prints p50/p95/p99 and the ratio to
each goal.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from medpolicy import evaluate
from medpolicy.service import deadlines
from medpolicy.service.api.app import create_app
from medpolicy.service.cases import STATUS_BY_OUTCOME
from medpolicy.service.clock import FixedClock
from medpolicy.service.db.database import Database
from medpolicy.service.db.models import Case, CaseVersion
from medpolicy.service.principal import SYSTEM
from medpolicy.service.tokens import TokenDesk

QUEUE_GOAL_MS = 200.0
CASE_GOAL_MS = 100.0
NOW = datetime(2026, 3, 9, 9, 0, tzinfo=UTC)
INDICATIONS = [
    "relapsed_refractory_persistent",
    "mixed_chimerism_conversion",
    "relapse_prophylaxis",
    None,
]
SOURCES = ["original_donor", "other_donor", None]


def sample_request(number: int, rng: random.Random) -> dict[str, Any]:
    """A DLI request with a mix of outcomes (met, pending, adverse)."""
    facts: dict[str, Any] = {
        "prior_hsct": "allogeneic",
        "prior_hsct_medically_necessary": True,
        "lymphocytes_genetically_modified": False,
        "dli_indication": rng.choice(INDICATIONS),
        "cell_source": rng.choice(SOURCES),
        "donor_chimerism_percent": rng.choice([None, 40, 85, 100]),
    }
    return {
        "request_id": f"BENCH-{number}",
        "member": {"id": f"M{number:06d}", "line_of_business": "medicaid", "state": "OH"},
        "service": {"code": "38242", "date_of_service": "2026-03-02"},
        "diagnoses": ["C92.02", "Z94.84"],
        "facts": {k: v for k, v in facts.items() if v is not None},
    }


def fill(database: Database, count: int, submitter: str) -> list[str]:
    """Insert ``count`` cases with their first version; their ids."""
    rng = random.Random(210)
    ids: list[str] = []
    decided: dict[str, dict[str, Any]] = {}
    with database.transaction() as session:
        for number in range(count):
            request = sample_request(number, rng)
            key = repr(sorted(request["facts"].items()))
            if key not in decided:
                decided[key] = evaluate(request).to_dict()
            determination = decided[key]
            priority = "expedited" if rng.random() < 0.2 else "standard"
            received = NOW - timedelta(minutes=rng.randrange(0, 14 * 24 * 60))
            case = Case(
                id=str(uuid.uuid4()),
                org="hope-oncology",
                priority=priority,
                status=STATUS_BY_OUTCOME[determination["outcome"]],
                outcome=determination["outcome"],
                received_at=received,
                due_at=deadlines.due_at(received, priority),
                version=1,
                submitted_by=submitter,
                request_sha256=uuid.uuid4().hex * 2,
                service_code="38242",
                assigned_to=submitter if rng.random() < 0.1 else None,
            )
            session.add(case)
            session.add(
                CaseVersion(
                    case_id=case.id,
                    number=1,
                    kind="submitted",
                    created_at=received,
                    actor_token_id=submitter,
                    request=request,
                    determination=determination,
                )
            )
            ids.append(case.id)
    return ids


def timed(client: TestClient, paths: list[str]) -> list[float]:
    """Milliseconds for each GET, in order; every answer must be a page."""
    times = []
    for path in paths:
        started = time.perf_counter()
        answer = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 200, (path, answer.status_code)
    return times


def report(name: str, times: list[float], goal: float) -> None:
    """Print p50/p95/p99 and the ratio of p99 to the goal."""
    ordered = sorted(times)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    p95 = ordered[int(len(ordered) * 0.95)]
    print(
        f"{name:<34} n={len(times):<4} p50 {statistics.median(times):6.1f} ms  "
        f"p95 {p95:6.1f} ms  p99 {p99:6.1f} ms  goal {goal:.0f} ms  "
        f"p99/goal {p99 / goal:.2f} {'OK' if p99 < goal else 'OVER'}"
    )


def main() -> None:
    """Build the database, sign in, time the pages."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        database = Database(f"sqlite:///{Path(folder) / 'bench.sqlite3'}")
        clock = FixedClock(NOW)
        app = create_app(database=database, clock=clock)
        issued = TokenDesk(database, clock).issue(SYSTEM, role="physician", org=None, name="B")
        started = time.perf_counter()
        ids = fill(database, args.cases, issued.id)
        print(f"{len(ids)} cases stored in {time.perf_counter() - started:.1f} s (SQLite)")
        rng = random.Random(38242)
        with TestClient(app) as client:
            form = client.get("/signin").text
            nonce = re.search(r'name="csrf" value="([^"]+)"', form)
            assert nonce is not None
            client.post("/signin", data={"token": issued.secret, "csrf": nonce.group(1)})
            pages = max(1, args.cases // 50)
            queue_paths = [
                rng.choice(
                    [
                        "/queue",
                        f"/queue?page={rng.randrange(1, pages // 2 + 1)}",
                        "/queue?status=in_review&priority=expedited",
                        "/queue?status=any&service=38242",
                        "/queue?mine=1",
                    ]
                )
                for _ in range(args.samples)
            ]
            timed(client, queue_paths[:10])  # warm caches (templates, ICD-10-CM titles)
            label = f"queue page ({args.cases:,} cases)"
            report(label, timed(client, queue_paths), QUEUE_GOAL_MS)
            case_paths = [f"/cases/{rng.choice(ids)}" for _ in range(args.samples)]
            timed(client, case_paths[:10])
            report("case page", timed(client, case_paths), CASE_GOAL_MS)
        database.dispose()


if __name__ == "__main__":
    main()
