"""Verification of the JWT an EHR sends with each CDS Hooks call.

CDS Hooks asks the client to sign a short-lived JWT whose ``aud`` is the service URL it is
calling. We accept it only when the issuer is one we trust, the signature verifies with
that issuer's configured public key (RS384 or ES384, nothing weaker and never "none"),
``aud`` equals the URL called, ``exp`` is in the future and its ``jti`` has not been seen
before (a replay is refused). Trusted issuers come from ``MEDPOLICY_CRD_TRUSTED_ISSUERS``:
a JSON object mapping each issuer to a PEM public key.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import jwt
from cryptography.hazmat.primitives.serialization import load_pem_public_key

__all__ = ["ALGORITHMS", "ClientJwtError", "TrustedIssuers", "VerifiedClient"]

ALGORITHMS = ("RS384", "ES384")
ENVIRONMENT = "MEDPOLICY_CRD_TRUSTED_ISSUERS"

SeenJti = Callable[[str, str, datetime], bool]
"""Records (issuer, jti, expiry); answers False when that jti was already recorded."""


class ClientJwtError(Exception):
    """A call whose JWT we do not accept; the message says why without echoing the token."""


@dataclass(frozen=True, slots=True)
class VerifiedClient:
    """Who called: the issuer (the EHR) and the token's id."""

    issuer: str
    jti: str


class TrustedIssuers:
    """The EHRs we accept calls from, each with its public key."""

    def __init__(self, keys: Mapping[str, Any]) -> None:
        self._keys = dict(keys)

    @classmethod
    def from_pem(cls, pems: Mapping[str, str]) -> TrustedIssuers:
        return cls(
            {issuer: load_pem_public_key(pem.encode("ascii")) for issuer, pem in pems.items()}
        )

    @classmethod
    def from_environment(cls) -> TrustedIssuers:
        """The issuers configured in the environment (none when unset: every call refused)."""
        raw = os.environ.get(ENVIRONMENT)
        return cls.from_pem(json.loads(raw)) if raw else cls({})

    def verify(self, token: str, *, audience: str, remember: SeenJti) -> VerifiedClient:
        """Check ``token`` for a call to ``audience``; raises ClientJwtError when refused."""
        try:
            header = jwt.get_unverified_header(token)
            claims = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise ClientJwtError("The Authorization header does not hold a JWT.") from None
        if header.get("alg") not in ALGORITHMS:
            raise ClientJwtError("The JWT must be signed with RS384 or ES384.")
        issuer = claims.get("iss")
        key = self._keys.get(issuer) if isinstance(issuer, str) else None
        if key is None or not isinstance(issuer, str):
            raise ClientJwtError("The JWT's issuer is not a trusted CDS client.")
        try:
            verified = jwt.decode(
                token,
                key,
                algorithms=list(ALGORITHMS),
                audience=audience,
                issuer=issuer,
                options={"require": ["iss", "aud", "exp", "jti"]},
            )
        except jwt.ExpiredSignatureError:
            raise ClientJwtError("The JWT has expired.") from None
        except jwt.InvalidAudienceError:
            raise ClientJwtError("The JWT's aud is not the URL of this service.") from None
        except jwt.PyJWTError as error:
            raise ClientJwtError(f"The JWT is not valid: {type(error).__name__}.") from None
        jti = str(verified["jti"])
        expiry = datetime.fromtimestamp(int(verified["exp"]), UTC)
        if not remember(issuer, jti, expiry):
            raise ClientJwtError("The JWT's jti was already used; a replayed call is refused.")
        return VerifiedClient(issuer=issuer, jti=jti)
