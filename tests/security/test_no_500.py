"""No 500 on any input, on SQLite and PostgreSQL: NUL characters (which PostgreSQL cannot
store) in a PAS Claim identifier or in CDS Hooks feedback, NaN in feedback, 310-digit
numbers, and a JWT whose exp is no time. A refused PAS submission opens no case."""

from __future__ import annotations

import json
import time
import uuid

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from medpolicy.adapters.cds_hooks import TrustedIssuers
from medpolicy.service.db.database import Database
from medpolicy.service.db.models import Case
from tests.fhir.pas_payloads import pas_bundle
from tests.service.samples import dli_request

EHR = "https://ehr.example"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
Headers = dict[str, dict[str, str]]


@pytest.fixture
def crd(client: TestClient) -> TestClient:
    client.app.state.crd_trusted_issuers = TrustedIssuers({EHR: KEY.public_key()})  # type: ignore[attr-defined]
    client.app.state.public_base_url = "http://testserver"  # type: ignore[attr-defined]
    return client


def signed(path: str, **claims: object) -> dict[str, str]:
    now = int(time.time())
    body = {"iss": EHR, "aud": "http://testserver" + path, "iat": now, "exp": now + 60}
    body.update({"jti": str(uuid.uuid4()), **claims})
    return {"Authorization": "Bearer " + jwt.encode(body, KEY, algorithm="RS384")}


def cases_in(database: Database) -> int:
    with database.transaction() as session:
        return session.scalar(select(func.count()).select_from(Case)) or 0


def test_a_nul_in_a_pas_identifier_is_400_and_opens_no_case(
    client: TestClient, headers: Headers, database: Database
) -> None:
    bundle = pas_bundle(claim_id="claim\u00001")
    response = client.post("/fhir/Claim/$submit", json=bundle, headers=headers["provider"])
    assert response.status_code == 400, response.text
    assert "NUL" in response.json()["issue"][0]["diagnostics"]
    assert cases_in(database) == 0


@pytest.mark.parametrize(
    "body",
    [
        '{"feedback": [{"card": "a\\u0000b", "outcome": "accepted"}]}',
        '{"feedback": [{"card": "a", "outcome": "accepted", "weight": NaN}]}',
        '{"feedback": [{"card": "a", "outcome": "accepted", "n": ' + "9" * 310 + "}]}",
    ],
    ids=["nul", "nan", "310-digits"],
)
def test_crd_feedback_that_cannot_be_stored_is_400(crd: TestClient, body: str) -> None:
    path = "/cds-services/order-sign/feedback"
    response = crd.post(
        path,
        content=body.encode(),
        headers={**signed(path), "Content-Type": "application/json"},
    )
    assert response.status_code == 400, response.text


def test_a_310_digit_number_is_400_on_every_route(client: TestClient, headers: Headers) -> None:
    request = dli_request()
    request["facts"]["donor_chimerism_percent"] = 0
    text = json.dumps({"request": request, "priority": "standard"}).replace(
        '"donor_chimerism_percent": 0', '"donor_chimerism_percent": ' + "1" * 310
    )
    for path, role in (("/v1/cases", "provider"), ("/v1/determinations", "nurse")):
        payload = (
            text
            if path == "/v1/cases"
            else json.dumps(request).replace(
                '"donor_chimerism_percent": 0', '"donor_chimerism_percent": ' + "1" * 310
            )
        )
        response = client.post(
            path,
            content=payload.encode(),
            headers={**headers[role], "Content-Type": "application/json"},
        )
        assert response.status_code == 400, (path, response.text)


@pytest.mark.parametrize("exp", [10**20, 2**63, -1])
def test_a_jwt_whose_exp_is_no_time_is_401(crd: TestClient, exp: int) -> None:
    path = "/cds-services/order-sign"
    response = crd.post(
        path, json={"hook": "order-sign", "context": {}}, headers=signed(path, exp=exp)
    )
    assert response.status_code == 401, response.text
