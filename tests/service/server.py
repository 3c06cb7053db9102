"""A real ``medpolicy serve`` process on loopback, for the crash and log tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from types import TracebackType

import httpx

STARTUP_SECONDS = 30


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Server:
    """``python -m medpolicy.service serve`` in a child process, its output in a log file."""

    def __init__(
        self,
        data_dir: Path,
        log_path: Path,
        *,
        log_level: str = "info",
        database_url: str | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.database_url = database_url
        self.log_path = log_path
        self.log_level = log_level
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Where the server listens."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Server:
        """Start and wait until ``/health`` answers."""
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        command = [
            sys.executable, "-m", "medpolicy.service", "serve",
            "--data-dir", str(self.data_dir), "--port", str(self.port),
            "--log-level", self.log_level,
        ]  # fmt: skip
        if self.database_url:
            command += ["--database-url", self.database_url]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_path.read_text()[-2000:]}")
            try:
                if httpx.get(self.url + "/health", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                time.sleep(0.05)
        raise RuntimeError("server did not answer /health in time")

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush, no goodbye."""
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        """A graceful stop (SIGTERM), then SIGKILL if it hangs."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.kill()

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def create_database(url: str) -> None:
    """The service's database at ``url``, created and migrated as ``serve`` would on its
    first start (commands such as ``token create`` refuse a database that does not exist)."""
    from medpolicy.service.db import migrate
    from medpolicy.service.db.database import Database

    database = Database(url)
    try:
        migrate.upgrade(database)
    finally:
        database.dispose()


def fresh_idempotency_key(request: httpx.Request) -> None:
    """Give a case submission that names no Idempotency-Key a new one, as a well-behaved
    client does for each new case; tests of the key itself send their own (or use
    ``bare_client``, which adds none)."""
    if (
        request.method == "POST"
        and request.url.path == "/v1/cases"
        and "Idempotency-Key" not in request.headers
    ):
        request.headers["Idempotency-Key"] = uuid.uuid4().hex
