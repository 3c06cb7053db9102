"""Client JWTs: only trusted issuers, strong algorithms, our URL, unexpired, never twice."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from medpolicy.adapters.cds_hooks import ClientJwtError, TrustedIssuers

URL = "http://testserver/cds-services/order-sign"
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP384R1())


def _token(key: Any = RSA_KEY, alg: str = "RS384", **claims: Any) -> str:
    body = {
        "iss": "https://ehr.example",
        "aud": URL,
        "iat": int(time.time()),
        "exp": int(time.time()) + 300,
        "jti": str(uuid.uuid4()),
    }
    body.update(claims)
    return jwt.encode(body, key, algorithm=alg)


def _trust(key: Any = RSA_KEY) -> TrustedIssuers:
    return TrustedIssuers({"https://ehr.example": key.public_key()})


class Memory:
    """A jti register in a set, the same contract as the database one."""

    def __init__(self) -> None:
        self.seen: set[tuple[str, str]] = set()

    def __call__(self, issuer: str, jti: str, _expiry: datetime) -> bool:
        if (issuer, jti) in self.seen:
            return False
        self.seen.add((issuer, jti))
        return True


def test_rs384_and_es384_are_accepted() -> None:
    assert (
        _trust().verify(_token(), audience=URL, remember=Memory()).issuer == "https://ehr.example"
    )
    es = _token(EC_KEY, "ES384")
    assert _trust(EC_KEY).verify(es, audience=URL, remember=Memory()).jti


@pytest.mark.parametrize(
    ("make", "why"),
    [
        (lambda: _token(aud="http://elsewhere/cds-services/order-sign"), "aud"),
        (lambda: _token(exp=int(time.time()) - 10), "expired"),
        (lambda: _token(iss="https://stranger.example"), "issuer"),
        (
            lambda: _token(rsa.generate_private_key(public_exponent=65537, key_size=2048)),
            "not valid",
        ),
        (
            lambda: jwt.encode(
                {"iss": "https://ehr.example"},
                "secret-key-of-32-bytes-or-more!!",
                algorithm="HS256",
            ),
            "RS384",
        ),
        (lambda: "not-a-jwt", "does not hold"),
    ],
    ids=["aud", "expired", "issuer", "not valid", "RS384", "does not hold"],
)
def test_bad_tokens_are_refused(make: Callable[[], str], why: str) -> None:
    # Made when the test runs, not at collection: a suite slower than the tokens' five
    # minutes would otherwise see them all as expired.
    with pytest.raises(ClientJwtError, match=why):
        _trust().verify(make(), audience=URL, remember=Memory())


def test_a_replayed_jti_is_refused() -> None:
    memory, token = Memory(), _token()
    _trust().verify(token, audience=URL, remember=memory)
    with pytest.raises(ClientJwtError, match="already used"):
        _trust().verify(token, audience=URL, remember=memory)
