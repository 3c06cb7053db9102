"""The column layout of claim-line and authorization files, checked before any work.

Claim lines (Parquet or CSV with a header row; one row per claim line):

==================  ========  =====================================================
column              required  what it holds
==================  ========  =====================================================
claim_id            yes       the claim's identifier
line                yes       the line number within the claim, a positive integer
member_id           yes       the member's identifier (matched to authorizations)
service_code        yes       CPT or HCPCS Level II code billed on the line
date_of_service     yes       a date (Parquet DATE, or text ``YYYY-MM-DD``)
paid_amount         yes       the amount paid on the line, a number (may be negative
                              for an adjustment)
line_of_business    no        medicaid, medicare, marketplace or commercial
diagnoses           no        ICD-10-CM codes: a list column, or text separated by
                              ``;``, ``,``, ``|`` or spaces; with or without the dot
facts               no        a JSON object of the policy's fact ids and values
fact_<id>           no        one fact per column (``fact_prior_hsct``); a value here
                              and in ``facts`` must agree
provider            no        the billing provider's identifier
==================  ========  =====================================================

Authorizations (optional): ``case_id``, ``member_id``, ``service_code``, ``start_date``,
``end_date`` (both dates inclusive) and ``status`` (``approved`` authorizes; any other
status, such as denied, pending or withdrawn, does not). Other columns are ignored, except
a ``fact_`` column whose fact the policies do not define: a misspelt fact column would
otherwise turn into facts that are silently unknown.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from medpolicy.errors import MedpolicyError

__all__ = [
    "AUTHORIZATION_COLUMNS",
    "CLAIM_OPTIONAL",
    "CLAIM_REQUIRED",
    "FACT_PREFIX",
    "ColumnKind",
    "Layout",
    "LayoutError",
    "check_authorizations",
    "check_claims",
    "kind_of",
]

CLAIM_REQUIRED = (
    "claim_id",
    "line",
    "member_id",
    "service_code",
    "date_of_service",
    "paid_amount",
)
CLAIM_OPTIONAL = ("line_of_business", "diagnoses", "facts", "provider")
AUTHORIZATION_COLUMNS = (
    "case_id",
    "member_id",
    "service_code",
    "start_date",
    "end_date",
    "status",
)
FACT_PREFIX = "fact_"

ColumnKind = str
"""How a column is stored: text, date, timestamp, integer, number, boolean or list."""


class LayoutError(MedpolicyError):
    """An input file whose columns do not follow the layout; raised before any work."""

    code = "invalid_layout"


def kind_of(type_name: str) -> ColumnKind:
    """The kind of a column from its type as DuckDB or Spark names it."""
    name = type_name.strip().lower()
    if name.endswith("[]") or name.startswith(("array", "list")):
        return "list"
    table = (
        ("timestamp", "timestamp"),
        ("date", "date"),
        ("bool", "boolean"),
        ("decimal", "number"),
        ("double", "number"),
        ("float", "number"),
        ("real", "number"),
        ("int", "integer"),
        ("long", "integer"),
        ("short", "integer"),
        ("byte", "integer"),
    )
    for prefix, kind in table:
        if prefix in name:
            return kind
    return "text"


@dataclass(frozen=True, slots=True)
class Layout:
    """The columns a claims file has: each used column's kind, and its fact columns."""

    kinds: Mapping[str, ColumnKind]
    fact_columns: tuple[str, ...]

    def has(self, column: str) -> bool:
        return column in self.kinds


def check_claims(path: str, columns: Mapping[str, str], known_facts: Iterable[str]) -> Layout:
    """The layout of a claims file, or one error naming every missing or unknown column."""
    lower = {name.lower(): name for name in columns}
    missing = [name for name in CLAIM_REQUIRED if name not in lower]
    facts = set(known_facts)
    unknown = sorted(
        name
        for name in lower
        if name.startswith(FACT_PREFIX) and name[len(FACT_PREFIX) :] not in facts
    )
    problems = []
    if missing:
        problems.append("it has no column " + ", ".join(missing))
    if unknown:
        problems.append(
            "its column(s) "
            + ", ".join(unknown)
            + " name no fact of the policies (fact columns are fact_ followed by one of "
            + ", ".join(sorted(facts))
            + ")"
        )
    if problems:
        raise LayoutError(
            f"{path}: {'; and '.join(problems)}. Required columns: "
            + ", ".join(CLAIM_REQUIRED)
            + "; optional: "
            + ", ".join(CLAIM_OPTIONAL)
            + ", fact_<fact id>. Nothing was reviewed."
        )
    used = [*CLAIM_REQUIRED, *CLAIM_OPTIONAL]
    kinds = {name: kind_of(columns[lower[name]]) for name in used if name in lower}
    fact_columns = tuple(sorted(name for name in lower if name.startswith(FACT_PREFIX)))
    kinds.update({name: kind_of(columns[lower[name]]) for name in fact_columns})
    return Layout(kinds, fact_columns)


def check_authorizations(path: str, columns: Mapping[str, str]) -> Layout:
    """The layout of an authorizations file, or one error naming the missing columns."""
    lower = {name.lower(): name for name in columns}
    missing = [name for name in AUTHORIZATION_COLUMNS if name not in lower]
    if missing:
        raise LayoutError(
            f"{path}: it has no column {', '.join(missing)}. Required columns: "
            + ", ".join(AUTHORIZATION_COLUMNS)
            + ". Nothing was reviewed."
        )
    return Layout({name: kind_of(columns[lower[name]]) for name in AUTHORIZATION_COLUMNS}, ())
