"""Engine and transactions for SQLite and PostgreSQL.

The SQLite file is created readable by its owner only (it holds PHI). SQLite runs in WAL
mode with ``synchronous=FULL`` so that a committed case survives a crash of the process or
the machine, and every transaction starts with ``BEGIN
IMMEDIATE`` so that concurrent writers queue instead of failing halfway. Within one
process the transactions also queue on a lock: SQLite's own busy handler waits by
sleeping in growing steps, which under a burst turns a 5 ms commit into seconds. On
PostgreSQL the default READ COMMITTED isolation is used; the audit chain takes its own lock.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_S = 30


class Database:
    """A connected database and a way to run one unit of work in one transaction."""

    def __init__(self, url: str, *, audit_key: bytes | None = None) -> None:
        self.url = url
        self.audit_key = audit_key
        """The audit log's signing key (see ``service/audit_key.py``); loaded when first
        needed if not given."""
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._queue = threading.Lock() if self.is_sqlite else nullcontext()

    @property
    def is_sqlite(self) -> bool:
        """True on the embedded database."""
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work is committed on leaving the block, or rolled back on error."""
        with self._queue, self._sessions.begin() as session:
            session.info["database"] = self
            yield session

    def dispose(self) -> None:
        """Close pooled connections."""
        self.engine.dispose()


def make_engine(url: str) -> Engine:
    """Create the SQLAlchemy engine, with durable and queueing settings on SQLite."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
    if parsed.database and parsed.database != ":memory:":
        _private_file(Path(parsed.database))
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_S},
        pool_size=10,
        max_overflow=20,
    )
    event.listen(engine, "connect", _configure_sqlite_connection)
    event.listen(engine, "begin", _begin_immediate)
    return engine


def _private_file(path: Path) -> None:
    """Create the SQLite file (and its folder) readable by its owner only: it holds PHI.
    SQLite gives its -wal and -shm files the database file's permissions."""
    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=0o700)
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))


def _configure_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}")
    cursor.close()


def _begin_immediate(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")
