"""The audit log: every read and write of a case is on record, chained, and unchangeable."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from medpolicy.service import audit
from medpolicy.service.cli import main
from medpolicy.service.db.database import Database
from medpolicy.service.db.models import AuditEntry

from .samples import adverse_request, pending_request


def entries(database: Database) -> list[AuditEntry]:
    with database.transaction() as session:
        return list(session.scalars(select(AuditEntry).order_by(AuditEntry.seq)))


def work_a_case(client: TestClient, headers: dict[str, dict[str, str]]) -> str:
    case_id: str = client.post(
        "/v1/cases",
        json={"request": pending_request(), "priority": "expedited"},
        headers=headers["provider"],
    ).json()["id"]
    client.get(f"/v1/cases/{case_id}", headers=headers["nurse"])
    client.get("/v1/cases", headers=headers["physician"])
    client.post(
        f"/v1/cases/{case_id}/information",
        json={"facts": {}},
        headers={**headers["provider"], "If-Match": '"1"'},
    )
    client.post(
        f"/v1/cases/{case_id}/extension", json={"reason": "Records."}, headers=headers["nurse"]
    )
    client.post(
        f"/v1/cases/{case_id}/decision",
        json={"decision": "approve"},
        headers={**headers["nurse"], "If-Match": '"3"'},
    )
    return case_id


def test_every_read_and_write_of_a_case_is_recorded_with_who_and_when(
    client: TestClient, headers: dict[str, dict[str, str]], database: Database
) -> None:
    case_id = work_a_case(client, headers)
    case_entries = [
        e for e in entries(database) if e.case_id == case_id or case_id in (e.subjects or [])
    ]
    assert [(e.action, e.actor_role) for e in case_entries] == [
        ("case.create", "provider"),
        ("case.read", "nurse"),
        ("case.list", "physician"),
        ("case.information", "provider"),
        ("case.extension", "nurse"),
        ("case.decision", "nurse"),
        ("letter.create", "nurse"),
    ]
    assert all(e.actor_token_id and e.at for e in case_entries)


def test_a_listing_is_one_entry_naming_the_cases_it_showed(
    client: TestClient, headers: dict[str, dict[str, str]], database: Database
) -> None:
    ids = [
        client.post(
            "/v1/cases",
            json={"request": pending_request(), "priority": "standard"},
            headers=headers["provider"],
        ).json()["id"]
        for _ in range(3)
    ]
    before = len(entries(database))
    listed = client.get("/v1/cases", headers=headers["nurse"]).json()["items"]
    (entry,) = entries(database)[before:]
    assert entry.action == "case.list"
    assert entry.case_id is None
    assert entry.subjects == [c["id"] for c in listed]
    assert sorted(entry.subjects) == sorted(ids)
    with database.transaction() as session:
        assert audit.verify(session).ok


def test_a_refused_request_leaves_no_case_and_no_entry(
    client: TestClient, headers: dict[str, dict[str, str]], database: Database
) -> None:
    before = len(entries(database))
    request = adverse_request()
    request["facts"]["no_such_fact"] = True
    response = client.post(
        "/v1/cases", json={"request": request, "priority": "standard"}, headers=headers["provider"]
    )
    assert response.status_code == 422
    assert len(entries(database)) == before


def test_the_chain_verifies_when_untouched(
    client: TestClient, headers: dict[str, dict[str, str]], database: Database
) -> None:
    work_a_case(client, headers)
    with database.transaction() as session:
        result = audit.verify(session)
    assert result.ok
    assert result.checked == len(entries(database))


@pytest.mark.parametrize(
    "statement", ["UPDATE audit_log SET action = 'x'", "DELETE FROM audit_log"]
)
def test_the_database_refuses_to_change_the_log(
    client: TestClient, headers: dict[str, dict[str, str]], database: Database, statement: str
) -> None:
    work_a_case(client, headers)
    with pytest.raises(DatabaseError, match="append-only"), database.transaction() as session:
        session.execute(text(statement))


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_postgres_refuses_to_truncate_the_log(
    client: TestClient, headers: dict[str, dict[str, str]], database: Database
) -> None:
    assert not database.is_sqlite  # SQLite has no TRUNCATE; its DELETE guard is tested above
    work_a_case(client, headers)
    with pytest.raises(DatabaseError, match="append-only"), database.transaction() as session:
        session.execute(text("TRUNCATE audit_log"))
    assert len(entries(database)) >= 6


def tamper(database: Database, statement: str) -> None:
    """Change the log the way only someone with the database owner's keys could."""
    with database.engine.begin() as connection:
        if database.is_sqlite:
            connection.exec_driver_sql("DROP TRIGGER audit_log_no_update")
            connection.exec_driver_sql("DROP TRIGGER audit_log_no_delete")
        else:
            connection.exec_driver_sql("ALTER TABLE audit_log DISABLE TRIGGER USER")
        connection.exec_driver_sql(statement)


@pytest.mark.parametrize(
    ("statement", "broken_at", "words"),
    [
        ("UPDATE audit_log SET action = 'forged' WHERE seq = 3", 3, "altered"),
        ("DELETE FROM audit_log WHERE seq = 4", 5, "missing"),
        ("UPDATE audit_log SET prev_hash = hash WHERE seq = 2", 2, "does not point"),
        ("UPDATE audit_log SET action = 'forged' WHERE seq IN (5, 3)", 3, "altered"),
        ("DELETE FROM audit_log WHERE seq = 1", 2, "missing"),
    ],
)
def test_verify_reports_the_first_broken_link(  # noqa: PLR0917 - fixtures and parameters
    client: TestClient,
    headers: dict[str, dict[str, str]],
    database: Database,
    statement: str,
    broken_at: int,
    words: str,
) -> None:
    work_a_case(client, headers)
    tamper(database, statement)
    with database.transaction() as session:
        result = audit.verify(session)
    assert result.broken_at == broken_at
    assert result.reason is not None
    assert words in result.reason


def test_audit_verify_command_exits_1_and_names_the_entry(
    client: TestClient,
    headers: dict[str, dict[str, str]],
    database: Database,
    capsys: pytest.CaptureFixture[str],
) -> None:
    work_a_case(client, headers)
    assert main(["audit", "verify", "--database-url", database.url]) == 0
    assert "intact" in capsys.readouterr().out
    tamper(database, "UPDATE audit_log SET action = 'forged' WHERE seq = 6")
    assert main(["audit", "verify", "--database-url", database.url]) == 1
    assert "broken at entry 6" in capsys.readouterr().out
