"""`medpolicy serve` on a fresh clone: no configuration, migrations at start, PostgreSQL on demand.

The server runs as the installed ``medpolicy`` command in a child process with a home and
data folder of its own, so nothing the developer has configured leaks into the test.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, inspect, text

from medpolicy.service.config import ServiceSettings

from .server import free_port

STARTUP_SECONDS = 30
TABLES = {"api_tokens", "cases", "case_versions", "case_events", "audit_log"}


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment of a fresh machine: no MEDPOLICY_* settings, an empty home."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEDPOLICY_")}
    env.pop("XDG_DATA_HOME", None)
    return {**env, "HOME": str(home), **extra}


@contextmanager
def serving(args: list[str], env: dict[str, str], log: Path) -> Iterator[str]:
    """``medpolicy serve ARGS`` until the block ends; yields its base URL once /health answers."""
    port = free_port()
    command = [str(Path(sys.executable).parent / "medpolicy"), "serve", "--port", str(port), *args]
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "no answer from /health: " + log.read_text()
            try:
                if httpx.get(url + "/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=15)


def migrated_tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
            assert revision, "no Alembic revision recorded"
            return set(inspect(connection).get_table_names())
    finally:
        engine.dispose()


def test_the_defaults_are_loopback_8210_and_sqlite_in_the_user_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in list(os.environ):
        if name.startswith("MEDPOLICY_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    settings = ServiceSettings()
    assert (settings.host, settings.port) == ("127.0.0.1", 8210)
    assert settings.resolved_database_url() == f"sqlite:///{tmp_path}/medpolicy/medpolicy.sqlite3"


@pytest.mark.slow
def test_serve_with_no_configuration_makes_and_migrates_its_database(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    with serving([], clean_env(home), tmp_path / "server.log") as url:
        health = httpx.get(url + "/health").json()
        assert health == {"status": "ok", "database": "sqlite"}
        assert httpx.get(url + "/v1/policies").status_code == 200
    databases = list(home.rglob("medpolicy.sqlite3"))
    assert len(databases) == 1, databases
    assert migrated_tables(f"sqlite:///{databases[0]}") >= TABLES


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.parametrize("how", ["environment", "option"])
def test_postgres_is_chosen_by_environment_or_option(
    tmp_path: Path, postgres_url: str, how: str
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    plain_url = postgres_url.replace("postgresql+psycopg://", "postgresql://")
    if how == "environment":
        env, args = clean_env(home, MEDPOLICY_DATABASE_URL=plain_url), []
    else:
        env, args = clean_env(home), ["--database-url", plain_url]
    with serving(args, env, tmp_path / "server.log") as url:
        assert httpx.get(url + "/health").json()["database"] == "postgresql"
    assert migrated_tables(postgres_url) >= TABLES
    assert list(home.rglob("*.sqlite3")) == []


def test_a_port_in_use_is_one_clear_line_before_anything_starts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from medpolicy.cli.main import main

    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        data = tmp_path / "data"
        assert main(["serve", "--port", str(port), "--data-dir", str(data)]) == 2
    err = capsys.readouterr().err
    assert f"cannot listen on 127.0.0.1 port {port}: Address already in use" in err
    assert "--port" in err
    assert "serving on" not in err
    assert not (data / "medpolicy.sqlite3").exists()
