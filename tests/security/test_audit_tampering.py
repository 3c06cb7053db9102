"""Tampering with a copy of the database, the way someone with the owner's access would,
and what ``medpolicy audit verify`` says about it.

Each case starts from a worked database (a denial, an approval, tokens), copies it, writes a
signed checkpoint of the copy as the running service would, tampers with the copy and runs
the command on it. The original is left alone and still verifies.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from medpolicy.service.api.app import create_app
from medpolicy.service.audit_checkpoint import CheckpointWriter
from medpolicy.service.audit_key import load_key
from medpolicy.service.cli import main
from medpolicy.service.clock import FixedClock
from medpolicy.service.config import ServiceSettings
from medpolicy.service.db.database import Database
from tests.service.samples import adverse_request, dli_request, if_match

Headers = dict[str, dict[str, str]]


def work(client: TestClient, headers: Headers) -> str:
    """A denied case, an approved one, and reads: returns the denied case's id."""
    denied = client.post(
        "/v1/cases",
        json={"request": adverse_request(), "priority": "standard"},
        headers=headers["provider"],
    ).json()
    criterion = denied["determination"]["criteria"][0]["id"]
    decision = {
        "decision": "deny",
        "rationale": "The donor lymphocytes would not come from the original donor.",
        "criteria": [criterion],
    }
    answer = client.post(
        f"/v1/cases/{denied['id']}/decision",
        json=decision,
        headers={**headers["physician"], **if_match(denied)},
    )
    assert answer.status_code == 200, answer.text
    client.post(
        "/v1/cases", json={"request": dli_request(), "priority": "standard"},
        headers=headers["provider"],
    )  # fmt: skip
    client.get(f"/v1/cases/{denied['id']}", headers=headers["nurse"])
    return str(denied["id"])


@pytest.fixture
def copy_url(
    client: TestClient, headers: Headers, database: Database, tmp_path: Path
) -> Iterator[tuple[str, str]]:
    """A copy of the worked database (its URL) and the denied case's id."""
    case_id = work(client, headers)
    url = make_url(database.url)
    if database.is_sqlite:
        database.dispose()
        copy = tmp_path / "copy.sqlite3"
        shutil.copyfile(url.database or "", copy)
        yield f"sqlite:///{copy}", case_id
        return
    name = f"medpolicy_copy_{uuid.uuid4().hex[:10]}"
    database.dispose()
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{url.database}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False), case_id
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def checkpoint(url: str) -> None:
    """A signed checkpoint of the database as it stands, as the running service writes."""
    copy = Database(url)
    settings = ServiceSettings()
    clock = FixedClock(datetime(2026, 3, 2, 10, 0, tzinfo=UTC))
    try:
        CheckpointWriter(copy, clock, settings, load_key(settings, create=False)).write()
    finally:
        copy.dispose()


def tamper(url: str, *statements: str) -> None:
    """Run statements as the database owner, with the audit log's guards out of the way."""
    engine = create_engine(url)
    with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            connection.exec_driver_sql("DROP TRIGGER IF EXISTS audit_log_no_update")
            connection.exec_driver_sql("DROP TRIGGER IF EXISTS audit_log_no_delete")
        else:
            connection.exec_driver_sql("ALTER TABLE audit_log DISABLE TRIGGER USER")
        for statement in statements:
            connection.exec_driver_sql(statement)
    engine.dispose()


