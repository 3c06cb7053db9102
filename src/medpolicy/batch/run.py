"""Run a review on the chosen engine and write the summary beside its findings."""

from __future__ import annotations

import csv
import time

from medpolicy.api import default_engine
from medpolicy.batch.job import ReviewJob, Run
from medpolicy.batch.progress import Progress
from medpolicy.batch.report import Summary, render_html
from medpolicy.errors import MedpolicyError

__all__ = ["review_claims"]

ENGINES = ("duckdb", "spark")


def review_claims(job: ReviewJob, progress: Progress | None = None) -> Summary:
    """Review ``job.claims``; the report folder ``job.out`` receives findings.parquet,
    errors.csv, summary.csv and summary.html. Raises ``MedpolicyError`` (before any work)
    for a missing file or column."""
    shown = progress or Progress(enabled=False)
    started = time.monotonic()
    engine = default_engine()
    if job.engine == "duckdb":
        from medpolicy.batch.embedded import run_embedded

        run = run_embedded(job, engine, shown)
    elif job.engine == "spark":
        from medpolicy.batch.spark import run_spark

        run = run_spark(job, engine, shown)
    else:
        raise MedpolicyError(f"unknown engine {job.engine!r}; accepted: {', '.join(ENGINES)}")
    summary = Summary.from_rows(
        run.rows,
        engine=job.engine,
        lines_read=run.lines_read,
        errors=run.errors,
        patterns=run.patterns,
        seconds=time.monotonic() - started,
    )
    _write_summary(job, run, summary)
    shown.close()
    return summary


def _write_summary(job: ReviewJob, run: Run, summary: Summary) -> None:
    rows = sorted(
        ((str(d), str(k), str(f), int(str(n)), str(p)) for d, k, f, n, p in run.rows),
        key=lambda row: row[:3],
    )
    with open(job.out / "summary.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["dimension", "key", "finding", "lines", "paid"])
        writer.writerows(rows)
    (job.out / "summary.html").write_text(render_html(summary), encoding="utf-8")
