"""Signed checkpoints of the audit log, kept outside the database, so a cut tail shows.

A keyed chain proves every entry it still has, but not that none were removed from its
end. So the service appends, at an interval (``MEDPOLICY_AUDIT_CHECKPOINT_SECONDS``) and
when it stops, a line ``{"database", "at", "count", "head", "mac"}`` to a file outside the
database (``MEDPOLICY_AUDIT_CHECKPOINT_FILE``, else ``audit-checkpoints.jsonl`` in the data
folder), signed with the audit key, and optionally sends the same line to syslog, an
append-only log kept by someone else. ``audit verify`` checks that each checkpoint's entry
is still there with the same MAC. The lines carry counts and MACs only, never case data.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import logging.handlers
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from medpolicy.service.audit import GENESIS_HASH
from medpolicy.service.clock import Clock
from medpolicy.service.config import ServiceSettings
from medpolicy.service.db.database import Database
from medpolicy.service.db.models import AuditEntry

CHECKPOINT_FILE_NAME = "audit-checkpoints.jsonl"
logger = logging.getLogger("medpolicy.service.audit")


def checkpoint_path(settings: ServiceSettings) -> Path:
    """Where the checkpoints are written."""
    return settings.audit_checkpoint_file or settings.data_dir / CHECKPOINT_FILE_NAME


def database_label(url: str) -> str:
    """The database a checkpoint belongs to: its URL without password, or the SQLite path."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return "sqlite:" + str(Path(parsed.database or "").resolve())
    host = f"{parsed.host or ''}:{parsed.port or ''}"
    return f"{parsed.get_backend_name()}://{parsed.username or ''}@{host}/{parsed.database}"


@dataclass(frozen=True)
class Checkpoint:
    """The log's length and last MAC at a moment, signed."""

    database: str
    at: str
    count: int
    head: str

    def mac(self, key: bytes) -> str:
        """HMAC-SHA256 over the checkpoint's fields, with a key derived for checkpoints."""
        body = json.dumps(
            {"database": self.database, "at": self.at, "count": self.count, "head": self.head},
            sort_keys=True,
            separators=(",", ":"),
        )
        derived = hmac.new(key, b"medpolicy audit checkpoint", hashlib.sha256).digest()
        return hmac.new(derived, body.encode("utf-8"), hashlib.sha256).hexdigest()

    def line(self, key: bytes) -> str:
        """The checkpoint as one JSON line."""
        fields = {"database": self.database, "at": self.at, "count": self.count}
        return json.dumps({**fields, "head": self.head, "mac": self.mac(key)}) + "\n"


def head_of(session: Session) -> tuple[int, str]:
    """The number of the last entry and its MAC (0 and the genesis hash when empty)."""
    last = session.execute(
        select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)
    ).first()
    return (last[0], last[1]) if last else (0, GENESIS_HASH)


def append(path: Path, line: str) -> None:
    """Append and sync one line; the file is created readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.write(fd, line.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)


class CheckpointWriter:
    """Writes a checkpoint whenever the log has grown, every ``interval`` seconds, and once
    more when stopped."""

    def __init__(
        self, database: Database, clock: Clock, settings: ServiceSettings, key: bytes
    ) -> None:
        self.database = database
        self.clock = clock
        self.path = checkpoint_path(settings)
        self.interval = settings.audit_checkpoint_seconds
        self.key = key
        self.label = database_label(database.url)
        self.syslog = _syslog(settings.audit_syslog)
        self._written = -1
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def write(self) -> Checkpoint | None:
        """Write a checkpoint now if the log has grown since the last one."""
        with self.database.transaction() as session:
            count, head = head_of(session)
        if count in {0, self._written}:
            return None
        checkpoint = Checkpoint(self.label, self.clock.now().isoformat(), count, head)
        line = checkpoint.line(self.key)
        append(self.path, line)
        if self.syslog is not None:
            self.syslog.info("medpolicy audit checkpoint %s", line.strip())
        logger.info("audit checkpoint: %d entries", count)
        self._written = count
        return checkpoint

    def start(self) -> None:
        """Write in the background until ``stop``."""
        if self.interval <= 0 or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="audit-checkpoint", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the background writer and write a last checkpoint."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._safe_write()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._safe_write()

    def _safe_write(self) -> None:
        try:
            self.write()
        except Exception as error:  # a failed checkpoint must not stop the service
            logger.error("audit checkpoint not written: %s", type(error).__name__)


def _syslog(address: str | None) -> logging.Logger | None:
    if not address:
        return None
    syslog = logging.getLogger("medpolicy.audit.syslog")
    syslog.propagate = False
    syslog.setLevel(logging.INFO)
    if not syslog.handlers:
        syslog.addHandler(logging.handlers.SysLogHandler(address=address))
    return syslog


@dataclass(frozen=True)
class CheckpointCheck:
    """What the checkpoints say about the log: how many held, and what did not."""

    path: Path
    found: int
    latest: int
    problems: list[str]


def check(session: Session, path: Path, key: bytes, label: str) -> CheckpointCheck:
    """Compare every signed checkpoint of this database with the log as it is now."""
    if not path.exists():
        return CheckpointCheck(path, 0, 0, [])
    problems: list[str] = []
    wanted: dict[int, tuple[str, int]] = {}
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        checkpoint, mac = _parse(text)
        if checkpoint is None or checkpoint.database != label:
            continue
        if not hmac.compare_digest(checkpoint.mac(key), mac):
            problems.append(f"checkpoint line {number} of {path} is not signed by this key")
            continue
        wanted.setdefault(checkpoint.count, (checkpoint.head, number))
    count, _ = head_of(session)
    for seq, (head, number) in sorted(wanted.items()):
        if seq > count:
            problems.append(
                f"checkpoint line {number} recorded {seq} entries but the log has {count}: "
                f"entries {count + 1} to {seq} were removed"
            )
            break
        stored = session.scalar(select(AuditEntry.hash).where(AuditEntry.seq == seq))
        if stored != head:
            problems.append(
                f"entry {seq} is not the one checkpoint line {number} recorded (its MAC differs)"
            )
    return CheckpointCheck(path, len(wanted), max(wanted, default=0), problems)


def _parse(text: str) -> tuple[Checkpoint | None, str]:
    try:
        data = json.loads(text)
        checkpoint = Checkpoint(
            str(data["database"]), str(data["at"]), int(data["count"]), str(data["head"])
        )
        return checkpoint, str(data["mac"])
    except (ValueError, KeyError, TypeError):
        return None, ""
