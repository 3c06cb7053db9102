"""The review on Apache Spark: the same queries and the same review function, on a cluster.

Spark runs the queries of ``batch.sql`` (in its own dialect) over the claims, reduces the
policy lines to their distinct fact patterns exactly as DuckDB does, and decides those
patterns on the executors with ``mapInArrow`` and the review function of ``batch.review``.
The policy travels with the job: the driver broadcasts the files of the policies it loaded,
and each executor's Python worker builds its engine from them once, so every executor
decides with the driver's policy version whatever is installed on the worker.

Executors need medpolicy itself importable (install it on the workers, or ship a packed
environment with ``spark.archives``). In local mode the workers run this interpreter.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import sys
import tempfile
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import pyarrow as pa

from medpolicy.batch.job import ReviewJob, Run
from medpolicy.batch.layout import check_authorizations, check_claims
from medpolicy.batch.progress import Progress
from medpolicy.batch.report import write_errors
from medpolicy.batch.review import PatternReviewer
from medpolicy.batch.sql import SPARK, ReviewSql
from medpolicy.batch.staging import is_csv, stage_csv
from medpolicy.engine import Engine
from medpolicy.errors import MedpolicyError
from medpolicy.policy.registry import Registry, default_policies_dir

__all__ = ["policy_bundle", "run_spark"]

DECISION_DDL = (
    "pattern string, finding string, outcome string, policy string, policy_version string, "
    "failed_criteria array<string>, missing_facts array<string>, reason string, "
    "error_field string, error_reason string"
)


def policy_bundle(directory: Path | None = None) -> bytes:
    """The policy files as one zip, to ship to executors."""
    root = directory or default_policies_dir()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(root.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                archive.write(path, path.relative_to(root).as_posix())
    return buffer.getvalue()


@cache
def _engine_from(bundle: bytes) -> Engine:
    """The engine of a policy bundle, built once per Python worker."""
    digest = hashlib.sha256(bundle).hexdigest()[:16]
    target = Path(tempfile.gettempdir()) / f"medpolicy-policies-{digest}"
    if not target.is_dir():
        staging = Path(tempfile.mkdtemp(prefix="medpolicy-policies-"))
        with zipfile.ZipFile(io.BytesIO(bundle)) as archive:
            archive.extractall(staging)
        try:
            staging.rename(target)
        except OSError:
            shutil.rmtree(staging, ignore_errors=True)
    return Engine(Registry.from_directory(target))


class _Decide:
    """The function Spark ships to executors: patterns in, decisions out."""

    def __init__(self, bundle: Any, fact_columns: Sequence[str]) -> None:
        self.bundle = bundle
        self.fact_columns = tuple(fact_columns)

    def __call__(self, batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        reviewer = PatternReviewer(_engine_from(self.bundle.value), self.fact_columns)
        yield from reviewer.review(batches)


def _session(master: str | None) -> Any:
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise MedpolicyError(
            "--engine spark needs PySpark: pip install 'medpolicy[spark]' (and Java 17)"
        ) from None
    chosen = master or "local[*]"
    builder = (
        SparkSession.builder.master(chosen)
        .appName("medpolicy review")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.ansi.enabled", "true")
    )
    if chosen.startswith("local"):
        # Local workers must run this interpreter, which has medpolicy installed.
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        builder = builder.config(
            "spark.sql.shuffle.partitions", str(max(2, (os.cpu_count() or 2) * 2))
        )
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


def _read(session: Any, path: str, view: str, staging: Path) -> dict[str, str]:
    """Register ``path`` as ``view`` with ``_row`` and ``_error``; its column types."""
    if not is_csv(path) and not Path(path).exists() and "://" not in path:
        raise MedpolicyError(f"cannot read {path}: no such file")
    if is_csv(path):
        staged = staging / f"{view}.parquet"
        stage_csv(path, staged)
        frame = session.read.parquet(str(staged))
    else:
        from pyspark.sql import functions as f

        frame = session.read.parquet(path)
        frame = frame.select(
            "*",
            (f.col("_metadata.row_index") + 1).alias("_row"),
            f.lit(None).cast("string").alias("_error"),
        )
    frame.createOrReplaceTempView(view)
    return {
        field.name: field.dataType.simpleString()
        for field in frame.schema.fields
        if field.name not in ("_row", "_error")
    }


def run_spark(job: ReviewJob, engine: Engine, progress: Progress) -> Run:
    """Review ``job.claims`` on Spark and write the report's findings and errors."""
    staging = job.out / ".staging"
    staging.mkdir(parents=True, exist_ok=True)
    try:
        with progress.step("starting Spark"):
            session = _session(job.master)
        return _run(session, job, engine, progress, staging)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _run(session: Any, job: ReviewJob, engine: Engine, progress: Progress, staging: Path) -> Run:
    claims = _read(session, job.claims, "claims_raw", staging)
    layout = check_claims(job.claims, claims, engine.registry.all_facts)
    if job.authorizations:
        auths = _read(session, job.authorizations, "auths_raw", staging)
        auth_layout = check_authorizations(job.authorizations, auths)
    sql = ReviewSql(SPARK, engine.registry, layout, with_authorizations=bool(job.authorizations))
    with progress.step("matching policy lines"):
        session.sql(sql.claim_lines()).createOrReplaceTempView("claim_lines")
        if job.authorizations:
            session.sql(sql.authorization_lines(auth_layout)).cache().createOrReplaceTempView(
                "auth_lines"
            )
        session.sql(sql.policy_base()).cache().createOrReplaceTempView("policy_base")
        session.sql(sql.policy_lines()).cache().createOrReplaceTempView("policy_lines")
    with progress.step("deciding patterns"):
        bundle = session.sparkContext.broadcast(policy_bundle())
        patterns = session.sql(sql.patterns())
        decisions = patterns.mapInArrow(_Decide(bundle, layout.fact_columns), DECISION_DDL)
        decisions = decisions.cache()
        decisions.createOrReplaceTempView("decisions")
        pattern_count = decisions.count()
        refused = [
            row["pattern"]
            for row in decisions.where("error_field IS NOT NULL").select("pattern").collect()
            if not str(row["pattern"]).startswith("{")
        ]
    findings = job.out / "findings.parquet"
    with progress.step("writing findings"):
        session.sql(sql.findings()).orderBy("row").write.mode("overwrite").parquet(str(findings))
    with progress.step("writing errors"):
        rows = (tuple(row) for row in session.sql(sql.errors(refused)).toLocalIterator())
        errors = write_errors(job.out / "errors.csv", rows)
    with progress.step("summarizing"):
        session.read.parquet(str(findings)).createOrReplaceTempView("findings_out")
        summary = [tuple(row) for row in session.sql(ReviewSql.summary("findings_out")).collect()]
        read = session.table("claims_raw").count()
    return Run(rows=summary, lines_read=read, errors=errors, patterns=pattern_count)
