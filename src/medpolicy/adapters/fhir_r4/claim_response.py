"""PAS response Bundles: a case's standing rendered as a ClaimResponse.

Each Claim item gets a review action in its adjudication: A1 "certified in total" once the
case is approved, A3 "not certified" only after a physician's denial, A2 for a partial
approval, and A4 "pended" while it waits for information, for a reviewer, or for another
policy's owner. An item the provider cancelled in a Claim Update, whose case was
withdrawn, gets C "cancelled" (the X12 278 action code for a cancelled request). The case
id is the review number and the preauthorization reference; the reasons (and the
questions still open) are the ClaimResponse's process notes.

Every answer is ``outcome = complete``: the request was processed and each item carries
its review action, a pended one (A4) included, as in the guide's own pended example; the
other codes of the PAS ClaimResponseOutcome value set, ``error`` and ``partial``, speak of
processing errors. The response Bundle's ``identifier`` is the request Bundle's (the
submitter's transaction identifier, which the request must carry). An ``$inquire`` is
answered with the inquiry profiles, in a Parameters whose parameter is named ``return``,
as the guide's OperationDefinition ``Claim-inquiry`` names its output.
"""

from __future__ import annotations

import html
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fhir.resources.R4B.bundle import Bundle

from medpolicy.adapters.fhir_r4 import systems
from medpolicy.adapters.fhir_r4.bundle_index import BundleIndex
from medpolicy.adapters.fhir_r4.claim import PasRequest
from medpolicy.domain import CaseStatus

__all__ = [
    "REVIEW_ACTIONS",
    "ItemAnswer",
    "pas_inquiry_response",
    "pas_response_bundle",
    "review_action",
]

REVIEW_ACTIONS = {
    "A1": "Certified in total",
    "A2": "Certified - partial",
    "A3": "Not Certified",
    "A4": "Pended",
    "C": "Cancelled",
}
_BY_STATUS = {
    CaseStatus.APPROVED: "A1",
    CaseStatus.PARTIALLY_APPROVED: "A2",
    CaseStatus.DENIED: "A3",
    CaseStatus.WITHDRAWN: "C",
}


def review_action(status: CaseStatus) -> str:
    """The X12 306 review action for a case status (anything still open is pended)."""
    return _BY_STATUS.get(status, "A4")


@dataclass(frozen=True, slots=True)
class ItemAnswer:
    """Where one Claim item stands: its case (if one was opened) and what to tell the provider."""

    sequence: int
    status: CaseStatus
    case_id: str | None
    notes: tuple[str, ...] = field(default=())


def pas_inquiry_response(
    pas: PasRequest, answers: Sequence[ItemAnswer], now: datetime
) -> dict[str, Any]:
    """The ``$inquire`` output: Parameters with one inquiry response Bundle as ``return``."""
    bundle = pas_response_bundle(pas, answers, now, inquiry=True)
    return {"resourceType": "Parameters", "parameter": [{"name": "return", "resource": bundle}]}


def pas_response_bundle(
    pas: PasRequest, answers: Sequence[ItemAnswer], now: datetime, *, inquiry: bool = False
) -> dict[str, Any]:
    """The PAS response Bundle: ClaimResponse first, then every resource it references
    (and what those reference in the request), each as the request gave it."""
    claim = pas.claim
    carried: list[dict[str, Any]] = []
    patient_ref = _carry(pas.index, claim.patient, carried)
    insurer_ref = _carry(pas.index, claim.insurer, carried) or _our_insurer(carried)
    requestor_ref = _carry(pas.index, claim.provider, carried, kinds=_REQUESTORS)
    response = _claim_response(
        pas,
        answers,
        now,
        patient_ref=patient_ref,
        insurer_ref=insurer_ref,
        requestor_ref=requestor_ref,
        profile=systems.PAS_INQUIRY_RESPONSE if inquiry else systems.PAS_CLAIM_RESPONSE,
    )
    profile = systems.PAS_INQUIRY_RESPONSE_BUNDLE if inquiry else systems.PAS_RESPONSE_BUNDLE
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "meta": {"profile": [profile]},
        "type": "collection",
        "timestamp": now.isoformat(),
        "entry": [{"fullUrl": f"urn:uuid:{uuid.uuid4()}", "resource": response}, *carried],
    }
    if pas.bundle.identifier is not None:
        bundle["identifier"] = pas.bundle.identifier.model_dump(mode="json", exclude_none=True)
    Bundle.model_validate(bundle)
    return bundle


