"""The queue and the case page say what a reviewer needs, and each look is audited."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from medpolicy.engine import Engine
from medpolicy.policy.registry import Registry
from medpolicy.service.api.app import create_app
from medpolicy.service.clock import FixedClock
from medpolicy.service.db.database import Database
from medpolicy.service.db.models import AuditEntry
from medpolicy.service.principal import SYSTEM
from medpolicy.service.tokens import TokenDesk
from tests.policy_copies import with_future_version

from ..samples import adverse_request, dli_request, pending_request
from .helpers import sign_in


def submit(
    client: TestClient, headers: dict[str, dict[str, str]], request: dict[str, Any], priority: str
) -> str:
    answer = client.post(
        "/v1/cases", json={"request": request, "priority": priority}, headers=headers["provider"]
    )
    assert answer.status_code == 201, answer.text
    case_id: str = answer.json()["id"]
    return case_id


def reviewer(client: TestClient, database: Database, clock: FixedClock, role: str) -> str:
    issued = TokenDesk(database, clock).issue(SYSTEM, role=role, org=None, name=f"{role} one")
    assert sign_in(client, issued.secret).status_code == 303
    return issued.id


def audited(database: Database, action: str) -> int:
    with database.transaction() as session:
        query = select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action)
        return int(session.scalar(query) or 0)


def rows(html: str) -> list[str]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", r)) for r in body.split("</tr>")[:-1]]


def test_the_queue_lists_open_cases_soonest_due_first_with_member_and_service(
    client: TestClient,
    database: Database,
    clock: FixedClock,
    headers: dict[str, dict[str, str]],
) -> None:
    standard = submit(client, headers, adverse_request(), "standard")
    expedited = submit(client, headers, pending_request(), "expedited")
    submit(client, headers, dli_request(), "standard")  # approved at once: not open
    clock.at += timedelta(hours=2, minutes=30)
    reviewer(client, database, clock, "nurse")
    page = client.get("/queue").text
    listed = rows(page)
    assert len(listed) == 2
    assert expedited[:8] in listed[0]
    assert "Expedited" in listed[0]
    assert "69 h left" in listed[0]
    assert standard[:8] in listed[1]
    assert "165 h left" in listed[1]
    assert "M0001" in listed[1]
    assert "38242" in listed[1]


def test_an_overdue_case_is_marked(
    client: TestClient,
    database: Database,
    clock: FixedClock,
    headers: dict[str, dict[str, str]],
) -> None:
    submit(client, headers, pending_request(), "expedited")
    clock.at += timedelta(hours=75)
    reviewer(client, database, clock, "nurse")
    (row,) = rows(client.get("/queue").text)
    assert "Overdue overdue by 3 h" in row


def test_queue_filters_and_paging(
    client: TestClient,
    database: Database,
    clock: FixedClock,
    headers: dict[str, dict[str, str]],
) -> None:
    for _ in range(52):
        submit(client, headers, pending_request(), "standard")
    adverse = submit(client, headers, adverse_request(), "expedited")
    other = adverse_request()
    other["service"]["code"] = "38243"
    submit(client, headers, other, "standard")
    reviewer(client, database, clock, "physician")
    first = client.get("/queue").text
    assert "54 cases" in first
    assert "page 1 of 2" in first
    assert len(rows(first)) == 50
    assert len(rows(client.get("/queue?page=2").text)) == 4
    only = rows(client.get("/queue?priority=expedited").text)
    assert len(only) == 1
    assert adverse[:8] in only[0]
    assert len(rows(client.get("/queue?status=in_review").text)) == 2
    assert len(rows(client.get("/queue?service=38243").text)) == 1
    assert "No case matches" in client.get("/queue?mine=1").text


def test_assign_to_me_puts_the_case_on_my_list(
    client: TestClient,
    database: Database,
    clock: FixedClock,
    headers: dict[str, dict[str, str]],
) -> None:
    case_id = submit(client, headers, adverse_request(), "standard")
    reviewer(client, database, clock, "nurse")
    page = client.get("/queue").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)
    assert csrf
    answer = client.post(
        f"/cases/{case_id}/assign", data={"csrf": csrf.group(1), "back": "/queue?mine=1"}
    )
    assert answer.status_code == 200
    (row,) = rows(answer.text)
    assert "nurse one" in row
    case = client.get(f"/v1/cases/{case_id}", headers=headers["nurse"]).json()
    assert [e["kind"] for e in case["events"]] == ["assignment"]


def test_the_case_page_shows_the_request_the_checklist_and_the_policy_passage(
    client: TestClient,
    database: Database,
    clock: FixedClock,
    headers: dict[str, dict[str, str]],
) -> None:
    case_id = submit(client, headers, adverse_request(), "standard")
    reviewer(client, database, clock, "physician")
    before = audited(database, "case.read")
    page = client.get(f"/cases/{case_id}").text
    assert audited(database, "case.read") == before + 1
    for expected in (
        "M0001",
        "Medicaid",
        "2026-03-02",
        "Plan policy",
        "MCP-210 version 2025-08-13",
        "C92.02</strong> Acute myeloblastic leukemia, in relapse",
        "Z94.84</strong> Stem cells transplant status",
        "Not met</span>\n  <strong>dli.2</strong>",
        'href="/policies/MCP-210?version=2025-08-13#dli.2"',
        "A different donor",
        "Does not meet criteria",
    ):
        assert expected in page, expected
    policy = client.get("/policies/MCP-210?version=2025-08-13").text
    assert '<li id="dli.2">' in policy
    assert "MCP-210, Coverage Policy, Donor Lymphocyte Infusion, criterion 1" in policy


def test_only_a_failure_looks_like_one_on_the_checklist(
    client: TestClient,
    database: Database,
    clock: FixedClock,
    headers: dict[str, dict[str, str]],
) -> None:
    """An unchosen alternative of a met "one of" and an exclusion that does not apply are
    drawn neutral with words saying so; the failed criterion alone reads "Not met"."""
    case_id = submit(client, headers, adverse_request(), "standard")
    reviewer(client, database, clock, "physician")
    page = client.get(f"/cases/{case_id}").text
    assert 'status-not_met">Not met</span>\n  <strong>dli.2</strong>' in page
    assert 'status-met">Met</span>\n  <strong>dli.3</strong>' in page
    assert 'status-not_needed">Not needed</span>\n  <strong>dli.3.b</strong>' in page
    assert 'status-does_not_apply">Does not apply</span>\n  <strong>dli.e1</strong>' in page
    assert 'status-does_not_apply">Does not apply</span>\n  <strong>dli.e2</strong>' in page
    assert page.count('status-not_met">Not met</span>') == 1


def test_a_reconstructed_policy_version_is_marked(
    client: TestClient,
    database: Database,
    clock: FixedClock,
    headers: dict[str, dict[str, str]],
) -> None:
    old = pending_request()
    old["service"]["date_of_service"] = "2020-05-01"
    case_id = submit(client, headers, old, "standard")
    reviewer(client, database, clock, "nurse")
    page = client.get(f"/cases/{case_id}").text
    assert "MCP-210 version 2014-11-11</a>" in page
    assert 'flag-reconstructed">Reconstructed' in page
    assert "Reconstructed" in client.get("/policies/MCP-210?version=2014-11-11").text


def test_missing_facts_show_their_questions_and_prefill_the_request(
    client: TestClient,
    database: Database,
    clock: FixedClock,
    headers: dict[str, dict[str, str]],
) -> None:
    case_id = submit(client, headers, pending_request(), "standard")
    reviewer(client, database, clock, "nurse")
    page = client.get(f"/cases/{case_id}").text
    question = "Why is the donor lymphocyte infusion being given"
    assert page.count(question) >= 2  # in the missing list and in the request form
    assert "Only a physician may deny or partially approve." in page
    assert 'value="deny"' not in page


def test_an_unknown_case_is_a_404_page_naming_it(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    reviewer(client, database, clock, "nurse")
    answer = client.get("/cases/no-such-case")
    assert answer.status_code == 404
    assert "No case &#39;no-such-case&#39; is visible" in answer.text


def _dates_line(html: str) -> str:
    found = re.search(r"for dates of service ([^.<]+)\.", html)
    assert found, "the policy page states no dates of service"
    return found.group(1)


def test_the_policy_page_gives_each_version_its_dates_and_an_open_end_from_its_first_day(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    reviewer(client, database, clock, "nurse")
    assert _dates_line(client.get("/policies/MCP-210").text) == "from 2025-08-13"
    old = client.get("/policies/MCP-210?version=2014-11-11").text
    assert _dates_line(old) == "2014-11-11 to 2025-08-12"
    assert "today" not in _dates_line(old)


def test_a_future_version_on_the_policy_page_reads_from_its_first_day(
    tmp_path: Path, database: Database, clock: FixedClock
) -> None:
    engine = Engine(Registry.from_directory(with_future_version(tmp_path)))
    with TestClient(create_app(database=database, clock=clock, engine=engine)) as client:
        reviewer(client, database, clock, "physician")
        future = client.get("/policies/MCP-210").text
        assert "version <strong>2027-01-01</strong>" in future.lower()
        assert _dates_line(future) == "from 2027-01-01"
        ended = client.get("/policies/MCP-210?version=2025-08-13").text
        assert _dates_line(ended) == "2025-08-13 to 2026-12-31"
