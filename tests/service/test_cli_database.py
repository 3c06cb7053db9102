"""Every service command names its database, and none creates an empty one by mistake."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from medpolicy.cli.main import main
from medpolicy.service.api.app import create_app
from medpolicy.service.cli import describe_database
from medpolicy.service.db.database import Database

from .server import create_database


def served_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "served"
    create_database(f"sqlite:///{folder / 'medpolicy.sqlite3'}")
    return folder


@pytest.mark.parametrize(
    "command",
    [
        ["token", "create", "--role", "nurse"],
        ["token", "list"],
        ["audit", "verify"],
    ],
)
def test_a_folder_without_a_database_is_refused_and_left_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    mistyped = tmp_path / "medpolicy-dta"
    assert main([*command, "--data-dir", str(mistyped)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "intact" not in captured.err
    assert f"no medpolicy database at {mistyped / 'medpolicy.sqlite3'}" in captured.err
    assert "--data-dir or --database-url that `medpolicy serve` uses" in captured.err
    assert not mistyped.exists()


def test_each_command_says_which_database_it_uses(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = served_folder(tmp_path)
    assert main(["token", "create", "--role", "nurse", "--data-dir", str(folder)]) == 0
    token = capsys.readouterr()
    assert token.out.startswith("mp_")
    assert f"using the SQLite database {folder / 'medpolicy.sqlite3'}" in token.err
    assert main(["audit", "verify", "--data-dir", str(folder)]) == 0
    audit = capsys.readouterr()
    assert "intact" in audit.out
    assert f"using the SQLite database {folder / 'medpolicy.sqlite3'}" in audit.err


def test_the_environment_names_the_database_for_every_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = served_folder(tmp_path)
    monkeypatch.setenv("MEDPOLICY_DATA_DIR", str(folder))
    assert main(["token", "create", "--role", "physician"]) == 0
    assert str(folder / "medpolicy.sqlite3") in capsys.readouterr().err


def test_a_token_from_another_database_gets_a_401_saying_where_to_look(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server_folder = served_folder(tmp_path)
    other = tmp_path / "other"
    create_database(f"sqlite:///{other / 'medpolicy.sqlite3'}")
    assert main(["token", "create", "--role", "nurse", "--data-dir", str(other)]) == 0
    token = capsys.readouterr().out.strip()
    database = Database(f"sqlite:///{server_folder / 'medpolicy.sqlite3'}")
    try:
        with TestClient(create_app(database=database)) as client:
            response = client.get("/v1/cases", headers={"Authorization": f"Bearer {token}"})
    finally:
        database.dispose()
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["field"] == "Authorization"
    assert "same --data-dir or --database-url as `medpolicy serve`" in error["message"]


def test_a_postgresql_database_is_named_without_its_password() -> None:
    described = describe_database("postgresql+psycopg://medpolicy:s3cret@db.example:5432/pa")
    assert "s3cret" not in described
    assert described.startswith("PostgreSQL database postgresql://medpolicy:***@db.example")


@pytest.mark.parametrize(
    "command",
    [["token", "create", "--role", "nurse"], ["token", "list"], ["audit", "verify"]],
)
def test_token_and_audit_commands_leave_the_web_framework_unloaded(
    tmp_path: Path, command: list[str]
) -> None:
    # A person runs these by hand between server starts; the web framework and the app
    # cost them about a second of start-up for nothing.
    folder = served_folder(tmp_path)
    probe = (
        "import sys\n"
        "from medpolicy.cli.main import main\n"
        f"code = main({[*command, '--data-dir', str(folder)]!r})\n"
        "loaded = sorted(m for m in ('fastapi', 'starlette', 'uvicorn', 'jinja2') "
        "if m in sys.modules)\n"
        "print('LOADED', code, loaded, file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=False
    )
    assert "LOADED 0 []" in done.stderr, done.stderr[-2000:]