def _claim_response(
    pas: PasRequest,
    answers: Sequence[ItemAnswer],
    now: datetime,
    *,
    patient_ref: str | None,
    insurer_ref: str,
    requestor_ref: str | None,
    profile: str,
) -> dict[str, Any]:
    claim = pas.claim
    notes: list[dict[str, Any]] = []
    items = [_item(answer, now, notes) for answer in answers]
    response: dict[str, Any] = {
        "resourceType": "ClaimResponse",
        "id": str(uuid.uuid4()),
        "meta": {"profile": [profile]},
        "text": _narrative(answers),
        "identifier": [
            i.model_dump(mode="json", exclude_none=True) for i in claim.identifier or []
        ],
        "status": "active",
        "type": claim.type.model_dump(mode="json", exclude_none=True),
        "use": "preauthorization",
        "patient": {"reference": patient_ref},
        "created": now.isoformat(),
        "insurer": {"reference": insurer_ref},
        "request": {"identifier": _claim_identifier(pas)},
        "outcome": "complete",
        "item": items,
    }
    if requestor_ref:
        response["requestor"] = {"reference": requestor_ref}
    case_ids = [a.case_id for a in answers if a.case_id]
    if case_ids:
        response["preAuthRef"] = case_ids[0]
    if notes:
        response["processNote"] = notes
    if not response["identifier"]:
        del response["identifier"]
    return response


def _narrative(answers: Sequence[ItemAnswer]) -> dict[str, str]:
    """Each item's review action and case number, for a person reading the response."""
    rows = []
    for answer in answers:
        action = review_action(answer.status)
        case = f", case {html.escape(answer.case_id)}" if answer.case_id else ""
        rows.append(
            f"<li>Item {answer.sequence}: {action} {html.escape(REVIEW_ACTIONS[action])}{case}</li>"
        )
    div = f'<div xmlns="http://www.w3.org/1999/xhtml"><ul>{"".join(rows)}</ul></div>'
    return {"status": "generated", "div": div}


def _item(answer: ItemAnswer, now: datetime, notes: list[dict[str, Any]]) -> dict[str, Any]:
    action = review_action(answer.status)
    review: list[dict[str, Any]] = []
    if answer.case_id:
        review.append({"url": "number", "valueString": answer.case_id})
    review.append(
        {
            "url": systems.PAS_REVIEW_ACTION_CODE,
            "valueCodeableConcept": {
                "coding": [
                    {
                        "system": systems.X12_REVIEW_ACTION,
                        "code": action,
                        "display": REVIEW_ACTIONS[action],
                    }
                ]
            },
        }
    )
    item: dict[str, Any] = {
        "itemSequence": answer.sequence,
        "adjudication": [
            {
                "extension": [{"url": systems.PAS_REVIEW_ACTION, "extension": review}],
                "category": {"coding": [{"system": systems.ADJUDICATION, "code": "submitted"}]},
            }
        ],
    }
    if action in ("A1", "A2"):
        item["extension"] = [
            {"url": systems.PAS_PREAUTH_ISSUE_DATE, "valueDate": now.date().isoformat()}
        ]
    numbers = []
    for text in answer.notes:
        number = len(notes) + 1
        notes.append({"number": number, "type": "display", "text": text})
        numbers.append(number)
    if numbers:
        item["noteNumber"] = numbers
    return item


def _claim_identifier(pas: PasRequest) -> dict[str, Any]:
    system, _, value = pas.claim_key.partition("|")
    if not value:
        return {"value": pas.claim_key}
    return {"system": system, "value": value} if system else {"value": value}


_REQUESTORS = frozenset({"Organization", "PractitionerRole"})
"""What PAS lets a ClaimResponse name as requestor; a Practitioner provider is left out."""


def _carry(
    index: BundleIndex,
    reference: Any,
    carried: list[dict[str, Any]],
    *,
    kinds: frozenset[str] | None = None,
) -> str | None:
    found = index.resolve(reference)
    if found is None or (kinds is not None and found[1].get_resource_type() not in kinds):
        return None
    return _carry_entry(index, *found, carried)


def _carry_entry(
    index: BundleIndex, position: int, resource: Any, carried: list[dict[str, Any]]
) -> str:
    """Echo one request entry, then the request entries it references in turn."""
    full_url = index.full_url(position) or f"urn:uuid:{uuid.uuid4()}"
    if any(entry["fullUrl"] == full_url for entry in carried):
        return full_url
    dumped = resource.model_dump(mode="json", exclude_none=True)
    carried.append({"fullUrl": full_url, "resource": dumped})
    for target in _references(dumped):
        found = index.resolve_target(target)
        if found is not None and found[1] is not resource:
            _carry_entry(index, *found, carried)
    return full_url


def _references(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["reference"]] if isinstance(node.get("reference"), str) else []
        return found + [r for child in node.values() for r in _references(child)]
    if isinstance(node, list):
        return [r for child in node for r in _references(child)]
    return []


def _our_insurer(carried: list[dict[str, Any]]) -> str:
    full_url = f"urn:uuid:{uuid.uuid4()}"
    carried.append(
        {
            "fullUrl": full_url,
            "resource": {"resourceType": "Organization", "active": True, "name": "The health plan"},
        }
    )
    return full_url
