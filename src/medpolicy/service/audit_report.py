"""``medpolicy audit verify``: every check of the audit log, as lines for a person.

Three checks, each of which catches what the others cannot: the keyed chain (an entry
edited, removed or reordered), the row digests (a case, version, decision or token changed
or inserted in the tables behind the service's back) and the signed checkpoints kept
outside the database (the end of the log cut off).
"""

from __future__ import annotations

from sqlalchemy import func, select

from medpolicy.service import audit
from medpolicy.service.audit_checkpoint import check, checkpoint_path, database_label
from medpolicy.service.audit_key import AuditKeyError, describe, load_key
from medpolicy.service.config import ServiceSettings
from medpolicy.service.db.database import Database
from medpolicy.service.db.models import AuditEntry

MAX_LISTED = 20


def verify_report(database: Database, settings: ServiceSettings) -> tuple[bool, list[str]]:
    """Whether the log and the tables it vouches for are intact, and the lines saying so."""
    try:
        key = load_key(settings, create=False)
    except AuditKeyError as error:
        with database.transaction() as session:
            count = session.scalar(select(func.count()).select_from(AuditEntry)) or 0
        if count == 0:
            return True, ["audit log intact: 0 entries (no audit key has been made yet)"]
        return False, [f"audit log not checked: {error}"]
    label = database_label(database.url)
    with database.transaction() as session:
        result = audit.verify(session, key=key)
        checkpoints = check(session, checkpoint_path(settings), key, label)
    lines = []
    if result.broken_at is not None:
        lines.append(
            f"audit log broken at entry {result.broken_at}: {result.reason} "
            f"({result.checked} entries before it are intact)"
        )
    else:
        lines.append(
            f"chain: {result.checked} entries, each signed with the audit key "
            f"({describe(settings)}) and linked to the one before"
        )
        if result.row_problems:
            lines += _listed("rows that do not match the log", result.row_problems)
        else:
            lines.append(
                f"rows: all {result.rows_checked} case, version, decision and token rows "
                "match what the log recorded"
            )
    if checkpoints.problems:
        lines += _listed("checkpoints that do not match the log", checkpoints.problems)
    elif checkpoints.found:
        lines.append(
            f"checkpoints: {checkpoints.found} in {checkpoints.path} hold "
            f"(the latest recorded {checkpoints.latest} entries)"
        )
    else:
        lines.append(
            f"checkpoints: none for this database in {checkpoints.path}; "
            "entries removed from the end of the log would not show"
        )
    ok = result.ok and not checkpoints.problems
    lines.append(
        f"audit log intact: {result.checked} entries"
        if ok
        else "audit log NOT intact: see the lines above"
    )
    return ok, lines


def _listed(title: str, problems: list[str]) -> list[str]:
    lines = [f"{title} ({len(problems)}):"]
    lines += [f"  {problem}" for problem in problems[:MAX_LISTED]]
    if len(problems) > MAX_LISTED:
        lines.append(f"  ... and {len(problems) - MAX_LISTED} more")
    return lines
