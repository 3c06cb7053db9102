"""The one review function: distinct fact patterns in, findings out, as Arrow record batches.

DuckDB (embedded) and Spark (distributed) both reduce claim lines to their distinct fact
patterns and hand them here in record batches; nothing else decides a line. A pattern is
what the outcome can depend on: the service code, which policy version the date of service
falls under (a date bucket), the line of business, the diagnoses, the stated facts, whether
an authorization on file covers the line and whether anything was paid. Lines whose code no
policy decides are one pattern per code.

Findings, first that holds (the engine never denies: these are leads for payment-integrity
staff, each for a person to confirm):

``not_addressed``
    the engine does not decide the line: the code is not a policy service, or no version
    of the policy (or no criteria for the service) was in effect on the date of service.
``authorized``
    an approved authorization for the same member and code covers the date of service.
``unauthorized_paid``
    something was paid although the authorization on file for the same member, code and
    date was not approved (denied, pending, withdrawn ...): people decided, or are deciding,
    not to authorize it, so the claim's facts are not re-read into another finding.
``meets_criteria_no_authorization``
    no authorization covers the line, and its facts meet the policy in force on the date.
``not_met_or_experimental``
    no authorization covers the line, and its facts fail a criterion or meet an exclusion
    (``failed_criteria`` names them).
``insufficient_information``
    no authorization covers the line, and the claim does not carry the facts the outcome
    depends on (``missing_facts`` names exactly those).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import pyarrow as pa

from medpolicy.adapters.json_request import parse_request
from medpolicy.domain import Determination, Outcome, Status
from medpolicy.engine import Engine
from medpolicy.errors import RequestError, describe_given
from medpolicy.policy.model import FactDef

__all__ = [
    "APPROVED",
    "DATE_PLACEHOLDER",
    "DECISION_SCHEMA",
    "FINDINGS",
    "NOT_APPROVED",
    "PatternReviewer",
]

FINDINGS = (
    "not_addressed",
    "authorized",
    "unauthorized_paid",
    "meets_criteria_no_authorization",
    "not_met_or_experimental",
    "insufficient_information",
)
APPROVED = "approved"
NOT_APPROVED = "not_approved"
DATE_PLACEHOLDER = "{date_of_service}"
"""Stands in reasons for the line's own date, which a pattern (a date bucket) does not know."""

DECISION_SCHEMA = pa.schema(
    [
        ("pattern", pa.string()),
        ("finding", pa.string()),
        ("outcome", pa.string()),
        ("policy", pa.string()),
        ("policy_version", pa.string()),
        ("failed_criteria", pa.list_(pa.string())),
        ("missing_facts", pa.list_(pa.string())),
        ("reason", pa.string()),
        ("error_field", pa.string()),
        ("error_reason", pa.string()),
    ]
)

_SPLIT = re.compile(r"[;,|\s]+")
_ADVERSE = frozenset({Outcome.DOES_NOT_MEET_CRITERIA, Outcome.EXPERIMENTAL_INVESTIGATIONAL})
_TRUE = frozenset({"true", "t", "yes", "y", "1"})
_FALSE = frozenset({"false", "f", "no", "n", "0"})
# Any date serves a code that no policy decides: its answer does not depend on the date.
_ANY_DAY = "2000-01-01"


