"""Service settings, read from arguments or ``MEDPOLICY_*`` environment variables.

With no configuration at all the service keeps an embedded SQLite database in the user's
data folder, so ``medpolicy serve`` works on a fresh machine; ``MEDPOLICY_DATABASE_URL``
(or ``--database-url``) points it at PostgreSQL instead.
"""

from __future__ import annotations

from pathlib import Path

import platformdirs
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8210
SQLITE_FILE_NAME = "medpolicy.sqlite3"


def default_data_dir() -> Path:
    """The per-user data folder, e.g. ``~/.local/share/medpolicy`` on Linux."""
    return Path(platformdirs.user_data_dir("medpolicy", appauthor=False))


class ServiceSettings(BaseSettings):
    """Where the service keeps its data and where it listens."""

    model_config = SettingsConfigDict(env_prefix="MEDPOLICY_", extra="ignore")

    database_url: str | None = None
    data_dir: Path = Field(default_factory=default_data_dir)
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    public_base_url: str | None = None
    """The URL clients use to reach the service (e.g. behind a proxy), such as
    ``https://payer.example/medpolicy``; CDS Hooks JWTs must name it in ``aud``. Unset, the
    URL each request arrived on is used."""
    migration_database_url: str | None = None
    """PostgreSQL: the owner's URL, used only to migrate and to grant the service's role
    (``database_url``) what it needs; the service itself then connects as a role that owns
    nothing, so it can neither disable the audit log's triggers nor drop anything."""
    audit_key: str | None = None
    """The audit log's signing key itself (at least 32 characters); else a key file."""
    audit_key_file: Path | None = None
    """The audit key file; ``audit.key`` in ``data_dir`` when unset."""
    audit_checkpoint_file: Path | None = None
    """Signed checkpoints of the audit log; ``audit-checkpoints.jsonl`` in ``data_dir``."""
    audit_checkpoint_seconds: float = 60.0
    """How often the service writes a checkpoint when the log has grown (0: never)."""
    audit_syslog: str | None = None
    """Also send each checkpoint to syslog: a socket path such as ``/dev/log``."""
    max_json_body_bytes: int = 1024 * 1024
    """Largest body of the JSON API (413 above it)."""
    max_fhir_body_bytes: int = 20 * 1024 * 1024
    """Largest body of the FHIR and CDS Hooks routes and of document uploads."""
    max_json_depth: int = 64
    """Deepest nesting of objects and arrays accepted in a JSON body."""
    max_json_elements: int = 200_000
    """Most values (objects, arrays, strings, numbers...) accepted in a JSON body."""
    max_bundle_entries: int = 1000
    """Most entries accepted in a FHIR Bundle."""
    large_body_concurrency: int = 1
    """How many requests with a body over 1 MiB are read and worked on at once."""
    body_timeout_seconds: float = 30.0
    """Longest pause allowed while a request body arrives (408 after it)."""
    token_days: int = 90
    """How long a new token works unless its creator says otherwise."""
    auth_failures_per_minute: int = 20
    """Failed authentications one address may make per minute before it gets 429s."""
    header_timeout_seconds: float = 10.0
    """Longest time a connection may take to send a request's headers (closed after it)."""

    def resolved_database_url(self) -> str:
        """The SQLAlchemy URL to use: the configured one, else SQLite in ``data_dir``."""
        if self.database_url:
            return normalize_database_url(self.database_url)
        return f"sqlite:///{self.data_dir / SQLITE_FILE_NAME}"


class ConfigurationError(Exception):
    """Settings the service refuses to start with; the message says which and why."""


def check_crd(settings: ServiceSettings, trusted_issuers: str | None) -> None:
    """CRD with trusted clients needs the public base URL their JWTs name in ``aud``."""
    if trusted_issuers and not settings.public_base_url:
        raise ConfigurationError(
            "MEDPOLICY_CRD_TRUSTED_ISSUERS is set but MEDPOLICY_PUBLIC_BASE_URL is not: CDS "
            "Hooks JWTs must name the service's public URL in aud, and the Host header of a "
            "request cannot be trusted to say what that is. Set MEDPOLICY_PUBLIC_BASE_URL."
        )


def normalize_database_url(url: str) -> str:
    """Accept plain ``postgresql://`` URLs and use the psycopg 3 driver for them."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
