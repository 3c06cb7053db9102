"""PAS submissions and inquiries carried out as cases of the case service.

Each Claim item with a CPT or HCPCS code is one case, opened through the case desk with
the item's key as Idempotency-Key (a resubmitted Claim finds its cases instead of opening
new ones). A Claim Update (``related.claim``) works on the cases of the earlier Claim:

- an item with the ``infoCancelled`` modifierExtension withdraws its case
  (``CaseDesk.withdraw``) and is answered C "cancelled";
- an item with ``infoChanged = added`` opens a new case;
- any other item adds its facts and diagnoses to its case, which is decided again (or opens
  a case when the earlier Claim had no such item).

The update's own identifier is remembered as an alias of the earlier Claim, so
``$inquire`` finds the cases by either identifier, and an update of an update still lands
on the original cases. Tokens, audit and deadlines are the case service's own; the role is
checked before the body is read, so a caller who may not submit learns nothing about it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from medpolicy.adapters.fhir_r4 import ItemAnswer, PasRequest, parse_pas_bundle
from medpolicy.adapters.fhir_r4.attachments import attached_documents, unread_attachments
from medpolicy.adapters.fhir_r4.claim import ClaimItem, item_key
from medpolicy.adapters.fhir_r4.operation_outcome import FhirInputError
from medpolicy.domain import CaseStatus
from medpolicy.policy.registry import Registry
from medpolicy.service.cases import CaseDesk, CaseRecord
from medpolicy.service.errors import ConflictError, InvalidInputError
from medpolicy.service.fhir_api.store import original_claim_key, remember_claim_alias
from medpolicy.service.permissions import Action, require
from medpolicy.service.principal import Principal

__all__ = ["PasDesk"]


@dataclass(frozen=True)
class PasDesk:
    """The PAS operations over the case desk."""

    cases: CaseDesk
    registry: Registry

    def submit(self, principal: Principal, body: Any) -> tuple[PasRequest, list[ItemAnswer]]:
        """``Claim/$submit``: open, update or withdraw the case of each item; answer for each."""
        require(principal, Action.SUBMIT_CASE)
        pas = parse_pas_bundle(body, self.registry)
        claim = self._original_claim(principal, pas)
        answers = [self._submit_item(principal, pas, claim, item) for item in pas.items]
        answers = self._read_attachments(principal, body, answers)
        if pas.prior_key is not None and pas.claim_key != claim:
            org = principal.org or ""
            remember_claim_alias(self.cases.database, org=org, alias=pas.claim_key, claim_key=claim)
        return pas, answers

    def inquire(self, principal: Principal, body: Any) -> tuple[PasRequest, list[ItemAnswer]]:
        """``Claim/$inquire``: the current answer of each item's case.

        The inquiry may name the original Claim or any Claim Update of it.
        """
        require(principal, Action.READ_CASE)
        pas = parse_pas_bundle(body, self.registry)
        claim = self._original_claim(principal, pas)
        answers = []
        for item in pas.items:
            case_id = self._case_of(principal, claim, item)
            if case_id is None:
                answers.append(_routed(item) if item.request is None else _unknown(item))
                continue
            answers.append(_answer(item, self.cases.read(principal, case_id=case_id)))
        return pas, answers

    def _submit_item(
        self, principal: Principal, pas: PasRequest, claim: str, item: ClaimItem
    ) -> ItemAnswer:
        if item.cancelled:
            return self._cancel(principal, claim, item)
        if item.request is None:
            return _routed(item)
        updating = pas.prior_key is not None and item.info_changed != "added"
        case_id = self._case_of(principal, claim, item) if updating else None
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
                idempotency_key=item_key(claim, item.sequence),
            ).record
        return _answer(item, record)

    def _cancel(self, principal: Principal, claim: str, item: ClaimItem) -> ItemAnswer:
        case_id = self._case_of(principal, claim, item)
        if case_id is None:
            return _routed(item) if item.request is None else _unknown(item)
        reason = f"The provider cancelled item {item.sequence} in a PAS Claim update."
        try:
            record = self.cases.withdraw(principal, case_id=case_id, reason=reason)
        except ConflictError as error:
            where = item.expression.removesuffix(".productOrService") + ".modifierExtension"
            raise FhirInputError(error.message, where, code="conflict", status=409) from None
        return _answer(item, record)

    def _read_attachments(
        self, principal: Principal, body: Any, answers: list[ItemAnswer]
    ) -> list[ItemAnswer]:
        """Propose facts from the Bundle's inline documents on each case still open (a case
        already decided is left as it is). An attachment that cannot be read (given only by
        URL, no text layer, an unsupported type) is recorded on the case and named in the
        item's answer, so that the provider and the nurse know to send it again."""
        documents = attached_documents(body)
        unread = unread_attachments(body)
        out = []
        for answer in answers:
            if answer.case_id is None or answer.status not in _OPEN:
                out.append(answer)
                continue
            problems = [(u.name, u.media_type, u.code, u.reason) for u in unread]
            for document in documents:
                try:
                    self.cases.add_document(
                        principal,
                        case_id=answer.case_id,
                        content=document.content,
                        media_type=document.media_type,
                        name=document.name,
                    )
                except InvalidInputError as error:
                    reason = error.message[:1].lower() + error.message[1:]
                    problems.append((document.name, document.media_type, error.code, reason))
                except ConflictError:
                    continue
            notes = []
            for name, media_type, code, reason in problems:
                self.cases.note_unread_document(
                    principal,
                    case_id=answer.case_id,
                    name=name,
                    media_type=media_type,
                    code=code,
                    reason=reason,
                )
                notes.append(
                    f"Attachment {name!r} was not read: {reason} Please send it as plain "
                    "text or as a PDF with a text layer, inline in the attachment's data."
                )
            out.append(replace(answer, notes=answer.notes + tuple(notes)))
        return out

    def _original_claim(self, principal: Principal, pas: PasRequest) -> str:
        """The key of the Claim whose cases ``pas`` names, following update aliases."""
        key = pas.prior_key or pas.claim_key
        org = None if principal.is_reviewer else principal.org or ""
        return original_claim_key(self.cases.database, org=org, key=key)

    def _case_of(self, principal: Principal, claim: str, item: ClaimItem) -> str | None:
        return self.cases.find_submitted(principal, idempotency_key=item_key(claim, item.sequence))


