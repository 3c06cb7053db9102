"""Concurrent submissions: one case per Idempotency-Key, and an audit chain that still holds."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from medpolicy import evaluate
from medpolicy.service import audit
from medpolicy.service.cases import CaseDesk
from medpolicy.service.clock import SystemClock
from medpolicy.service.db import migrate
from medpolicy.service.db.database import Database
from medpolicy.service.db.models import Case
from medpolicy.service.principal import SYSTEM, Principal, Role
from medpolicy.service.tokens import TokenDesk

from .samples import dli_request, pending_request

THREADS = 8


def provider(database: Database) -> Principal:
    issued = TokenDesk(database, SystemClock()).issue(
        SYSTEM, role="provider", org="acme", name=None
    )
    return Principal(token_id=issued.id, role=Role.PROVIDER, org="acme", name=None)


def test_racing_retries_of_one_key_make_one_case(database: Database) -> None:
    migrate.upgrade(database)
    desk = CaseDesk(database, SystemClock(), evaluate)
    caller = provider(database)

    def submit(_: int) -> tuple[str, bool]:
        result = desk.submit(
            caller, request=dli_request(), priority="standard", idempotency_key="race"
        )
        return result.record.case.id, result.replayed

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(submit, range(THREADS * 2)))
    assert len({case_id for case_id, _ in results}) == 1
    assert sum(not replayed for _, replayed in results) == 1
    with database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 1


def test_concurrent_submissions_keep_the_audit_chain_whole(database: Database) -> None:
    migrate.upgrade(database)
    desk = CaseDesk(database, SystemClock(), evaluate)
    caller = provider(database)

    def submit(i: int) -> str:
        record = desk.submit(
            caller, request=pending_request(), priority="expedited", idempotency_key=f"k{i}"
        ).record
        desk.read(caller, case_id=record.case.id)
        return record.case.id

    with ThreadPoolExecutor(THREADS) as pool:
        ids = list(pool.map(submit, range(40)))
    assert len(set(ids)) == 40
    with database.transaction() as session:
        result = audit.verify(session)
    assert result.ok, result.reason
    assert result.checked == 1 + 40 * 2
