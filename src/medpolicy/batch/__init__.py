"""Retrospective review of paid claim lines against the policies, at plan scale.

``review_claims(job)`` reads claim lines (Parquet or CSV, layout in ``layout``) and the
authorizations on file, gives every line a finding (``review``), and writes a report folder:
``findings.parquet``, ``errors.csv``, ``summary.csv`` and ``summary.html``. DuckDB runs it
in this process (``embedded``); Spark runs the same queries and the same review function
on a cluster (``spark``).
"""

from medpolicy.batch.job import ReviewJob, Run
from medpolicy.batch.layout import LayoutError
from medpolicy.batch.review import FINDINGS
from medpolicy.batch.run import review_claims

__all__ = ["FINDINGS", "LayoutError", "ReviewJob", "Run", "review_claims"]
