"""The review on DuckDB, in this process: the embedded default.

DuckDB reads the claims (Parquet directly; CSV after staging), cleans and checks every
line, matches authorizations and reduces the policy lines to their distinct fact patterns;
the review function decides those patterns here in Python; DuckDB joins the decisions back
and writes the findings and errors. Only the patterns and the policy lines (a few percent
of a plan's claims) are ever held whole; the rest streams, within ``memory_limit``.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from medpolicy.batch.job import ReviewJob, Run
from medpolicy.batch.layout import Layout, check_authorizations, check_claims
from medpolicy.batch.progress import Progress
from medpolicy.batch.report import write_errors
from medpolicy.batch.review import DECISION_SCHEMA, PatternReviewer
from medpolicy.batch.sql import DUCKDB, ReviewSql
from medpolicy.batch.staging import csv_header, is_csv, stage_csv
from medpolicy.engine import Engine
from medpolicy.errors import MedpolicyError

__all__ = ["run_embedded"]

_BATCH = 20_000


def _literal(path: str | Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


class _Input:
    """One input file as a view with ``_row`` and ``_error``, and its column types."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: str, view: str) -> None:
        self.con, self.path, self.view = con, path, view
        if not Path(path).is_file():
            raise MedpolicyError(f"cannot read {path}: no such file")
        if is_csv(path):
            self.columns = dict.fromkeys(csv_header(path), "VARCHAR")
        else:
            try:
                described = con.execute(
                    f"DESCRIBE SELECT * FROM read_parquet({_literal(path)})"
                ).fetchall()
            except duckdb.Error:
                raise MedpolicyError(
                    f"{path}: not a Parquet file (a name ending in .csv is read as CSV)"
                ) from None
            self.columns = {str(row[0]): str(row[1]) for row in described}

    def register(self, staging: Path) -> None:
        """Create the view; CSV is staged to Parquet first (see ``staging``)."""
        if is_csv(self.path):
            staged = staging / f"{self.view}.parquet"
            stage_csv(self.path, staged)
            source = f"SELECT * FROM read_parquet({_literal(staged)})"
        else:
            source = (
                f"SELECT * EXCLUDE (file_row_number), file_row_number + 1 AS _row, "
                f"CAST(NULL AS VARCHAR) AS _error "
                f"FROM read_parquet({_literal(self.path)}, file_row_number = true)"
            )
        self.con.execute(f"CREATE VIEW {self.view} AS {source}")


def run_embedded(job: ReviewJob, engine: Engine, progress: Progress) -> Run:
    """Review ``job.claims`` with DuckDB and write the findings and errors under ``job.out``."""
    with tempfile.TemporaryDirectory(prefix="medpolicy-review-") as scratch:
        con = duckdb.connect(config={"memory_limit": job.memory_limit, "temp_directory": scratch})
        try:
            return _run(con, job, engine, progress, Path(scratch))
        finally:
            con.close()


def _run(
    con: duckdb.DuckDBPyConnection,
    job: ReviewJob,
    engine: Engine,
    progress: Progress,
    scratch: Path,
) -> Run:
    claims = _Input(con, job.claims, "claims_raw")
    layout = check_claims(job.claims, claims.columns, engine.registry.all_facts)
    auths = _Input(con, job.authorizations, "auths_raw") if job.authorizations else None
    auth_layout: Layout | None = None
    if auths is not None:
        auth_layout = check_authorizations(auths.path, auths.columns)
    job.out.mkdir(parents=True, exist_ok=True)
    sql = ReviewSql(DUCKDB, engine.registry, layout, with_authorizations=auths is not None)
    poll = con.query_progress

    def step(name: str) -> Any:
        return progress.step(name, lambda: max(0.0, poll()) / 100)

    with step("reading input"):
        claims.register(scratch)
        con.execute(f"CREATE VIEW claim_lines AS {sql.claim_lines()}")
        if auths is not None and auth_layout is not None:
            auths.register(scratch)
            con.execute(f"CREATE TEMP TABLE auth_lines AS {sql.authorization_lines(auth_layout)}")
    with step("matching policy lines"):
        con.execute(f"CREATE TEMP TABLE policy_base AS {sql.policy_base()}")
        con.execute(f"CREATE TEMP TABLE policy_lines AS {sql.policy_lines()}")
    with step("finding fact patterns"):
        patterns = con.sql(sql.patterns()).to_arrow_table()
    reviewer = PatternReviewer(engine, layout.fact_columns)
    with progress.step("deciding patterns"):
        decided = pa.Table.from_batches(
            reviewer.review(patterns.to_batches(_BATCH)), schema=DECISION_SCHEMA
        )
    con.register("decisions", decided)
    refused = _refused_codes(decided)
    findings = job.out / "findings.parquet"
    with step("writing findings"):
        con.execute(
            f"COPY ({sql.findings()}) TO {_literal(findings)} "
            "(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 500000)"
        )
    with step("writing errors"):
        errors = write_errors(job.out / "errors.csv", _rows(con.execute(sql.errors(refused))))
    with step("summarizing"):
        rows = con.execute(ReviewSql.summary(f"read_parquet({_literal(findings)})")).fetchall()
        read = _count(con.execute("SELECT count(*) FROM claims_raw").fetchone())
    return Run(rows=rows, lines_read=read, errors=errors, patterns=patterns.num_rows)


def _rows(result: duckdb.DuckDBPyConnection) -> Iterator[tuple[Any, ...]]:
    while chunk := result.fetchmany(10_000):
        yield from chunk


def _count(row: tuple[Any, ...] | None) -> int:
    return int(row[0]) if row else 0


def _refused_codes(decided: pa.Table) -> list[str]:
    """Codes (not policy patterns) whose lines the review refused, such as a code that is
    not shaped like a CPT or HCPCS code."""
    rows = decided.select(["pattern", "error_field"]).to_pylist()
    return [
        str(row["pattern"])
        for row in rows
        if row["error_field"] is not None and not str(row["pattern"]).startswith("{")
    ]
