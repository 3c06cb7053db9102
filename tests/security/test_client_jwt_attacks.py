"""CDS Hooks client JWTs as an attacker would craft them: the algorithm of the other key
type, claims that are not integers or not times, long lives, long ids, and a service with
no public URL to check ``aud`` against. Each is a refusal (401), never a 500."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from fastapi.testclient import TestClient

from medpolicy.adapters.cds_hooks import ClientJwtError, TrustedIssuers
from medpolicy.service.api.app import create_app
from medpolicy.service.config import ConfigurationError, ServiceSettings
from medpolicy.service.db import migrate
from medpolicy.service.db.database import Database
from medpolicy.service.fhir_api.store import remember_jti
from tests.fhir.app_fixtures import make_harness

URL = "https://payer.example/cds-services/order-sign"
RSA_ISSUER, EC_ISSUER = "https://rsa-ehr.example", "https://ec-ehr.example"
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP384R1())
TRUSTED = TrustedIssuers({RSA_ISSUER: RSA_KEY.public_key(), EC_ISSUER: EC_KEY.public_key()})


def token(key: Any, alg: str, issuer: str, **claims: Any) -> str:
    now = int(time.time())
    body = {"iss": issuer, "aud": URL, "iat": now, "exp": now + 300, "jti": str(uuid.uuid4())}
    body.update(claims)
    return jwt.encode({k: v for k, v in body.items() if v is not None}, key, algorithm=alg)


def accept_all(_issuer: str, _jti: str, _expiry: datetime) -> bool:
    return True


NOW = int(time.time())


@pytest.mark.parametrize(
    ("forged", "why"),
    [
        (token(RSA_KEY, "RS384", EC_ISSUER), "this issuer's key is for ES384"),
        (token(EC_KEY, "ES384", RSA_ISSUER), "this issuer's key is for RS384"),
        (token(RSA_KEY, "RS384", RSA_ISSUER, iat=None), "must carry iat"),
        (token(RSA_KEY, "RS384", RSA_ISSUER, exp=NOW + 301), "at most 300"),
        (token(RSA_KEY, "RS384", RSA_ISSUER, exp=NOW + 86_400 * 365), "at most 300"),
        (token(RSA_KEY, "RS384", RSA_ISSUER, exp=10**20), "not a time"),
        (token(RSA_KEY, "RS384", RSA_ISSUER, exp=float(NOW + 60)), "integer"),
        (token(RSA_KEY, "RS384", RSA_ISSUER, iat=True), "integer"),
        (token(RSA_KEY, "RS384", RSA_ISSUER, exp=str(NOW + 60)), "integer"),
        (token(RSA_KEY, "RS384", RSA_ISSUER, jti="j" * 1025), "jti"),
        (token(RSA_KEY, "RS384", RSA_ISSUER, jti=12), "JTI"),
    ],
    ids=[
        "rs384-for-ec", "es384-for-rsa", "no-iat", "lives-301s", "lives-a-year", "huge-exp",
        "float-exp", "bool-iat", "string-exp", "long-jti", "number-jti",
    ],
)  # fmt: skip
def test_crafted_tokens_are_refused(forged: str, why: str) -> None:
    with pytest.raises(ClientJwtError, match=why):
        TRUSTED.verify(forged, audience=URL, remember=accept_all)


def test_long_ids_sharing_a_prefix_are_two_ids(database: Database) -> None:
    """Stored whole (as a digest): truncation would make the second a false replay."""
    migrate.upgrade(database)
    expiry = datetime.now(UTC) + timedelta(minutes=5)
    now = datetime.now(UTC)
    first, second = "x" * 300 + "1", "x" * 300 + "2"
    assert remember_jti(database, RSA_ISSUER, first, expiry, now)
    assert remember_jti(database, RSA_ISSUER, second, expiry, now)
    assert not remember_jti(database, RSA_ISSUER, second, expiry, now)


def test_a_mismatched_algorithm_over_http_is_401_not_500(tmp_path: Path) -> None:
    harness = make_harness(tmp_path)
    ec_key = ec.generate_private_key(ec.SECP384R1())
    harness.app.state.crd_trusted_issuers = TrustedIssuers({EC_ISSUER: ec_key.public_key()})
    url = "http://testserver/cds-services/order-sign"
    now = int(time.time())
    claims = {"iss": EC_ISSUER, "aud": url, "iat": now, "exp": now + 60, "jti": "a"}
    forged = jwt.encode(claims, RSA_KEY, algorithm="RS384")
    with TestClient(harness.app, raise_server_exceptions=False) as client:
        response = client.post(
            "/cds-services/order-sign",
            json={"hook": "order-sign", "context": {}},
            headers={"Authorization": f"Bearer {forged}"},
        )
    assert response.status_code == 401
    assert "ES384" in response.json()["issue"][0]["diagnostics"]


def test_without_a_public_url_crd_calls_are_refused(tmp_path: Path) -> None:
    harness = make_harness(tmp_path)
    harness.app.state.public_base_url = None
    url = "http://testserver/cds-services/order-sign"
    with TestClient(harness.app, raise_server_exceptions=False) as client:
        response = client.post(
            "/cds-services/order-sign",
            json={"hook": "order-sign", "context": {}},
            headers=harness.hook_headers(url),
        )
    assert response.status_code == 401
    assert "MEDPOLICY_PUBLIC_BASE_URL" in response.json()["issue"][0]["diagnostics"]


def test_trusted_clients_without_a_public_url_refuse_to_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pem = RSA_KEY.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    monkeypatch.setenv("MEDPOLICY_CRD_TRUSTED_ISSUERS", f'{{"{RSA_ISSUER}": {pem.decode()!r}}}')
    monkeypatch.delenv("MEDPOLICY_PUBLIC_BASE_URL", raising=False)
    with pytest.raises(ConfigurationError, match="MEDPOLICY_PUBLIC_BASE_URL"):
        create_app(ServiceSettings(data_dir=tmp_path))
