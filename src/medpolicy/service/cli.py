"""Service commands of ``medpolicy``: ``serve``, ``token create|list|revoke``, ``audit verify``.

``register(subparsers)`` adds them to the main command's argparse parser; each command
sets ``run`` to a handler that takes the parsed arguments and returns the exit status.
``python -m medpolicy.service`` runs them on their own.
"""

from __future__ import annotations

import argparse
import copy
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from medpolicy.errors import MedpolicyError
from medpolicy.service.config import ServiceSettings

if TYPE_CHECKING:
    from medpolicy.service.db.database import Database

Handler = Callable[[argparse.Namespace], int]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``serve``, ``token`` and ``audit`` to the ``medpolicy`` command."""
    serve = subparsers.add_parser("serve", help="run the prior-authorization HTTP API")
    _database_options(serve)
    serve.add_argument("--host", default=None, help="address to listen on (127.0.0.1)")
    serve.add_argument("--port", type=int, default=None, help="port to listen on (8210)")
    serve.add_argument("--log-level", default="info", help="uvicorn log level (info)")
    serve.add_argument("--ssl-certfile", default=None, help="serve HTTPS with this certificate")
    serve.add_argument("--ssl-keyfile", default=None, help="the certificate's private key")
    serve.set_defaults(run=_serve)

    token = subparsers.add_parser("token", help="manage API bearer tokens")
    token_commands = token.add_subparsers(dest="token_command", required=True)
    create = token_commands.add_parser("create", help="make a token; prints it once")
    create.add_argument(
        "--role", required=True, choices=["provider", "nurse", "physician", "admin"]
    )
    create.add_argument("--org", default=None, help="organization (required for providers)")
    create.add_argument("--name", default=None, help="who or what the token is for")
    create.add_argument("--expires-days", type=int, default=None, help="days the token works (90)")
    _database_options(create)
    create.set_defaults(run=_token_create)
    listing = token_commands.add_parser("list", help="list tokens (never their secrets)")
    _database_options(listing)
    listing.set_defaults(run=_token_list)
    approve = token_commands.add_parser(
        "approve", help="approve a nurse or physician token an admin asked for over the API"
    )
    approve.add_argument("token_id")
    _database_options(approve)
    approve.set_defaults(run=_token_approve)
    revoke = token_commands.add_parser("revoke", help="revoke a token by id")
    revoke.add_argument("token_id")
    _database_options(revoke)
    revoke.set_defaults(run=_token_revoke)

    audit_parser = subparsers.add_parser("audit", help="check the case audit log")
    audit_commands = audit_parser.add_subparsers(dest="audit_command", required=True)
    verify = audit_commands.add_parser("verify", help="walk the hash chain; report the first break")
    _database_options(verify)
    verify.set_defaults(run=_audit_verify)


def _database_options(parser: argparse.ArgumentParser) -> None:
    """The same two options on every command that reads or writes the service's data."""
    where = parser.add_argument_group(
        "database (give every command the same one as `medpolicy serve`)"
    )
    where.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="folder of the embedded SQLite database (MEDPOLICY_DATA_DIR; default: "
        "the user data folder, e.g. ~/.local/share/medpolicy)",
    )
    where.add_argument(
        "--database-url",
        default=None,
        help="a database URL instead, e.g. postgresql://user@host/db "
        "(MEDPOLICY_DATABASE_URL); wins over --data-dir",
    )


def describe_database(url: str) -> str:
    """The database in words, without its password: "SQLite database /path/file"."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return f"SQLite database {parsed.database or '(in memory)'}"
    shown = parsed.set(drivername=parsed.get_backend_name())
    return f"PostgreSQL database {shown.render_as_string(hide_password=True)}"


def _existing_sqlite_file(url: str) -> None:
    """Refuse an SQLite file that does not exist, instead of creating an empty database
    (where a token would be lost to the server and an audit log would be "intact")."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return
    path = Path(parsed.database)
    if path.is_file():
        return
    where = path.parent if path.parent.is_dir() else None
    raise MedpolicyError(
        f"no medpolicy database at {path}"
        + ("" if where else f" (there is no folder {path.parent})")
        + ". Give this command the --data-dir or --database-url that `medpolicy serve` "
        "uses (or set MEDPOLICY_DATA_DIR / MEDPOLICY_DATABASE_URL for both); "
        "`medpolicy serve` creates the database on its first start.",
        code="no_database",
    )


def settings_from(args: argparse.Namespace) -> ServiceSettings:
    """Settings from the environment, overridden by what was given on the command line."""
    overrides = {
        key: getattr(args, key)
        for key in ("data_dir", "database_url", "host", "port")
        if getattr(args, key, None) is not None
    }
    return ServiceSettings(**overrides)