def verify(url: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    status = main(["audit", "verify", "--database-url", url])
    out = capsys.readouterr().out
    print(f"--- audit verify on {make_url(url).get_backend_name()}:\n{out}")  # for the report
    return status, out


def test_an_untouched_copy_verifies(
    copy_url: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    url, _ = copy_url
    checkpoint(url)
    status, out = verify(url, capsys)
    assert status == 0, out
    assert "audit log intact" in out
    assert "match what the log recorded" in out
    assert "checkpoints: 1 in" in out


def test_deleting_the_last_entries_is_caught_by_the_checkpoint(
    copy_url: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    url, _ = copy_url
    checkpoint(url)
    tamper(url, "DELETE FROM audit_log WHERE seq > (SELECT max(seq) - 2 FROM audit_log)")
    status, out = verify(url, capsys)
    assert status == 1
    assert "were removed" in out
    assert "NOT intact" in out


def test_an_entry_edited_and_the_plain_chain_recomputed_is_caught(
    copy_url: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    """Yesterday's attack: rewrite an entry and recompute SHA-256 links from there on."""
    url, _ = copy_url
    engine = create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT seq, at, actor_token_id, actor_role, action, case_id, rows "
                 "FROM audit_log ORDER BY seq")
        ).all()  # fmt: skip
    engine.dispose()
    statements, prev = [], "0" * 64
    for seq, at, actor, role, recorded, case_id, row_digests in rows:
        action = "case.read" if seq == 2 else recorded
        payload = json.dumps(
            {"prev": prev, "seq": seq, "at": str(at), "actor": actor, "role": role,
             "action": action, "case": case_id, "rows": row_digests},
            sort_keys=True, separators=(",", ":"),
        )  # fmt: skip
        digest = hashlib.sha256(payload.encode()).hexdigest()
        statements.append(
            f"UPDATE audit_log SET action = '{action}', prev_hash = '{prev}', "
            f"hash = '{digest}' WHERE seq = {seq}"
        )
        prev = digest
    tamper(url, *statements)
    status, out = verify(url, capsys)
    assert status == 1
    assert "broken at entry 1" in out
    assert "MAC does not match" in out


def test_a_denied_case_rewritten_as_approved_is_caught(
    copy_url: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    url, case_id = copy_url
    tamper(
        url,
        f"UPDATE cases SET status = 'approved' WHERE id = '{case_id}'",
        f"DELETE FROM case_events WHERE case_id = '{case_id}'",
    )
    status, out = verify(url, capsys)
    assert status == 1
    assert f"cases/{case_id} differs from what audit entry" in out
    assert "case_events/1, recorded by audit entry" in out
    assert "is missing" in out


def test_an_edited_decision_rationale_is_caught(
    copy_url: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    url, _ = copy_url
    tamper(url, "UPDATE case_events SET actor_role = 'nurse'")
    status, out = verify(url, capsys)
    assert status == 1
    assert "case_events/1 differs from what audit entry" in out


def test_a_token_whose_role_is_raised_is_caught(
    copy_url: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    url, _ = copy_url
    tamper(url, "UPDATE api_tokens SET role = 'admin' WHERE role = 'provider'")
    status, out = verify(url, capsys)
    assert status == 1
    assert "api_tokens/" in out
    assert "differs from what audit entry" in out


def test_a_token_inserted_behind_the_service_is_caught(
    copy_url: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    url, _ = copy_url
    tamper(
        url,
        "INSERT INTO api_tokens (id, token_sha256, role, created_at) VALUES "
        f"('forged', '{'a' * 64}', 'admin', '2026-03-02 09:00:00')",
    )
    status, out = verify(url, capsys)
    assert status == 1
    assert "api_tokens/forged has no audit entry" in out


def test_a_forged_checkpoint_line_is_refused(
    copy_url: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    url, _ = copy_url
    checkpoint(url)
    path = Path(os.environ["MEDPOLICY_AUDIT_CHECKPOINT_FILE"])
    last = json.loads(path.read_text().splitlines()[-1])
    with path.open("a") as handle:
        handle.write(json.dumps({**last, "count": 2}) + "\n")
    status, out = verify(url, capsys)
    assert status == 1
    assert "is not signed by this key" in out


def test_verify_without_the_key_refuses_to_vouch(
    copy_url: tuple[str, str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    url, _ = copy_url
    monkeypatch.setenv("MEDPOLICY_AUDIT_KEY_FILE", str(tmp_path / "nowhere" / "audit.key"))
    status, out = verify(url, capsys)
    assert status == 1
    assert "no audit key at" in out
    assert not (tmp_path / "nowhere").exists()


def test_first_start_makes_a_key_readable_by_its_owner_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MEDPOLICY_AUDIT_KEY_FILE")
    settings = ServiceSettings(data_dir=tmp_path)
    create_app(settings)
    key_file = tmp_path / "audit.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(key_file.read_text().strip()) == 64
    first = key_file.read_text()
    create_app(settings)
    assert key_file.read_text() == first
