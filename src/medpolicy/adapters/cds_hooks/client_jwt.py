"""Verification of the JWT an EHR sends with each CDS Hooks call.

CDS Hooks asks the client to sign a short-lived JWT whose ``aud`` is the service URL it is
calling. We accept it only when the issuer is one we trust, the signature verifies with
that issuer's configured public key (RS384 for an RSA key, ES384 for an EC key: the
algorithm must fit the key, never "none"), ``aud`` equals the URL called, ``iat`` and ``exp``
are integers with ``exp`` in the future and at most five minutes after ``iat``, and its
``jti`` (at most 1024 characters) has not been seen before (a replay is refused). Trusted
issuers come from ``MEDPOLICY_CRD_TRUSTED_ISSUERS``: a JSON object mapping each issuer to a
PEM public key.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key

__all__ = ["ALGORITHMS", "ClientJwtError", "TrustedIssuers", "VerifiedClient"]

ALGORITHMS = ("RS384", "ES384")
MAX_LIFETIME_SECONDS = 300
"""CDS Hooks: a client JWT lives at most five minutes (``exp`` - ``iat``)."""
CLOCK_SKEW_SECONDS = 5
MAX_JTI_CHARS = 1024
TIME_CLAIMS = ("exp", "iat", "nbf")
LARGEST_TIME = 253_402_300_799
"""9999-12-31T23:59:59Z: any later ``exp`` is not a time."""
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
        if not isinstance(claims, dict):
            raise ClientJwtError("The JWT's claims are not a JSON object.")
        issuer = claims.get("iss")
        key = self._keys.get(issuer) if isinstance(issuer, str) else None
        if key is None or not isinstance(issuer, str):
            raise ClientJwtError("The JWT's issuer is not a trusted CDS client.")
        algorithm = _algorithm_for(key)
        if header.get("alg") != algorithm:
            raise ClientJwtError(
                f"The JWT is signed with {header.get('alg')}, but this issuer's key is for "
                f"{algorithm}."
            )
        _check_times(claims)
        try:
            verified = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=audience,
                issuer=issuer,
                leeway=CLOCK_SKEW_SECONDS,
                options={"require": ["iss", "aud", "exp", "iat", "jti"]},
            )
        except jwt.ExpiredSignatureError:
            raise ClientJwtError("The JWT has expired.") from None
        except jwt.InvalidAudienceError:
            raise ClientJwtError("The JWT's aud is not the URL of this service.") from None
        except jwt.PyJWTError as error:
            raise ClientJwtError(f"The JWT is not valid: {type(error).__name__}.") from None
        except (ValueError, TypeError, OverflowError):
            raise ClientJwtError("The JWT's signature cannot be checked.") from None
        jti = verified["jti"]
        if not isinstance(jti, str) or not jti or len(jti) > MAX_JTI_CHARS:
            raise ClientJwtError(
                f"The JWT's jti must be a string of 1 to {MAX_JTI_CHARS} characters."
            )
        expiry = datetime.fromtimestamp(int(verified["exp"]), UTC)
        if not remember(issuer, jti, expiry):
            raise ClientJwtError("The JWT's jti was already used; a replayed call is refused.")
        return VerifiedClient(issuer=issuer, jti=jti)


def _algorithm_for(key: Any) -> str:
    """The one algorithm a key may verify: RS384 for RSA, ES384 for EC."""
    if isinstance(key, rsa.RSAPublicKey):
        return "RS384"
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "ES384"
    raise ClientJwtError("This issuer's key is neither RSA nor EC.")


def _check_times(claims: dict[str, Any]) -> None:
    """``iat`` required; time claims whole seconds in range; ``exp`` within five minutes."""
    for name in TIME_CLAIMS:
        value = claims.get(name)
        if value is None:
            continue
        if not isinstance(value, int) or isinstance(value, bool):
            raise ClientJwtError(f"The JWT's {name} must be an integer number of seconds.")
        if not 0 <= value <= LARGEST_TIME:
            raise ClientJwtError(f"The JWT's {name} is not a time.")
    issued, expires = claims.get("iat"), claims.get("exp")
    if issued is None:
        raise ClientJwtError("The JWT must carry iat, the time it was issued.")
    if isinstance(expires, int) and expires - issued > MAX_LIFETIME_SECONDS:
        raise ClientJwtError(
            f"The JWT lives {expires - issued} seconds; at most {MAX_LIFETIME_SECONDS} "
            "(exp - iat) are accepted."
        )