_OPEN = (CaseStatus.PENDING_INFORMATION, CaseStatus.IN_REVIEW)


def _answer(item: ClaimItem, record: CaseRecord) -> ItemAnswer:
    determination = record.current.determination
    notes = list(determination.get("reasons") or [])
    if record.case.status == CaseStatus.PENDING_INFORMATION:
        notes += [
            f"Information needed: {m['question']} Documentation: {m['documentation']}"
            for m in determination.get("missing") or []
        ]
    if record.case.status == CaseStatus.WITHDRAWN:
        notes.append("Cancelled at the provider's request; the case is withdrawn.")
    decisions = [e for e in record.events if e.kind == "decision"]
    if decisions:
        notes.append(f"Reviewer's decision: {decisions[-1].detail.get('rationale', '')}")
    return ItemAnswer(item.sequence, CaseStatus(record.case.status), record.case.id, tuple(notes))


def _routed(item: ClaimItem) -> ItemAnswer:
    note = (
        f"No coverage policy here decides the service coded {item.service_text}; "
        "the request is routed to the plan's utilization management."
    )
    return ItemAnswer(item.sequence, CaseStatus.ROUTED, None, (note,))


def _unknown(item: ClaimItem) -> ItemAnswer:
    raise FhirInputError(
        f"No authorization request is on file for item {item.sequence} of this Claim.",
        item.expression,
        code="not-found",
        status=404,
    )
