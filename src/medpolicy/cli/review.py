"""`medpolicy review`: retrospective review of paid claim lines (see ``medpolicy.batch``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

__all__ = ["register"]


def register(commands: Any) -> None:
    """Add the ``review`` command to the command line's subcommands."""
    review = commands.add_parser(
        "review",
        help="review paid claim lines (Parquet or CSV) against the policies",
        description=(
            "Give every claim line a finding (not_addressed, authorized, unauthorized_paid, "
            "meets_criteria_no_authorization, not_met_or_experimental, "
            "insufficient_information) and write REPORT/findings.parquet, errors.csv, "
            "summary.csv and summary.html. Findings are leads for payment-integrity staff, "
            "not denials."
        ),
    )
    review.add_argument("claims", help="claim lines: a .parquet file, or .csv with a header")
    review.add_argument("--authorizations", default=None, help="authorizations on file")
    review.add_argument("--out", required=True, type=Path, help="report folder")
    review.add_argument("--engine", choices=("duckdb", "spark"), default="duckdb")
    review.add_argument(
        "--master", default=None, help="Spark master URL (default local[*]), e.g. spark://host:7077"
    )
    review.add_argument("--quiet", action="store_true", help="print no summary")
    review.set_defaults(run=_review)


def _review(args: argparse.Namespace) -> int:
    from medpolicy.batch import ReviewJob, review_claims
    from medpolicy.batch.progress import Progress
    from medpolicy.batch.report import render_text

    job = ReviewJob(
        claims=args.claims,
        out=args.out,
        authorizations=args.authorizations,
        engine=args.engine,
        master=args.master,
    )
    summary = review_claims(job, Progress(enabled=None if not args.quiet else False))
    if not args.quiet:
        sys.stdout.write(render_text(summary))
        sys.stdout.write(f"Report: {args.out}/summary.html, findings.parquet, errors.csv\n")
    return 0
