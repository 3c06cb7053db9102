"""The CRD coverage-information extension, chosen from an engine determination.

- ``meets_criteria``: covered, prior authorization still needed (the plan requires it for
  these services) but the clinician knows it will pass; no documentation asked. With a
  clinical caution (next step ``physician_review``) a physician reviews it, so clinical
  documentation goes with the request, as for an adverse outcome.
- ``insufficient_information``: covered conditionally; pa-needed and doc-needed are
  ``conditional``, info-needed says clinical information is missing, and the section's
  questionnaire is referenced so DTR can collect it.
- adverse outcomes: authorization needed with clinical documentation; a physician decides.
- ``not_addressed`` (a policy's service on a date its criteria do not cover): covered and
  pa-needed are ``indeterminate`` with the routing reason; "covered, no authorization" would
  let a clinician presume what another policy may require.

Every ``reason`` carries text for the clinician and a coding saying which kind of reason
it is. The CRD reason value set (coverageAssertionReasons: gold card, member or coverage
not found, coverage not active, out-of-network, technical problems) is extensible and has
no code for a reason grounded in the policy's criteria, which is what ours always are; so
the coding is from our own code system (``REASONS``, under the service's canonical base)
rather than a value set code that would misstate why. A value set code is used as soon as
one applies.

The invariants we can check ourselves are checked before a response leaves
(``invariant_problems``).
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from medpolicy.adapters.fhir_r4 import systems
from medpolicy.domain import Determination

__all__ = ["assertion", "coverage_information", "invariant_problems"]

_ASSERTIONS: dict[str, tuple[str, str, str | None]] = {
    "meets_criteria": ("covered", "auth-needed", None),
    "insufficient_information": ("conditional", "conditional", "conditional"),
    "does_not_meet_criteria": ("covered", "auth-needed", "clinical"),
    "experimental_investigational": ("covered", "auth-needed", "clinical"),
    "not_addressed": ("indeterminate", "indeterminate", None),
}


REASONS: dict[str, tuple[str, str]] = {
    "meets_criteria": ("criteria-met", "The request meets the policy's criteria"),
    "insufficient_information": (
        "clinical-information-needed",
        "Clinical information is needed to apply the policy's criteria",
    ),
    "does_not_meet_criteria": (
        "criteria-not-met",
        "As ordered, the request does not meet the policy's criteria; a physician reviews it",
    ),
    "experimental_investigational": (
        "investigational",
        "The policy considers this use investigational; a physician reviews it",
    ),
    "not_addressed": (
        "policy-not-in-effect",
        "No criteria of the policy are in effect for the service on that date",
    ),
    "physician_review": (
        "physician-review",
        "The criteria are met but a clinical caution of the policy applies; a physician reviews it",
    ),
}
"""Our reason code (and its display) for each engine outcome (``physician_review``: criteria
met with a caution)."""


def assertion(outcome: str, next_step: str | None = None) -> tuple[str, str, str | None]:
    """(covered, pa-needed, doc-needed) for an engine outcome and next step."""
    if outcome == "meets_criteria" and next_step == "physician_review":
        return ("covered", "auth-needed", "clinical")
    return _ASSERTIONS[outcome]


def coverage_information(
    determination: Determination,
    *,
    code: str,
    coverage_ref: str | None,
    questionnaire: str | None,
    today: date,
    base: str = systems.DEFAULT_BASE,
) -> dict[str, Any]:
    """The extension for one billing code of one order."""
    covered, pa_needed, doc_needed = assertion(determination.outcome, determination.next_step)
    parts: list[dict[str, Any]] = []
    if coverage_ref:
        parts.append({"url": "coverage", "valueReference": {"reference": coverage_ref}})
    parts += [
        {"url": "covered", "valueCode": covered},
        {"url": "pa-needed", "valueCode": pa_needed},
    ]
    if doc_needed:
        parts.append({"url": "doc-needed", "valueCode": doc_needed})
        parts.append({"url": "doc-purpose", "valueCode": "withpa"})
    if "conditional" in (covered, pa_needed, doc_needed):
        parts.append({"url": "info-needed", "valueCode": "OTH"})
        parts.append({"url": "reason", "valueCodeableConcept": _reason(determination, base)})
    elif determination.reasons:
        parts.append({"url": "reason", "valueCodeableConcept": _reason(determination, base)})
    if questionnaire and doc_needed:
        parts.append({"url": "questionnaire", "valueCanonical": questionnaire})
    parts += [
        {"url": "billingCode", "valueCoding": {"system": _system(code), "code": code}},
        {"url": "date", "valueDate": today.isoformat()},
        {"url": "coverage-assertion-id", "valueString": str(uuid.uuid4())},
    ]
    return {"url": systems.CRD_COVERAGE_INFORMATION, "extension": parts}


def _reason(determination: Determination, base: str) -> dict[str, Any]:
    key = str(determination.outcome)
    if key == "meets_criteria" and determination.next_step == "physician_review":
        key = "physician_review"
    code, display = REASONS[key]
    labels = [m.label for m in determination.missing]
    if labels:
        text = "Clinical information needed: " + "; ".join(labels) + "."
    else:
        text = determination.reasons[0] if determination.reasons else display + "."
    coding = {"system": systems.coverage_reason_system(base), "code": code, "display": display}
    return {"coding": [coding], "text": text}


def _system(code: str) -> str:
    return systems.CPT if code[:1].isdigit() else systems.HCPCS[0]


def invariant_problems(extension: dict[str, Any]) -> list[str]:
    """Which of the coverage-information invariants crd-ci-q1..q9 (CRD 2.2) the extension
    breaks. q8: a documentation purpose other than `conditional` needs a reason; q9: an
    `indeterminate` covered, pa-needed or doc-needed needs a reason."""
    values: dict[str, list[Any]] = {}
    for part in extension.get("extension", []):
        value = next((v for k, v in part.items() if k.startswith("value")), None)
        values.setdefault(part["url"], []).append(value)

    def has(url: str, value: Any = None) -> bool:
        return url in values and (value is None or value in values[url])

    conditional = any(has(u, "conditional") for u in ("covered", "pa-needed", "doc-needed"))
    checks = {
        "crd-ci-q1": not has("questionnaire") or has("doc-needed"),
        "crd-ci-q2": not has("covered", "not-covered") or not has("pa-needed"),
        "crd-ci-q3": conditional == has("info-needed"),
        "crd-ci-q4": not has("pa-needed", "satisfied") or not has("doc-purpose", "withpa"),
        "crd-ci-q5": has("satisfied-pa-id") == has("pa-needed", "satisfied"),
        "crd-ci-q6": not has("info-needed", "OTH") or has("reason"),
        "crd-ci-q7": all(
            r is not None and (r.get("text") or not r.get("coding"))
            for r in values.get("reason", [])
        ),
        "crd-ci-q8": has("reason")
        or all(purpose == "conditional" for purpose in values.get("doc-purpose", [])),
        "crd-ci-q9": has("reason")
        or not any(has(u, "indeterminate") for u in ("covered", "pa-needed", "doc-needed")),
    }
    return [name for name, holds in checks.items() if not holds]
