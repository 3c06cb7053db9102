"""The real HTTP app on a SQLite file, with case-service tokens and a trusted CDS client."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI

from medpolicy.adapters.cds_hooks import TrustedIssuers
from medpolicy.service.api.app import create_app
from medpolicy.service.clock import FixedClock
from medpolicy.service.db.database import Database
from medpolicy.service.principal import SYSTEM
from medpolicy.service.tokens import TokenDesk

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
EHR = "https://ehr.example"


@dataclass
class Harness:
    """The app, bearer headers per role, and a CDS client that signs its calls."""

    app: FastAPI
    database: Database
    headers: dict[str, dict[str, str]]
    ehr_key: rsa.RSAPrivateKey

    def hook_headers(self, url: str) -> dict[str, str]:
        """A freshly signed client JWT for a call to ``url``."""
        claims: dict[str, Any] = {
            "iss": EHR,
            "aud": url,
            "iat": int(time.time()),
            "exp": int(time.time()) + 300,
            "jti": str(uuid.uuid4()),
        }
        return {"Authorization": "Bearer " + jwt.encode(claims, self.ehr_key, algorithm="RS384")}


def make_harness(folder: Path) -> Harness:
    database = Database(f"sqlite:///{folder / 'medpolicy.sqlite3'}")
    clock = FixedClock(START)
    app = create_app(database=database, clock=clock)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    app.state.crd_trusted_issuers = TrustedIssuers({EHR: key.public_key()})
    app.state.public_base_url = app.state.public_base_url or "http://testserver"
    tokens = TokenDesk(database, clock)
    headers = {}
    for role in ("provider", "nurse", "physician"):
        org = "hope-oncology" if role == "provider" else None
        secret = tokens.issue(SYSTEM, role=role, org=org, name=f"t-{role}").secret
        headers[role] = {"Authorization": f"Bearer {secret}"}
    return Harness(app, database, headers, key)
