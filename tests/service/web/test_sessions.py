"""Sign-in, sessions, CSRF and idle logoff, over HTTP in process (the browser tests repeat
the reviewer's paths in chromium)."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from medpolicy.service.clock import FixedClock
from medpolicy.service.db.database import Database
from medpolicy.service.principal import SYSTEM
from medpolicy.service.tokens import TokenDesk

from ..samples import adverse_request
from .helpers import case_form, hidden, sign_in


def token(database: Database, clock: FixedClock, role: str, name: str = "Pat Reviewer, RN") -> str:
    org = "hope-oncology" if role == "provider" else None
    return TokenDesk(database, clock).issue(SYSTEM, role=role, org=org, name=name).secret


def test_a_nurse_token_becomes_a_strict_httponly_session_cookie(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    answer = sign_in(client, token(database, clock, "nurse"))
    assert answer.status_code == 303
    assert answer.headers["location"] == "/queue"
    cookie = next(c for c in answer.headers.get_list("set-cookie") if c.startswith("mp_session="))
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert "Secure" not in cookie  # plain HTTP here; Secure is set when served over TLS
    queue = client.get("/queue")
    assert queue.status_code == 200
    assert "Pat Reviewer, RN (nurse)" in queue.text


def test_the_session_cookie_is_secure_over_tls(database: Database, clock: FixedClock) -> None:
    from medpolicy.service.api.app import create_app

    with TestClient(create_app(database=database, clock=clock), base_url="https://wb") as tls:
        answer = sign_in(tls, token(database, clock, "physician"))
        cookie = answer.headers.get_list("set-cookie")
        assert any(c.startswith("mp_session=") and "Secure" in c for c in cookie)


def test_provider_and_admin_tokens_cannot_open_the_workbench(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    for role in ("provider", "admin"):
        answer = sign_in(client, token(database, clock, role))
        assert answer.status_code == 403
        assert f"A {role} token cannot open the reviewer workbench." in answer.text
        assert not any(c.startswith("mp_session=") for c in answer.headers.get_list("set-cookie"))
        assert client.get("/queue", follow_redirects=False).headers["location"] == "/signin"


def test_an_unknown_token_is_refused_without_echoing_it(client: TestClient) -> None:
    answer = sign_in(client, "mp_not-a-token-at-all")
    assert answer.status_code == 401
    assert "not known or has been revoked" in answer.text
    assert "mp_not-a-token-at-all" not in answer.text


def test_a_sign_in_form_from_elsewhere_is_refused(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    answer = client.post(
        "/signin",
        data={"token": token(database, clock, "nurse"), "csrf": "forged"},
        follow_redirects=False,
    )
    assert answer.status_code == 403
    assert client.get("/queue", follow_redirects=False).status_code == 303


def test_fifteen_idle_minutes_sign_the_reviewer_out(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    sign_in(client, token(database, clock, "nurse"))
    clock.at += timedelta(minutes=14, seconds=59)
    assert client.get("/queue").status_code == 200  # activity restarts the idle clock
    clock.at += timedelta(minutes=14, seconds=59)
    assert client.get("/queue").status_code == 200
    clock.at += timedelta(minutes=15)
    answer = client.get("/queue", follow_redirects=False)
    assert answer.headers["location"] == "/signin?ended=idle"
    page = client.get("/signin?ended=idle")
    assert "signed out after 15 minutes without activity" in page.text
    assert client.get("/queue", follow_redirects=False).status_code == 303


def test_sign_out_ends_the_session(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    sign_in(client, token(database, clock, "nurse"))
    csrf = hidden(client.get("/queue").text, "csrf")
    answer = client.post("/signout", data={"csrf": csrf}, follow_redirects=False)
    assert answer.headers["location"] == "/signin?ended=signed_out"
    assert client.get("/queue", follow_redirects=False).status_code == 303


def test_a_revoked_token_ends_its_sessions(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    desk = TokenDesk(database, clock)
    issued = desk.issue(SYSTEM, role="nurse", org=None, name="N")
    sign_in(client, issued.secret)
    desk.revoke(SYSTEM, token_id=issued.id)
    assert client.get("/queue", follow_redirects=False).headers["location"] == (
        "/signin?ended=revoked"
    )


def test_a_form_without_the_sessions_csrf_token_changes_nothing(
    client: TestClient,
    database: Database,
    clock: FixedClock,
    headers: dict[str, dict[str, str]],
) -> None:
    case = client.post(
        "/v1/cases",
        json={"request": adverse_request(), "priority": "standard"},
        headers=headers["provider"],
    ).json()
    sign_in(client, token(database, clock, "physician", "Dr. Maya Chen, MD"))
    _, revision = case_form(client, case["id"])
    for csrf in ("", "forged-token"):
        answer = client.post(
            f"/cases/{case['id']}/extension",
            data={"csrf": csrf, "revision": revision, "reason": "Waiting for records."},
        )
        assert answer.status_code == 403
        assert "did not come from your current workbench session" in answer.text
    after = client.get(f"/v1/cases/{case['id']}", headers=headers["physician"]).json()
    assert after["events"] == []
    assert after["extended_at"] is None


def test_pages_carry_a_strict_content_security_policy(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    sign_in(client, token(database, clock, "nurse"))
    for path in ("/signin", "/queue", "/policies/MCP-210"):
        answer = client.get(path)
        policy = answer.headers["content-security-policy"]
        assert "default-src 'none'" in policy
        assert "script-src" not in policy  # no script may run at all
        assert answer.headers["cache-control"] == "no-store"
        assert "<script" not in answer.text
        assert " style=" not in answer.text
