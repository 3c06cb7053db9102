"""The secret key that signs the audit log, kept outside the database.

Whoever can write the database can recompute a plain hash chain, so the chain is keyed
(HMAC-SHA256) with a secret the database does not hold: ``MEDPOLICY_AUDIT_KEY`` (at least
32 characters) or, by default, a key file (``MEDPOLICY_AUDIT_KEY_FILE``, else ``audit.key``
in the data folder) that the first start of the service or the first token creates, readable
by its owner only. ``audit verify`` reads the key but never creates one: a new key would
make a genuine log look forged.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from medpolicy.service.config import ServiceSettings

KEY_FILE_NAME = "audit.key"
MIN_KEY_CHARS = 32


class AuditKeyError(Exception):
    """The audit key is missing or unusable; the message says where it was looked for."""


def key_path(settings: ServiceSettings) -> Path:
    """Where the key file is (whether or not it exists yet)."""
    return settings.audit_key_file or settings.data_dir / KEY_FILE_NAME


def describe(settings: ServiceSettings) -> str:
    """Where the key comes from, for messages (never the key itself)."""
    if settings.audit_key:
        return "MEDPOLICY_AUDIT_KEY"
    return str(key_path(settings))


def load_key(settings: ServiceSettings, *, create: bool) -> bytes:
    """The audit key; with ``create`` a missing key file is made (0600) first."""
    if settings.audit_key:
        return _checked(settings.audit_key, "MEDPOLICY_AUDIT_KEY")
    path = key_path(settings)
    if not path.exists():
        if not create:
            raise AuditKeyError(
                f"no audit key at {path}; the log cannot be checked without the key that "
                "signed it (set MEDPOLICY_AUDIT_KEY_FILE or MEDPOLICY_AUDIT_KEY)"
            )
        _create(path)
    return _checked(path.read_text(encoding="utf-8").strip(), str(path))


def _create(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return  # another process made it first; use theirs
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(secrets.token_hex(32) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def _checked(key: str, where: str) -> bytes:
    if len(key) < MIN_KEY_CHARS:
        raise AuditKeyError(
            f"the audit key in {where} has {len(key)} characters; at least "
            f"{MIN_KEY_CHARS} are needed"
        )
    return key.encode("utf-8")
