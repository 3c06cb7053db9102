"""The whole service, workbench included, served by uvicorn on loopback in a thread.

Browser tests need a real HTTP server; running it in the test process lets a test move
the service's clock (idle logoff, overdue cases) while the browser talks to it.
"""

from __future__ import annotations

import threading
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from medpolicy.service.api.app import create_app
from medpolicy.service.db.database import Database
from medpolicy.service.principal import SYSTEM
from medpolicy.service.tokens import TokenDesk

from ..server import free_port


class MovingClock:
    """Real time passing from a fixed start, which a test can push forward."""

    def __init__(self, start: datetime) -> None:
        self.start = start
        self.began = time.monotonic()
        self.shift = timedelta()

    def now(self) -> datetime:
        """The start plus the real time elapsed plus any push."""
        return self.start + timedelta(seconds=time.monotonic() - self.began) + self.shift

    def advance(self, delta: timedelta) -> None:
        """Move time forward (for example past the idle logoff)."""
        self.shift += delta


class LiveService:
    """``create_app`` on a SQLite file, served by uvicorn; tokens and cases made to order."""

    def __init__(self, data_dir: Path, clock: MovingClock) -> None:
        self.clock = clock
        self.database = Database(f"sqlite:///{data_dir / 'medpolicy.sqlite3'}")
        self.app = create_app(database=self.database, clock=clock)
        self.port = free_port()
        config = uvicorn.Config(
            self.app, host="127.0.0.1", port=self.port, log_level="warning", access_log=False
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        """Where the service listens."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> LiveService:
        """Serve, and wait until ``/health`` answers."""
        self.thread.start()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/health", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                time.sleep(0.05)
        raise RuntimeError("the live service did not start")

    def stop(self) -> None:
        """Stop serving and close the database."""
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.database.dispose()

    def token(self, role: str, name: str, org: str | None = None) -> str:
        """A new token's secret."""
        desk = TokenDesk(self.database, self.clock)
        return desk.issue(SYSTEM, role=role, org=org, name=name).secret

    def submit(self, provider: str, request: dict[str, Any], priority: str = "standard") -> str:
        """Submit a case through the API, as a provider's system does; its id."""
        response = httpx.post(
            self.url + "/v1/cases",
            json={"request": request, "priority": priority},
            headers={"Authorization": f"Bearer {provider}", "Idempotency-Key": uuid.uuid4().hex},
            timeout=30,
        )
        response.raise_for_status()
        case_id: str = response.json()["id"]
        return case_id