class PatternReviewer:
    """Decides fact patterns with one engine; picklable by what it is built from."""

    def __init__(self, engine: Engine, fact_columns: Sequence[str]) -> None:
        self.engine = engine
        self.fact_columns = tuple(fact_columns)
        self.dictionary: Mapping[str, FactDef] = engine.registry.all_facts
        self._decided: dict[tuple[Any, ...], tuple[Determination | RequestError, str]] = {}
        self._engine_columns = (
            "service_code",
            "bucket",
            "line_of_business",
            "diagnoses",
            "facts",
            *self.fact_columns,
        )

    def review(self, batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        """One batch of decisions (``DECISION_SCHEMA``) for each batch of patterns."""
        for batch in batches:
            rows = batch.to_pylist()
            yield pa.RecordBatch.from_pylist(
                [self.decide(row) for row in rows], schema=DECISION_SCHEMA
            )

    def decide(self, row: Mapping[str, Any]) -> dict[str, Any]:
        """The decision for one pattern, or the reason its lines cannot be reviewed.

        Patterns that differ only in authorization or payment share the engine's answer."""
        key = tuple(row.get(column) for column in self._engine_columns)
        found = self._decided.get(key)
        if found is None:
            found = self._determine(row)
            self._decided[key] = found
        answer, day = found
        if isinstance(answer, RequestError):
            return _refused(
                row["pattern"], answer, columns_of(answer.field, row, self.fact_columns)
            )
        return _decision(row, answer, day, self.engine.registry.target(answer.service.code))

    def _determine(self, row: Mapping[str, Any]) -> tuple[Determination | RequestError, str]:
        try:
            request = self._request(row)
            day = request["service"]["date_of_service"]
            return self.engine.determine(parse_request(request, self.engine.registry)), day
        except RequestError as exc:
            return exc, ""

    def _request(self, row: Mapping[str, Any]) -> dict[str, Any]:
        bucket = row.get("bucket")
        request: dict[str, Any] = {
            "service": {"code": row["service_code"], "date_of_service": bucket or _ANY_DAY}
        }
        if bucket is None:
            return request
        if row.get("line_of_business") is not None:
            request["member"] = {"line_of_business": row["line_of_business"]}
        diagnoses = row.get("diagnoses")
        if diagnoses:
            request["diagnoses"] = [code for code in _SPLIT.split(diagnoses) if code]
        facts = self._facts(row)
        if facts:
            request["facts"] = facts
        return request

    def _facts(self, row: Mapping[str, Any]) -> dict[str, Any]:
        facts: dict[str, Any] = {}
        text = row.get("facts")
        if text is not None:
            try:
                facts = json.loads(text)
            except ValueError:
                facts = None  # type: ignore[assignment]
            if not isinstance(facts, dict):
                raise RequestError(
                    f"facts: not a JSON object of fact ids and values; given "
                    f"{describe_given(text)}; accepted: a JSON object such as "
                    '{"prior_hsct": "allogeneic"}.',
                    field="facts",
                    code="invalid_facts",
                    accepted="a JSON object",
                )
        for column in self.fact_columns:
            raw = row.get(column)
            if raw is None or raw == "":
                continue
            name = column[len("fact_") :]
            value = self._typed(name, raw)
            if name in facts and facts[name] != value:
                raise RequestError(
                    f"{column}: disagrees with facts.{name}; given {describe_given(raw)} "
                    f"and {describe_given(facts[name])}; accepted: one value per fact.",
                    field=f"facts.{name}",
                    code="conflicting_fact",
                    accepted="one value per fact",
                )
            facts[name] = value
        return facts

    def _typed(self, name: str, raw: str) -> Any:
        """A fact column's text as the fact's type; a value that is not stays text, so the
        request check refuses it with the fact's accepted values."""
        kind = self.dictionary[name].type
        text = raw.strip()
        if kind == "boolean":
            if text.lower() in _TRUE:
                return True
            if text.lower() in _FALSE:
                return False
            return text
        if kind == "number":
            try:
                return float(text)
            except ValueError:
                return text
        return text


def columns_of(field: str | None, row: Mapping[str, Any], fact_columns: Sequence[str]) -> str:
    """The claim column a request field came from (``facts.x`` -> ``fact_x`` or ``facts``)."""
    if field is None:
        return "line"
    if field.startswith("facts."):
        column = "fact_" + field.split(".", 1)[1]
        stated = row.get(column)
        return column if column in fact_columns and stated not in (None, "") else "facts"
    head = field.split("[", 1)[0]
    return {
        "service.code": "service_code",
        "service.date_of_service": "date_of_service",
        "member.line_of_business": "line_of_business",
    }.get(head, head)


def _refused(pattern: str, exc: RequestError, column: str) -> dict[str, Any]:
    return {
        "pattern": pattern,
        "finding": None,
        "outcome": None,
        "policy": None,
        "policy_version": None,
        "failed_criteria": None,
        "missing_facts": None,
        "reason": None,
        "error_field": column,
        "error_reason": exc.message,
    }


def _decision(
    row: Mapping[str, Any], determination: Determination, day: str, named: object
) -> dict[str, Any]:
    """The decision's columns. A code that no policy names gets no reason: that it is not
    addressed says all, and ten million copies of one sentence would say nothing more."""
    outcome = determination.verdict.outcome
    failed = None
    if outcome in _ADVERSE:
        failed = [c.id for c in determination.criteria if c.status is Status.NOT_MET]
        failed += [e.id for e in determination.exclusions if e.status is Status.MET]
    missing = [m.fact for m in determination.missing] or None
    reason: str | None = " ".join(determination.reasons) if named is not None else None
    if reason is not None and row.get("bucket") is not None:
        reason = reason.replace(day, DATE_PLACEHOLDER)
    policy = determination.policy
    return {
        "pattern": row["pattern"],
        "finding": finding_of(outcome, row.get("auth"), bool(row.get("paid_positive"))),
        "outcome": outcome.value,
        "policy": policy.id if policy else None,
        "policy_version": policy.version if policy else None,
        "failed_criteria": failed,
        "missing_facts": missing,
        "reason": reason,
        "error_field": None,
        "error_reason": None,
    }


def finding_of(outcome: Outcome, authorization: str | None, paid: bool) -> str:
    """The finding for a line (see the module's docstring for each one's meaning)."""
    if outcome is Outcome.NOT_ADDRESSED:
        return "not_addressed"
    if authorization == APPROVED:
        return "authorized"
    if authorization == NOT_APPROVED and paid:
        return "unauthorized_paid"
    if outcome is Outcome.MEETS_CRITERIA:
        return "meets_criteria_no_authorization"
    if outcome in _ADVERSE:
        return "not_met_or_experimental"
    return "insufficient_information"
