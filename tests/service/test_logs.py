"""Server logs never contain member ids, diagnoses or fact values, even when input is refused."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from medpolicy.service.cli import main

from .samples import adverse_request, pending_request
from .server import Server, create_database, fresh_idempotency_key

MEMBER = "MBR-MARKER-7f3a91"
REQUEST_ID = "REQ-MARKER-c04d"
DIAGNOSIS = "C92.42"
BAD_DIAGNOSIS = "X99.MARK7"
CHIMERISM = 42.4242
BAD_FACT_VALUE = "FACT-MARKER-b6e2"
RATIONALE = "RATIONALE-MARKER-19aa because the cells are from a new donor."
MARKERS = [MEMBER, REQUEST_ID, DIAGNOSIS, BAD_DIAGNOSIS, "42.4242", BAD_FACT_VALUE, RATIONALE]


def marked_request() -> dict[str, object]:
    request = pending_request()
    request["request_id"] = REQUEST_ID
    request["member"] = {"id": MEMBER, "line_of_business": "medicare", "state": "OH"}
    request["diagnoses"] = [DIAGNOSIS]
    request["facts"]["donor_chimerism_percent"] = CHIMERISM  # type: ignore[index]
    return request


def marked_adverse_request() -> dict[str, object]:
    """The marked request with cells from a new donor: a physician's case to deny."""
    request = marked_request()
    request["facts"] = {**adverse_request()["facts"], "donor_chimerism_percent": CHIMERISM}
    return request


def token(data_dir: Path, capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, str]:
    create_database(f"sqlite:///{data_dir / 'medpolicy.sqlite3'}")
    assert main(["token", "create", *args, "--data-dir", str(data_dir)]) == 0
    return {"Authorization": f"Bearer {capsys.readouterr().out.strip()}"}


@pytest.mark.slow
def test_marker_values_never_reach_the_server_log(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    provider = token(tmp_path, capsys, "--role", "provider", "--org", "acme")
    physician = token(tmp_path, capsys, "--role", "physician", "--name", "Ida Marsh, MD")
    nurse = token(tmp_path, capsys, "--role", "nurse")
    log = tmp_path / "server.log"
    with Server(tmp_path, log, log_level="debug") as server:
        client = httpx.Client(
            base_url=server.url,
            timeout=10,
            event_hooks={"request": [fresh_idempotency_key]},
        )
        body = {"request": marked_request(), "priority": "standard"}
        created = client.post("/v1/cases", json=body, headers=provider)
        assert created.status_code == 201, created.text
        case_id = created.json()["id"]
        bad_code = {**marked_request(), "diagnoses": [BAD_DIAGNOSIS]}
        bad_fact = marked_request()
        bad_fact["facts"] = {"prior_hsct": BAD_FACT_VALUE}
        answers = [
            client.post("/v1/determinations", json=marked_request(), headers=physician),
            client.post("/v1/determinations", json=bad_code, headers=physician),
            client.post("/v1/cases", json={"request": bad_fact, "priority": "standard"},
                        headers=provider),
            client.post("/v1/cases", json={"request": marked_request(), "priority": MEMBER},
                        headers=provider),
            client.post(f"/v1/cases/{case_id}/information",
                        json={"diagnoses": [BAD_DIAGNOSIS], "facts": {}},
                        headers={**provider, "If-Match": '"1"'}),
            client.post(f"/v1/cases/{case_id}/information",
                        json={"facts": {"donor_chimerism_percent": BAD_FACT_VALUE}},
                        headers={**provider, "If-Match": '"1"'}),
            client.post(f"/v1/cases/{case_id}/decision",
                        json={"decision": "deny", "rationale": RATIONALE, "criteria": ["x"]},
                        headers={**physician, "If-Match": '"1"'}),
            client.get(f"/v1/cases/{case_id}", headers=physician),
            client.get("/v1/cases", headers=provider),
        ]  # fmt: skip
        answers += deny_a_marked_case(client, provider, nurse, physician)
        client.close()
    assert [a.status_code for a in answers] == [
        *(200, 422, 422, 422, 422, 422, 422, 200, 200),
        *(422, 201, 403, 422, 200, 200, 409, 404),
    ]
    text = log.read_text()
    assert "POST /v1/cases 201" in text, "the log was not captured"
    assert "GET /v1/cases/{case_id} 404" in text, "the access log did not name the route"
    leaked = [marker for marker in MARKERS if marker in text]
    assert leaked == []


def deny_a_marked_case(
    client: httpx.Client,
    provider: dict[str, str],
    nurse: dict[str, str],
    physician: dict[str, str],
) -> list[httpx.Response]:
    """The error paths around a denial: invalid, forbidden, refused, done, too late, unknown."""
    invalid = marked_request()
    del invalid["service"]  # type: ignore[attr-defined]
    answers = [client.post("/v1/cases", json={"request": invalid, "priority": "standard"},
                           headers=provider)]  # fmt: skip
    created = client.post(
        "/v1/cases", json={"request": marked_adverse_request(), "priority": "expedited"},
        headers=provider,
    )  # fmt: skip
    answers.append(created)
    url = f"/v1/cases/{created.json()['id']}"
    criterion = created.json()["determination"]["criteria"][0]["id"]
    denial = {"decision": "deny", "rationale": RATIONALE, "criteria": [criterion]}
    answers += [
        client.post(f"{url}/decision", json=denial, headers={**nurse, "If-Match": '"1"'}),
        client.post(f"{url}/decision", json={**denial, "rationale": "no"},
                    headers={**physician, "If-Match": '"1"'}),
        client.post(f"{url}/decision", json=denial, headers={**physician, "If-Match": '"1"'}),
        client.get(url, headers=provider),
        client.post(f"{url}/information", json={"facts": {"donor_chimerism_percent": CHIMERISM}},
                    headers={**provider, "If-Match": '"1"'}),
        client.get(f"/v1/cases/{MEMBER}", headers=physician),
    ]  # fmt: skip
    return answers
