"""The review's relational steps as SQL that DuckDB and Spark SQL both run.

One text per step, so that the embedded and the distributed review cannot drift: the few
functions the two spell differently go through ``Dialect``. The runner registers the
inputs as ``claims_raw`` and ``auths_raw`` (the file's columns plus ``_row``, the 1-based
row number, and ``_error``, why the row could not be read as a record, else NULL) and
``decisions`` (what the review function returned), and runs these in order:

``claim_lines``      every row, cleaned and typed, with the first problem found in it
``auth_lines``       the same for authorizations
``policy_base``      valid lines whose code a policy decides (a few percent of claims)
``policy_lines``     those with their authorization and their fact pattern (a JSON key)
``patterns``         the distinct patterns to decide: one per policy pattern, one per other code
``findings``         every reviewed line with its decision
``errors``           every line that could not be reviewed, and why, in row order
``summary``          lines and paid amounts per finding, per month and per provider

Regular expressions avoid backslashes (Spark SQL unescapes them in literals). Text is cast
or trimmed only where it must be: over ten million rows each string operation on every row
costs seconds, while a check's message is built only for the rows that fail it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from medpolicy.batch.layout import (
    AUTHORIZATION_COLUMNS,
    CLAIM_OPTIONAL,
    CLAIM_REQUIRED,
    Layout,
)
from medpolicy.batch.review import APPROVED, DATE_PLACEHOLDER, NOT_APPROVED
from medpolicy.domain import LineOfBusiness
from medpolicy.policy.registry import Registry

__all__ = ["DUCKDB", "SPARK", "Dialect", "ReviewSql"]

_GIVEN = 40
LINES_OF_BUSINESS = tuple(line.value for line in LineOfBusiness)
_DATE_SHAPE = "[0-9]{4}-[0-9]{2}-[0-9]{2}"


@dataclass(frozen=True, slots=True)
class Dialect:
    """The spellings that differ between DuckDB and Spark SQL."""

    name: str

    def matches(self, expr: str, pattern: str) -> str:
        """Whether the whole of ``expr`` matches ``pattern``."""
        if self.name == "spark":
            return f"({expr} RLIKE '^{pattern}$')"
        return f"regexp_full_match({expr}, '{pattern}')"

    def list_text(self, expr: str) -> str:
        """A list of strings as one text, elements separated by ';'."""
        if self.name == "spark":
            return f"array_join({expr}, ';')"
        return f"array_to_string({expr}, ';')"

    def key(self, columns: Sequence[str]) -> str:
        """A text that equals another exactly when all the columns are equal (NULLs too)."""
        if self.name == "spark":
            inner = ", ".join(f"'{c}', {c}" for c in columns)
            return f"to_json(named_struct({inner}))"
        inner = ", ".join(f"{c} := {c}" for c in columns)
        return f"CAST(to_json(struct_pack({inner})) AS STRING)"


DUCKDB = Dialect("duckdb")
SPARK = Dialect("spark")


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _text(column: str, kind: str) -> str:
    """A column as text, empty text counting as absent."""
    if kind == "text":
        return f"NULLIF({column}, '')"
    return f"CAST({column} AS STRING)"


class ReviewSql:
    """The queries of one review, for one claims layout, registry and dialect."""

    def __init__(
        self,
        dialect: Dialect,
        registry: Registry,
        claims: Layout,
        *,
        with_authorizations: bool,
    ) -> None:
        self.d = dialect
        self.claims = claims
        self.with_authorizations = with_authorizations
        codes = sorted({s.code for p in registry.policies for s in p.services})
        self.policy_codes = "(" + ", ".join(_quote(c) for c in codes) + ")"
        self.boundaries = _boundaries(registry)

    # -- cleaning: the inner query keeps each input column as r_<name> beside its cleaned
    # value; the checks read both.

    def _date(self, column: str, kind: str) -> str:
        if kind == "date":
            return column
        if kind == "timestamp":
            return f"CAST({column} AS DATE)"
        raw = f"trim({_text(column, kind)})"
        return f"CASE WHEN {self.d.matches(raw, _DATE_SHAPE)} THEN TRY_CAST({raw} AS DATE) END"

    def _amount(self, column: str, kind: str) -> str:
        if kind in ("number", "integer"):
            return f"TRY_CAST({column} AS DECIMAL(15,2))"
        raw = f"trim({_text(column, kind)})"
        shape = self.d.matches(raw, "-?[0-9]{1,13}([.][0-9]{1,2})?")
        return f"CASE WHEN {shape} THEN CAST({raw} AS DECIMAL(15,2)) END"

    def _whole(self, column: str, kind: str) -> str:
        if kind == "integer":
            return f"CAST({column} AS BIGINT)"
        raw = f"trim({_text(column, kind)})"
        return f"CASE WHEN {self.d.matches(raw, '[0-9]{1,9}')} THEN CAST({raw} AS BIGINT) END"

    def _optional_text(self, column: str) -> str:
        if not self.claims.has(column):
            return "CAST(NULL AS STRING)"
        return _text(column, self.claims.kinds[column])

    def claim_lines(self) -> str:
        kinds = self.claims.kinds
        has = self.claims.has
        names = [*CLAIM_REQUIRED, *(c for c in CLAIM_OPTIONAL if has(c))]
        raw = ", ".join(f"{name} AS r_{name}" for name in names)
        lines = ", ".join(_quote(v) for v in LINES_OF_BUSINESS)
        if has("line_of_business"):
            given = _text("line_of_business", kinds["line_of_business"])
            lob = f"CASE WHEN {given} IN ({lines}) THEN {given} ELSE lower(trim({given})) END"
        else:
            lob = "CAST(NULL AS STRING)"
        if not has("diagnoses"):
            diagnoses = "CAST(NULL AS STRING)"
        elif kinds["diagnoses"] == "list":
            diagnoses = f"NULLIF({self.d.list_text('diagnoses')}, '')"
        else:
            diagnoses = _text("diagnoses", kinds["diagnoses"])
        facts = "".join(f", {_text(c, kinds[c])} AS {c}" for c in self.claims.fact_columns)
        code = _text("service_code", kinds["service_code"])
        clean = f"""
            SELECT _row, _error, {raw},
              {_text("claim_id", kinds["claim_id"])} AS claim_id,
              {self._whole("line", kinds["line"])} AS line,
              {_text("member_id", kinds["member_id"])} AS member_id,
              NULLIF(upper(trim({code})), '') AS service_code,
              {self._date("date_of_service", kinds["date_of_service"])} AS date_of_service,
              {self._amount("paid_amount", kinds["paid_amount"])} AS paid_amount,
              CAST({lob} AS STRING) AS line_of_business,
              {diagnoses} AS diagnoses,
              {self._optional_text("facts")} AS facts,
              {self._optional_text("provider")} AS provider{facts}
            FROM claims_raw"""
        checks = [
            ("_error IS NOT NULL", "record", "_error"),
            _required("claim_id"),
            _required("line", "r_line"),
            _invalid("line", "line IS NULL OR line < 1", "a whole number from 1 up"),
            _required("member_id"),
            _required("service_code"),
            _required("date_of_service", "r_date_of_service"),
            _invalid("date_of_service", "date_of_service IS NULL", "a date written YYYY-MM-DD"),
            _required("paid_amount", "r_paid_amount"),
            _invalid(
                "paid_amount",
                "paid_amount IS NULL",
                "a number with at most two decimals, such as 1250.00",
            ),
        ]
        if has("line_of_business"):
            checks.append(
                _invalid(
                    "line_of_business",
                    f"line_of_business IS NOT NULL AND line_of_business NOT IN ({lines})",
                    "one of " + ", ".join(LINES_OF_BUSINESS),
                )
            )
        return _with_problem(clean, checks)

    def authorization_lines(self, auth: Layout) -> str:
        kinds = auth.kinds
        raw = ", ".join(f"{name} AS r_{name}" for name in AUTHORIZATION_COLUMNS)
        code = _text("service_code", kinds["service_code"])
        clean = f"""
            SELECT _row, _error, {raw},
              {_text("case_id", kinds["case_id"])} AS case_id,
              {_text("member_id", kinds["member_id"])} AS member_id,
              NULLIF(upper(trim({code})), '') AS service_code,
              {self._date("start_date", kinds["start_date"])} AS start_date,
              {self._date("end_date", kinds["end_date"])} AS end_date,
              NULLIF(lower(trim({_text("status", kinds["status"])})), '') AS status
            FROM auths_raw"""
        checks = [
            ("_error IS NOT NULL", "record", "_error"),
            _required("case_id"),
            _required("member_id"),
            _required("service_code"),
            _required("start_date", "r_start_date"),
            _invalid("start_date", "start_date IS NULL", "a date written YYYY-MM-DD"),
            _required("end_date", "r_end_date"),
            _invalid("end_date", "end_date IS NULL", "a date written YYYY-MM-DD"),
            (
                "end_date < start_date",
                "end_date",
                "'end_date: is before start_date; given ' || CAST(end_date AS STRING) || "
                "' and ' || CAST(start_date AS STRING) || '; accepted: a date on or after "
                "start_date'",
            ),
            _required("status"),
        ]
        return _with_problem(clean, checks)

    # -- patterns and decisions ---------------------------------------------------------------

    def _bucket(self, column: str) -> str:
        """A date that stands for every date of service in the same bucket, as text."""
        days = self.boundaries
        parts = []
        for index in reversed(range(len(days))):
            start = days[index]
            following = days[index + 1] if index + 1 < len(days) else None
            label = start + timedelta(days=1)
            if following is not None and following <= label:
                label = start
            parts.append(f"WHEN {column} >= DATE '{start}' THEN '{label}'")
        before = (days[0] - timedelta(days=1)).isoformat()
        return f"CASE {' '.join(parts)} ELSE '{before}' END"

    def pattern_columns(self) -> list[str]:
        return [
            "service_code",
            "bucket",
            "line_of_business",
            "diagnoses",
            "facts",
            *self.claims.fact_columns,
            "auth",
            "paid_positive",
        ]

    def policy_base(self) -> str:
        return (
            "SELECT * FROM claim_lines "
            f"WHERE error_field IS NULL AND service_code IN {self.policy_codes}"
        )

    def policy_lines(self) -> str:
        facts = "".join(f", p.{c}" for c in self.claims.fact_columns)
        if self.with_authorizations:
            match = f"""
              LEFT JOIN (
                SELECT p._row,
                  max(CASE WHEN a.status = '{APPROVED}' THEN 1 ELSE 0 END) AS approved,
                  min(CASE WHEN a.status = '{APPROVED}' THEN a.case_id END) AS approved_case,
                  min(a.case_id) FILTER (WHERE a.status <> '{APPROVED}') AS other_case,
                  min_by(a.status, a.case_id) FILTER (WHERE a.status <> '{APPROVED}')
                    AS other_status
                FROM policy_base p
                JOIN auth_lines a
                  ON a.error_field IS NULL AND a.member_id = p.member_id
                  AND a.service_code = p.service_code
                  AND p.date_of_service BETWEEN a.start_date AND a.end_date
                GROUP BY p._row
              ) m ON m._row = p._row"""
            auth = (
                f"CASE WHEN m.approved = 1 THEN '{APPROVED}' "
                f"WHEN m.other_case IS NOT NULL THEN '{NOT_APPROVED}' END"
            )
            case = "CASE WHEN m.approved = 1 THEN m.approved_case ELSE m.other_case END"
            status = f"CASE WHEN m.approved = 1 THEN '{APPROVED}' ELSE m.other_status END"
        else:
            match = ""
            auth = case = status = "CAST(NULL AS STRING)"
        inner = f"""
            SELECT p._row, p.service_code, p.line_of_business, p.diagnoses, p.facts{facts},
              {self._bucket("p.date_of_service")} AS bucket,
              {auth} AS auth, {case} AS authorization_case_id,
              {status} AS authorization_status,
              p.paid_amount > 0 AS paid_positive
            FROM policy_base p{match}"""
        return (
            f"SELECT _row, authorization_case_id, authorization_status, "
            f"{', '.join(self.pattern_columns())}, "
            f"{self.d.key(self.pattern_columns())} AS pattern FROM ({inner}) k"
        )

    def _code(self) -> str:
        kind = self.claims.kinds["service_code"]
        return f"NULLIF(upper(trim({_text('service_code', kind)})), '')"

    def patterns(self) -> str:
        """Distinct policy patterns, and every other code once. Other codes are read
        straight from the input (one narrow column), not from the cleaned lines: a code
        seen only on a malformed line is decided for nothing, which costs less than a
        second pass over every column."""
        columns = self.pattern_columns()
        nulls = ", ".join(
            "service_code" if c == "service_code" else f"CAST(NULL AS {_type(c)}) AS {c}"
            for c in columns
        )
        return f"""
            SELECT DISTINCT pattern, {", ".join(columns)} FROM policy_lines
            UNION ALL
            SELECT service_code AS pattern, {nulls} FROM (
              SELECT DISTINCT {self._code()} AS service_code FROM claims_raw
            ) o
            WHERE service_code IS NOT NULL AND service_code NOT IN {self.policy_codes}"""

    def findings(self) -> str:
        """Every reviewed line with its decision: policy lines by their pattern, other
        lines by their code, in one pass over the claims (DuckDB keeps the row order)."""
        day = "CAST(l.date_of_service AS STRING)"
        return f"""
            SELECT l._row AS row, l.claim_id, l.line, l.member_id, l.provider,
              l.service_code, l.date_of_service, l.line_of_business, l.paid_amount,
              d.finding, d.outcome, d.policy, d.policy_version, d.failed_criteria,
              d.missing_facts,
              CASE WHEN p.pattern IS NULL THEN d.reason
                   ELSE replace(d.reason, '{DATE_PLACEHOLDER}', {day}) END AS reason,
              p.authorization_case_id, p.authorization_status
            FROM claim_lines l
            LEFT JOIN policy_lines p ON p._row = l._row
            JOIN decisions d ON d.pattern = coalesce(p.pattern, l.service_code)
            WHERE l.error_field IS NULL AND d.error_field IS NULL"""

    def errors(self, refused_codes: Sequence[str]) -> str:
        """Lines that could not be reviewed: malformed ones, policy lines whose pattern the
        review refused (from the small policy tables) and other lines whose code it refused
        (``refused_codes``, a code that is not a CPT or HCPCS code)."""
        codes = ", ".join(_quote(c) for c in refused_codes) or "NULL"
        parts = [
            f"""SELECT 'claims' AS source, l._row AS row, CAST(l.r_claim_id AS STRING) AS id,
                 CAST(l.r_line AS STRING) AS line,
                 coalesce(l.error_field, d.error_field) AS field,
                 coalesce(l.error_reason, d.error_reason) AS reason
               FROM claim_lines l
               LEFT JOIN decisions d
                 ON l.error_field IS NULL AND d.pattern = l.service_code
               WHERE l.error_field IS NOT NULL OR l.service_code IN ({codes})""",
            """SELECT 'claims' AS source, b._row AS row, CAST(b.r_claim_id AS STRING) AS id,
                 CAST(b.r_line AS STRING) AS line, d.error_field AS field,
                 d.error_reason AS reason
               FROM policy_lines p
               JOIN decisions d ON d.pattern = p.pattern AND d.error_field IS NOT NULL
               JOIN policy_base b ON b._row = p._row""",
        ]
        if self.with_authorizations:
            parts.append(
                """SELECT 'authorizations' AS source, _row AS row,
                     CAST(r_case_id AS STRING) AS id, CAST(NULL AS STRING) AS line,
                     error_field AS field, error_reason AS reason
                   FROM auth_lines WHERE error_field IS NOT NULL"""
            )
        return " UNION ALL ".join(parts) + " ORDER BY source DESC, row"

    @staticmethod
    def summary(findings: str = "findings") -> str:
        """Lines and paid amounts per finding, per month and per provider (long form)."""
        month = "substr(CAST(date_of_service AS STRING), 1, 7)"
        return f"""
            SELECT 'finding' AS dimension, finding AS key, finding,
              count(*) AS lines, sum(paid_amount) AS paid
            FROM {findings} GROUP BY finding
            UNION ALL
            SELECT 'month', {month}, finding, count(*), sum(paid_amount)
            FROM {findings} GROUP BY {month}, finding
            UNION ALL
            SELECT 'provider', coalesce(provider, '(none)'), finding, count(*),
              sum(paid_amount)
            FROM {findings} WHERE finding <> 'not_addressed'
            GROUP BY coalesce(provider, '(none)'), finding"""


def _type(column: str) -> str:
    return "BOOLEAN" if column == "paid_positive" else "STRING"


def _required(field: str, column: str | None = None) -> tuple[str, str, str]:
    """``field`` must be given: tested on the cleaned text, or on the input ``column``
    when the cleaned value can also be absent because it is not acceptable."""
    if column is None:
        empty = f"{field} IS NULL"
    else:
        empty = f"{column} IS NULL OR trim(CAST({column} AS STRING)) = ''"
    return (empty, field, f"'{field}: is required; given nothing'")


def _invalid(field: str, when: str, accepted: str) -> tuple[str, str, str]:
    """``field`` is given but not acceptable; the message shows the input value."""
    given = f"CAST(r_{field} AS STRING)"
    message = (
        f"'{field}: is not accepted; given ''' || substr({given}, 1, {_GIVEN}) || '''"
        f"; accepted: {accepted}'"
    )
    return (when, field, message)


def _with_problem(clean: str, checks: Sequence[tuple[str, str, str]]) -> str:
    """The cleaned rows with the first failing check's column and reason."""
    fields = " ".join(f"WHEN {when} THEN '{field}'" for when, field, _ in checks)
    reasons = " ".join(f"WHEN {when} THEN {reason}" for when, _, reason in checks)
    return f"""
        SELECT *, CASE {fields} END AS error_field, CASE {reasons} END AS error_reason
        FROM ({clean}) c"""


def _boundaries(registry: Registry) -> list[date]:
    """Every day on which some version starts or stops applying: between two neighbours
    every service code resolves to the same version, so one date decides for all. That
    date is the day after the bucket's first (when the bucket has one), which is never a
    version's date, so it can be told apart from version dates in a reason's text."""
    days: set[date] = set()
    for policy in registry.policies:
        for version in policy.versions:
            days.add(version.effective_from)
            if version.effective_to is not None:
                days.add(version.effective_to + timedelta(days=1))
    return sorted(days)