@contextmanager
def _database(args: argparse.Namespace, *, make_key: bool = True) -> Iterator[Database]:
    """The configured database, which must exist, migrated to this version's schema, with
    the audit key (made on first use unless ``make_key`` is false); the command says on
    standard error which database it is."""
    from medpolicy.service.audit_key import load_key
    from medpolicy.service.db import migrate
    from medpolicy.service.db.database import Database

    settings = settings_from(args)
    url = settings.resolved_database_url()
    _existing_sqlite_file(url)
    print(f"medpolicy: using the {describe_database(url)}", file=sys.stderr)
    database = Database(url)
    try:
        if make_key:
            database.audit_key = load_key(settings, create=True)
        migrate.upgrade(database)
        yield database
    finally:
        database.dispose()


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from medpolicy.service.api.app import create_app
    from medpolicy.service.api.slow_clients import with_header_timeout

    settings = settings_from(args)
    tls = bool(args.ssl_certfile)
    if tls != bool(args.ssl_keyfile):
        print("medpolicy: --ssl-certfile and --ssl-keyfile go together", file=sys.stderr)
        return 2
    taken = _address_taken(settings.host, settings.port)
    if taken:
        print(
            f"medpolicy: cannot listen on {settings.host} port {settings.port}: {taken} "
            "(another `medpolicy serve` still running?). Stop it, or give --port "
            "(MEDPOLICY_PORT).",
            file=sys.stderr,
        )
        return 2
    from medpolicy.service.config import ConfigurationError

    try:
        app = create_app(settings, tls=tls)
    except ConfigurationError as error:
        print(f"medpolicy: {error}", file=sys.stderr)
        return 2
    scheme = "https" if tls else "http"
    print(
        f"medpolicy: serving on {scheme}://{settings.host}:{settings.port} with the "
        f"{describe_database(settings.resolved_database_url())}",
        file=sys.stderr,
    )
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level=args.log_level,
        log_config=log_config(args.log_level),
        access_log=False,
        http=with_header_timeout(settings.header_timeout_seconds),
        timeout_keep_alive=5,
        server_header=False,
        ssl_certfile=args.ssl_certfile,
        ssl_keyfile=args.ssl_keyfile,
    )
    return 0


def _address_taken(host: str, port: int) -> str | None:
    """Why the server could not listen on ``host``:``port`` (None when it can), found before
    the database is opened, so that a second server says so instead of announcing that it
    serves and then failing."""
    import socket

    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as error:
        return f"{error.strerror or error}"
    family, kind, proto, _, address = found[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as error:
            return f"{error.strerror or error}"
    return None


def log_config(level: str) -> dict[str, Any]:
    """Uvicorn's logging set-up plus the service's own loggers on standard error.

    Uvicorn's access log is replaced by ``api.access_log``, which names routes rather
    than the paths callers typed, so that no request value reaches the log.
    """
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["medpolicy.service"] = {
        "handlers": ["default"],
        "level": level.upper(),
        "propagate": False,
    }
    return config


def _token_create(args: argparse.Namespace) -> int:
    from medpolicy.service.clock import SystemClock
    from medpolicy.service.errors import ServiceError
    from medpolicy.service.principal import SYSTEM
    from medpolicy.service.tokens import TokenDesk

    try:
        with _database(args) as database:
            issued = TokenDesk(database, SystemClock()).issue(
                SYSTEM,
                role=args.role,
                org=args.org,
                name=args.name,
                expires_in_days=args.expires_days,
            )
    except ServiceError as error:
        print(f"medpolicy: {error.message}", file=sys.stderr)
        return 2
    print(issued.secret)
    print(
        f"medpolicy: token {issued.id} ({issued.role.value}) created; it is shown only once.",
        file=sys.stderr,
    )
    return 0


def _token_list(args: argparse.Namespace) -> int:
    from medpolicy.service.clock import SystemClock
    from medpolicy.service.principal import SYSTEM
    from medpolicy.service.tokens import TokenDesk

    with _database(args) as database:
        rows = TokenDesk(database, SystemClock()).list(SYSTEM)
    for row in rows:
        state = f"revoked {row.revoked_at.isoformat()}" if row.revoked_at else "active"
        print(f"{row.id}\t{row.role}\t{row.org or '-'}\t{row.name or '-'}\t{state}")
    return 0


def _token_approve(args: argparse.Namespace) -> int:
    from medpolicy.service.clock import SystemClock
    from medpolicy.service.errors import ServiceError
    from medpolicy.service.principal import SYSTEM
    from medpolicy.service.tokens import TokenDesk

    try:
        with _database(args) as database:
            TokenDesk(database, SystemClock()).approve(SYSTEM, token_id=args.token_id)
    except ServiceError as error:
        print(f"medpolicy: {error.message}", file=sys.stderr)
        return 2
    print(f"medpolicy: token {args.token_id} approved.", file=sys.stderr)
    return 0


def _token_revoke(args: argparse.Namespace) -> int:
    from medpolicy.service.clock import SystemClock
    from medpolicy.service.errors import ServiceError
    from medpolicy.service.principal import SYSTEM
    from medpolicy.service.tokens import TokenDesk

    try:
        with _database(args) as database:
            TokenDesk(database, SystemClock()).revoke(SYSTEM, token_id=args.token_id)
    except ServiceError as error:
        print(f"medpolicy: {error.message}", file=sys.stderr)
        return 2
    return 0


def _audit_verify(args: argparse.Namespace) -> int:
    from medpolicy.service.audit_report import verify_report

    with _database(args, make_key=False) as database:
        ok, lines = verify_report(database, settings_from(args))
    print("\n".join(lines))
    return 0 if ok else 1


def main(argv: Sequence[str] | None = None) -> int:
    """Run the service commands without the rest of ``medpolicy``."""
    parser = argparse.ArgumentParser(prog="medpolicy")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    handler: Handler = args.run
    try:
        return handler(args)
    except MedpolicyError as error:
        print(f"medpolicy: {error.message}", file=sys.stderr)
        return 2
