"""PAS submissions and inquiries carried out as cases of the case service.

Each Claim item with a CPT or HCPCS code is one case, opened through the case desk with
the item's key as Idempotency-Key (a resubmitted Claim finds its cases instead of opening
new ones). A Claim Update (``related.claim``) adds its facts and diagnoses to the cases of
the earlier Claim, which are decided again; an item it adds opens a new case. Tokens,
audit and deadlines are the case service's own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from medpolicy.adapters.fhir_r4 import ItemAnswer, PasRequest, parse_pas_bundle
from medpolicy.adapters.fhir_r4.claim import ClaimItem
from medpolicy.adapters.fhir_r4.operation_outcome import FhirInputError
from medpolicy.policy.registry import Registry
from medpolicy.service.cases import CaseDesk, CaseRecord
from medpolicy.service.fhir_api.store import find_case_id
from medpolicy.service.principal import Principal

__all__ = ["PasDesk"]


@dataclass(frozen=True)
class PasDesk:
    """The PAS operations over the case desk."""

    cases: CaseDesk
    registry: Registry

    def submit(self, principal: Principal, body: Any) -> tuple[PasRequest, list[ItemAnswer]]:
        """``Claim/$submit``: open (or update) the cases of each item and answer for each."""
        pas = parse_pas_bundle(body, self.registry)
        return pas, [self._submit_item(principal, pas, item) for item in pas.items]

    def inquire(self, principal: Principal, body: Any) -> tuple[PasRequest, list[ItemAnswer]]:
        """``Claim/$inquire``: the current answer of each item's case."""
        pas = parse_pas_bundle(body, self.registry)
        answers = []
        for item in pas.items:
            case_id = self._case_of(principal, pas, item)
            if case_id is None:
                answers.append(_routed(item) if item.request is None else _unknown(item))
                continue
            answers.append(_answer(item, self.cases.read(principal, case_id=case_id)))
        return pas, answers

    def _submit_item(self, principal: Principal, pas: PasRequest, item: ClaimItem) -> ItemAnswer:
        if item.request is None:
            return _routed(item)
        case_id = self._case_of(principal, pas, item) if pas.prior_key else None
        if case_id is not None:
            record = self.cases.add_information(
                principal,
                case_id=case_id,
                diagnoses=list(item.request.get("diagnoses") or []),
                facts=dict(item.request.get("facts") or {}),
            )
        else:
            record = self.cases.submit(
                principal,
                request=item.request,
                priority=pas.priority,
                idempotency_key=pas.idempotency_key(item.sequence),
            ).record
        return _answer(item, record)

    def _case_of(self, principal: Principal, pas: PasRequest, item: ClaimItem) -> str | None:
        return find_case_id(
            self.cases.database,
            org=principal.org or "",
            key=pas.idempotency_key(item.sequence),
        )


def _answer(item: ClaimItem, record: CaseRecord) -> ItemAnswer:
    determination = record.current.determination
    notes = list(determination.get("reasons") or [])
    if record.case.status == "pending_information":
        notes += [
            f"Information needed: {m['question']} Documentation: {m['documentation']}"
            for m in determination.get("missing") or []
        ]
    decisions = [e for e in record.events if e.kind == "decision"]
    if decisions:
        notes.append(f"Reviewer's decision: {decisions[-1].detail.get('rationale', '')}")
    return ItemAnswer(item.sequence, record.case.status, record.case.id, tuple(notes))


def _routed(item: ClaimItem) -> ItemAnswer:
    note = (
        f"No coverage policy here decides the service coded {item.service_text}; "
        "the request is routed to the plan's utilization management."
    )
    return ItemAnswer(item.sequence, "routed", None, (note,))


def _unknown(item: ClaimItem) -> ItemAnswer:
    raise FhirInputError(
        f"No authorization request is on file for item {item.sequence} of this Claim.",
        item.expression,
        code="not-found",
        status=404,
    )
