"""Headers and storage: no PHI answer may be cached, nothing is sniffed or framed, HSTS
under TLS, no Server banner, /docs loads nothing from a CDN, the SQLite file is private,
and a connection that trickles its headers is closed."""

from __future__ import annotations

import socket
import stat
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from medpolicy.service.api.app import create_app
from medpolicy.service.config import ServiceSettings
from medpolicy.service.db.database import Database
from tests.service.samples import dli_request
from tests.service.server import Server

Headers = dict[str, dict[str, str]]


def test_every_answer_is_no_store_nosniff_and_framed_by_nobody(
    client: TestClient, headers: Headers
) -> None:
    answers = [
        client.post(
            "/v1/cases",
            json={"request": dli_request(), "priority": "standard"},
            headers=headers["provider"],
        ),
        client.get("/v1/cases", headers=headers["nurse"]),
        client.get("/v1/cases", headers={"Authorization": "Bearer mp_wrong"}),
        client.get("/health"),
    ]
    for answer in answers:
        assert answer.headers["Cache-Control"] == "no-store"
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert "frame-ancestors 'none'" in answer.headers["Content-Security-Policy"]
        assert "Strict-Transport-Security" not in answer.headers


def test_hsts_when_served_over_tls(tmp_path: Path) -> None:
    app = create_app(ServiceSettings(data_dir=tmp_path), tls=True)
    with TestClient(app) as client:
        assert client.get("/health").headers["Strict-Transport-Security"].startswith("max-age=")


def test_docs_load_only_packaged_assets(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assert "cdn" not in page.text.lower()
    assert "http" not in page.text.replace('charset="utf-8"', "")
    assert "'unsafe-inline'" not in page.headers["Content-Security-Policy"].split("style-src")[0]
    for asset in ("/docs/assets/swagger-ui-bundle.js", "/docs/assets/swagger-ui.css"):
        assert client.get(asset).status_code == 200
    assert "SwaggerUIBundle" in client.get("/docs/init.js").text


def test_the_sqlite_file_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'data' / 'medpolicy.sqlite3'}")
    create_app(ServiceSettings(data_dir=tmp_path), database=database)
    database.dispose()
    assert stat.S_IMODE((tmp_path / "data" / "medpolicy.sqlite3").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "data").stat().st_mode) == 0o700


@pytest.mark.slow
def test_serve_closes_slow_headers_and_sends_no_banner(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MEDPOLICY_HEADER_TIMEOUT_SECONDS", "1")
    with Server(tmp_path, tmp_path / "server.log") as server:
        import httpx

        assert "server" not in httpx.get(server.url + "/health").headers
        sockets = []
        for _ in range(20):
            sock = socket.create_connection(("127.0.0.1", server.port))
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            sockets.append(sock)
        time.sleep(2.5)
        closed = 0
        for sock in sockets:
            sock.settimeout(1)
            try:
                closed += sock.recv(1) == b""
            except ConnectionResetError:
                closed += 1
            except TimeoutError:
                pass
            sock.close()
        assert closed == 20
