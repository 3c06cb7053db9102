"""The case workflow: submit, add information, decide, extend, withdraw, read and list.

A provider's submission is decided by the engine at once and stored with the engine's
determination; the outcome sets the status (``meets_criteria`` is approved on the spot
unless a clinical caution sends it to a physician,
``insufficient_information`` waits for the provider, an adverse outcome waits for a
physician, ``not_addressed`` is routed to another policy). Each change is one transaction
that also appends to the audit log, and it is committed before the caller hears back.
"""

from __future__ import annotations

import copy
import hashlib
import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from medpolicy.domain import CaseStatus, Determination, Outcome
from medpolicy.service import audit, deadlines, documents, fact_changes
from medpolicy.service.case_revision import ANY_REVISION, Expected, check_revision, revision_of
from medpolicy.service.clock import Clock
from medpolicy.service.db import repositories as repo
from medpolicy.service.db.database import Database
from medpolicy.service.db.models import Case, CaseEvent, CaseLetter, CaseVersion
from medpolicy.service.errors import ConflictError, InvalidInputError, NotFoundError
from medpolicy.service.permissions import Action, require, visible_to
from medpolicy.service.principal import Principal

Evaluator = Callable[[dict[str, Any]], Determination]
Reader = Callable[[str, str | None], dict[str, Any]]
"""Reads a document's text for a service code: the extraction's JSON (facts, evidence,
spans, assertions)."""


class LetterPress(Protocol):
    """Writes the PDF of a letter (see ``service/letters``) from what the case says."""

    def write(self, kind: str, context: dict[str, Any]) -> bytes:
        """The PDF of a letter of ``kind`` (approval, information, adverse)."""
        ...


STATUS_BY_OUTCOME: dict[str, CaseStatus] = {
    Outcome.MEETS_CRITERIA: CaseStatus.APPROVED,
    Outcome.INSUFFICIENT_INFORMATION: CaseStatus.PENDING_INFORMATION,
    Outcome.EXPERIMENTAL_INVESTIGATIONAL: CaseStatus.IN_REVIEW,
    Outcome.DOES_NOT_MEET_CRITERIA: CaseStatus.IN_REVIEW,
    Outcome.NOT_ADDRESSED: CaseStatus.ROUTED,
}


def case_status(determination: Determination) -> CaseStatus:
    """The status a fresh determination puts a case in: by outcome, except that a request
    meeting the criteria with a clinical caution (next step ``physician_review``) waits
    for a physician instead of being approved (MCP-210.md, "Outcomes")."""
    if determination.next_step == "physician_review":
        return CaseStatus.IN_REVIEW
    return STATUS_BY_OUTCOME[determination.outcome]


OPEN_STATUSES = (CaseStatus.PENDING_INFORMATION, CaseStatus.IN_REVIEW, CaseStatus.ROUTED)
FINAL_STATUSES = (CaseStatus.APPROVED, CaseStatus.DENIED, CaseStatus.PARTIALLY_APPROVED)
CLOSED_STATUSES = (*FINAL_STATUSES, CaseStatus.WITHDRAWN)
DECISION_STATUS = {
    "approve": CaseStatus.APPROVED,
    "deny": CaseStatus.DENIED,
    "partially_approve": CaseStatus.PARTIALLY_APPROVED,
}
DECISION_ACTION = {
    "approve": Action.APPROVE,
    "deny": Action.DENY,
    "partially_approve": Action.PARTIALLY_APPROVE,
}


@dataclass(frozen=True)
class CaseRecord:
    """A case with its full history, as read in one transaction."""

    case: Case
    versions: list[CaseVersion]
    events: list[CaseEvent]
    letters: list[CaseLetter] = field(default_factory=list)

    @property
    def current(self) -> CaseVersion:
        """The version the status rests on."""
        return self.versions[-1]

    @property
    def revision(self) -> str:
        """Changes whenever anything is added to the case: a form drawn at one revision
        is stale at another (versions and events are only ever appended)."""
        return f"{len(self.versions)}.{len(self.events)}"


@dataclass(frozen=True)
class WorkItem:
    """A queue row: the case and its current request (member and service)."""

    case: Case
    request: dict[str, Any]


@dataclass(frozen=True)
class Worklist:
    """One page of a reviewer's queue and how many cases match in all."""

    items: list[WorkItem]
    total: int


@dataclass(frozen=True)
class Submission:
    """The answer to a submission: the case, and whether it already existed."""

    record: CaseRecord
    replayed: bool


class CaseDesk:
    """The prior-authorization desk: every way a case is created, changed or read."""

    def __init__(
        self,
        database: Database,
        clock: Clock,
        evaluate: Evaluator,
        letters: LetterPress | None = None,
        read: Reader | None = None,
    ) -> None:
        self.database = database
        self.clock = clock
        self.evaluate = evaluate
        self.letters = letters
        self.read_note = read or _read_with_default_rules

    def submit(
        self,
        principal: Principal,
        *,
        request: dict[str, Any],
        priority: str,
        idempotency_key: str | None,
    ) -> Submission:
        """Store and decide a new case; a retried Idempotency-Key returns the first one."""
        require(principal, Action.SUBMIT_CASE)
        org = principal.org or ""
        fingerprint = _fingerprint(request, priority)
        if idempotency_key is not None:
            existing = self._replay(principal, org, idempotency_key, fingerprint)
            if existing is not None:
                return Submission(existing, replayed=True)
        determination = self.evaluate(request)
        try:
            return Submission(
                self._insert(
                    principal=principal,
                    org=org,
                    request=request,
                    priority=priority,
                    idempotency_key=idempotency_key,
                    fingerprint=fingerprint,
                    determination=determination,
                ),
                replayed=False,
            )
        except IntegrityError:
            if idempotency_key is None:
                raise
            existing = self._replay(principal, org, idempotency_key, fingerprint)
            if existing is None:
                raise
            return Submission(existing, replayed=True)

    def _replay(
        self, principal: Principal, org: str, key: str, fingerprint: str
    ) -> CaseRecord | None:
        with self.database.transaction() as session:
            case = repo.find_by_idempotency_key(session, org=org, key=key)
            if case is None:
                return None
            if case.request_sha256 != fingerprint:
                raise ConflictError(
                    "idempotency_key_reused",
                    f"Idempotency-Key {key!r} was already used for a different submission.",
                    field="Idempotency-Key",
                    accepted="a new key for a new submission, or the same body on a retry",
                )
            self._audit(session, principal, "case.replay", [case.id])
            return _load(session, case)

    def _insert(
        self,
        *,
        principal: Principal,
        org: str,
        request: dict[str, Any],
        priority: str,
        idempotency_key: str | None,
        fingerprint: str,
        determination: Determination,
    ) -> CaseRecord:
        now = self.clock.now()
        status = case_status(determination)
        case = Case(
            id=str(uuid.uuid4()),
            org=org,
            priority=priority,
            status=status,
            outcome=determination.outcome,
            received_at=now,
            due_at=deadlines.due_at(now, priority),
            decided_at=now if status is CaseStatus.APPROVED else None,
            version=1,
            submitted_by=principal.token_id,
            idempotency_key=idempotency_key,
            request_sha256=fingerprint,
            service_code=str((request.get("service") or {}).get("code") or "")[:20] or None,
        )
        version = _version(
            case=case,
            kind="submitted",
            principal=principal,
            request=request,
            determination=determination,
            now=now,
        )
        with self.database.transaction() as session:
            session.add(case)
            session.flush()
            session.add(version)
            self._audit(session, principal, "case.create", [case.id])
        return CaseRecord(case, [version], [])

    def add_information(
        self,
        principal: Principal,
        *,
        case_id: str,
        diagnoses: list[str],
        facts: dict[str, Any],
        expected_revision: Expected = ANY_REVISION,
    ) -> CaseRecord:
        """Merge what the provider sent into the request and decide the case again."""
        require(principal, Action.ADD_INFORMATION)
        with self.database.transaction() as session:
            case = self._open_case(session, principal, case_id)
            check_revision(case, expected_revision)
            current = repo.latest_version(session, case=case)
            request = merge_information(current.request, diagnoses, facts)
            again = self._decide_again(
                session, principal, case, current, request, kind="information"
            )
            routed = _route_if_changed(case, again)
            session.add(again.version)
            self._audit(session, principal, "case.information", [case.id])
            self._record_changes(session, principal, case, again, routed_to_review=routed)
            session.flush()
            return _load(session, case)

    def decide(
        self,
        principal: Principal,
        *,
        case_id: str,
        decision: str,
        rationale: str,
        criteria: list[str],
        expected_revision: Expected = ANY_REVISION,
    ) -> CaseRecord:
        """Record a reviewer's decision; a denial names criteria and a plain reason."""
        require(principal, DECISION_ACTION[decision])
        if decision != "approve" and not (principal.name or "").strip():
            raise InvalidInputError(
                "reviewer_name_required",
                "An adverse determination letter names the physician who made it, with "
                "credentials; this token has no name.",
                field="Authorization",
                accepted="a physician token made with --name, e.g. 'Maya Chen, MD, Hematology'",
            )
        with self.database.transaction() as session:
            case = self._open_case(session, principal, case_id)
            check_revision(case, expected_revision)
            determination = repo.latest_version(session, case=case).determination
            _check_decision(decision, rationale, criteria, determination)
            now = self.clock.now()
            case.status = DECISION_STATUS[decision]
            case.decided_at = now
            detail = {
                "decision": decision,
                "rationale": rationale.strip(),
                "criteria": criteria,
                "cited": cited(criteria, determination),
                "case_revision": revision_of(case),
                "request_version": case.version,
            }
            session.add(_event(case, "decision", principal, detail, now))
            self._audit(session, principal, "case.decision", [case.id])
            kind = "approval" if decision == "approve" else "adverse"
            self._send_letter(session, principal, case, kind, detail)
            session.flush()
            return _load(session, case)

    def extend(self, principal: Principal, *, case_id: str, reason: str) -> CaseRecord:
        """Extend the deadline once, by 14 days, recording why."""
        require(principal, Action.EXTEND)
        if not reason.strip():
            raise InvalidInputError(
                "reason_required",
                "An extension needs a reason; the reason given was blank.",
                field="reason",
                accepted="a sentence saying why more time is needed",
            )
        with self.database.transaction() as session:
            case = self._open_case(session, principal, case_id)
            if case.extended_at is not None:
                raise ConflictError(
                    "already_extended",
                    f"Case {case.id} was already extended on {case.extended_at.isoformat()}; "
                    "the rule allows one extension.",
                    field="case_id",
                    accepted="a case that has not been extended",
                )
            now = self.clock.now()
            if not deadlines.may_extend(case.due_at, now):
                raise ConflictError(
                    "deadline_passed",
                    f"Case {case.id} was due {case.due_at.isoformat()}; an extension is taken "
                    "before the deadline, not to cover a decision that is already late.",
                    field="case_id",
                    accepted="a case whose deadline has not passed",
                )
            previous_due = case.due_at
            case.due_at = deadlines.extended_due_at(case.due_at)
            case.extended_at = now
            detail = {
                "reason": reason.strip(),
                "previous_due_at": previous_due.isoformat(),
                "due_at": case.due_at.isoformat(),
            }
            session.add(_event(case, "extension", principal, detail, now))
            self._audit(session, principal, "case.extension", [case.id])
            session.flush()
            return _load(session, case)

    def withdraw(self, principal: Principal, *, case_id: str, reason: str) -> CaseRecord:
        """Close an open case at its submitter's request (a PAS item with ``infoCancelled``).

        ``withdrawn`` is not a decision: it counts in no decision metric. A ``withdrawal``
        event records who withdrew it, from which status and why. A decided case cannot be
        withdrawn (409); withdrawing a withdrawn case again changes nothing, so a resubmitted
        update is answered the same way.
        """
        require(principal, Action.WITHDRAW_CASE)
        with self.database.transaction() as session:
            case = self._visible_case(session, principal, case_id, for_update=True)
            if case.status == CaseStatus.WITHDRAWN:
                self._audit(session, principal, "case.replay", [case.id])
                return _load(session, case)
            if case.status in FINAL_STATUSES:
                raise ConflictError(
                    "case_closed",
                    f"Case {case.id} is already {case.status}; a decided case cannot be withdrawn.",
                    field="case_id",
                    accepted="a case whose status is " + ", ".join(OPEN_STATUSES),
                )
            detail = {"reason": reason, "previous_status": case.status}
            case.status = CaseStatus.WITHDRAWN
            session.add(_event(case, "withdrawal", principal, detail, self.clock.now()))
            self._audit(session, principal, "case.withdrawal", [case.id])
            session.flush()
            return _load(session, case)

    def add_document(
        self, principal: Principal, *, case_id: str, content: bytes, media_type: str, name: str
    ) -> tuple[CaseRecord, dict[str, Any]]:
        """Read a document sent for a case and store the facts it proposes, with evidence.

        Nothing about the case changes: no new version, status or deadline. The proposals
        wait for a nurse or physician (``accept_proposal``).
        """
        require(principal, Action.ADD_INFORMATION)
        document = documents.read_document(content, media_type, name)
        with self.database.transaction() as session:
            case = self._open_case(session, principal, case_id)
            service = _service_code(repo.latest_version(session, case=case).request)
        extraction = self.read_note(document.text, service)
        detail = documents.document_detail(document, str(uuid.uuid4()), extraction)
        with self.database.transaction() as session:
            case = self._open_case(session, principal, case_id)
            session.add(_event(case, documents.DOCUMENT_EVENT, principal, detail, self.clock.now()))
            self._audit(session, principal, "case.document", [case.id])
            session.flush()
            return _load(session, case), detail

    def note_unread_document(
        self,
        principal: Principal,
        *,
        case_id: str,
        name: str,
        media_type: str,
        code: str,
        reason: str,
    ) -> None:
        """Record that a document sent for the case could not be read, and why, so that a
        nurse knows to ask for it; like a document, it changes nothing else on the case."""
        require(principal, Action.ADD_INFORMATION)
        detail = {"name": name, "media_type": media_type, "code": code, "reason": reason}
        with self.database.transaction() as session:
            case = self._open_case(session, principal, case_id)
            session.add(_event(case, documents.UNREAD_EVENT, principal, detail, self.clock.now()))
            self._audit(session, principal, "case.document_unread", [case.id])

    def proposals(self, principal: Principal, *, case_id: str) -> list[dict[str, Any]]:
        """Every fact proposed from the case's documents, and which were accepted."""
        require(principal, Action.READ_CASE)
        with self.database.transaction() as session:
            case = self._visible_case(session, principal, case_id, for_update=False)
            self._audit(session, principal, "case.proposals_read", [case.id])
            return documents.proposal_states(repo.events_of(session, case_id=case.id))

    def accept_proposal(
        self, principal: Principal, *, case_id: str, proposal_id: str
    ) -> CaseRecord:
        """A reviewer accepts one proposed fact: it enters the request with the source
        "document, accepted by reviewer" and the case is decided again (routed to a
        reviewer, like any change, if it changed a known fact and would be approved)."""
        require(principal, Action.ACCEPT_PROPOSAL)
        with self.database.transaction() as session:
            case = self._open_case(session, principal, case_id)
            states = documents.proposal_states(repo.events_of(session, case_id=case.id))
            proposal = _proposal(states, proposal_id)
            current = repo.latest_version(session, case=case)
            request = merge_information(current.request, [], {proposal["fact"]: proposal["value"]})
            again = self._decide_again(
                session, principal, case, current, request, kind="document", just_accepted=proposal
            )
            routed = _route_if_changed(case, again)
            session.add(again.version)
            detail = {
                "proposal_id": proposal["id"],
                "document_id": proposal["document_id"],
                "fact": proposal["fact"],
                "value": proposal["value"],
                "evidence": proposal["evidence"],
                "span": proposal["span"],
                "source": documents.SOURCE,
                "version": case.version,
                "previous_outcome": str(again.previous_outcome),
                "outcome": str(again.determination.outcome),
                "routed_to_review": routed,
            }
            session.add(_event(case, documents.ACCEPTED_EVENT, principal, detail, again.now))
            self._audit(session, principal, "case.proposal_accepted", [case.id])
            self._record_changes(session, principal, case, again, routed_to_review=routed)
            session.flush()
            return _load(session, case)

    def _decide_again(
        self,
        session: Session,
        principal: Principal,
        case: Case,
        current: CaseVersion,
        request: dict[str, Any],
        *,
        kind: str,
        just_accepted: dict[str, Any] | None = None,
    ) -> _Redecision:
        """Decide the case again on a changed request: the next version (not yet added),
        the case's outcome and status as the engine now finds them, and which known facts
        changed since ``current``. Every action that changes a request comes through here."""
        determination = self.evaluate(request)
        now = self.clock.now()
        previous_outcome = case.outcome
        case.version += 1
        case.outcome = determination.outcome
        case.status = case_status(determination)
        version = _version(
            case=case,
            kind=kind,
            principal=principal,
            request=request,
            determination=determination,
            now=now,
        )
        version.determination = _with_document_sources(
            version.determination,
            request,
            repo.events_of(session, case_id=case.id),
            just_accepted=just_accepted,
        )
        changes = fact_changes.changed_facts(current.determination, version.determination)
        return _Redecision(version, determination, changes, previous_outcome, now)

    def _record_changes(
        self,
        session: Session,
        principal: Principal,
        case: Case,
        again: _Redecision,
        *,
        routed_to_review: bool,
    ) -> None:
        """The fact-change event (old and new values, who, when) when known facts changed."""
        if not again.changes:
            return
        detail = fact_changes.change_detail(
            changes=again.changes,
            version=case.version,
            principal=principal,
            at=again.now,
            previous_outcome=str(again.previous_outcome),
            outcome=str(again.determination.outcome),
            routed_to_review=routed_to_review,
        )
        session.add(_event(case, fact_changes.EVENT_KIND, principal, detail, again.now))
        self._audit(session, principal, "case.facts_changed", [case.id])

    def find_submitted(self, principal: Principal, *, idempotency_key: str) -> str | None:
        """The id of the case the caller's organization submitted under this key, if any
        (a PAS item's key: the Claim's identifier and the item's sequence)."""
        with self.database.transaction() as session:
            if not principal.is_reviewer:
                case = repo.find_by_idempotency_key(
                    session, org=principal.org or "", key=idempotency_key
                )
                return None if case is None else case.id
            found = repo.find_all_by_idempotency_key(session, key=idempotency_key)
            if len(found) > 1:
                raise ConflictError(
                    "claim_ambiguous",
                    "More than one provider organization submitted a Claim with this "
                    "identifier; open the case from the queue instead.",
                    field="Claim.identifier",
                    accepted="a Claim identifier only one organization has used",
                )
            return found[0].id if found else None

    def assign(self, principal: Principal, *, case_id: str) -> CaseRecord:
        """Put an open case on the caller's own worklist (taking it from whoever had it)."""
        require(principal, Action.ASSIGN)
        with self.database.transaction() as session:
            case = self._open_case(session, principal, case_id)
            now = self.clock.now()
            detail = {"assigned_to": principal.token_id, "previous": case.assigned_to}
            case.assigned_to, case.assigned_at = principal.token_id, now
            session.add(_event(case, "assignment", principal, detail, now))
            self._audit(session, principal, "case.assign", [case.id])
            session.flush()
            return _load(session, case)

    def record_fact(
        self, principal: Principal, *, case_id: str, fact: str, value: Any, note: str
    ) -> CaseRecord:
        """A reviewer's finding from the documentation: the case is decided again.

        The earlier version stays in the history. A finding never closes the case by
        itself: when the engine now finds the criteria met, the case waits in review for
        the reviewer's own approval (and its letter) instead of being approved unseen.
        """
        require(principal, Action.RECORD_FACT)
        if not note.strip():
            raise InvalidInputError(
                "note_required",
                "A fact recorded by a reviewer needs a note saying where it was found; "
                "the note was blank.",
                field="note",
                accepted="a sentence such as 'Chimerism report of 2026-02-20, page 2'",
            )
        with self.database.transaction() as session:
            case = self._open_case(session, principal, case_id)
            current = repo.latest_version(session, case=case)
            request = merge_information(current.request, [], {fact: value})
            again = self._decide_again(session, principal, case, current, request, kind="reviewer")
            approved = case.status == CaseStatus.APPROVED
            if approved:
                case.status = CaseStatus.IN_REVIEW
            session.add(again.version)
            detail = {"fact": fact, "note": note.strip(), "version": case.version}
            session.add(_event(case, "reviewer_fact", principal, detail, again.now))
            self._audit(session, principal, "case.reviewer_fact", [case.id])
            self._record_changes(session, principal, case, again, routed_to_review=approved)
            session.flush()
            return _load(session, case)

    def request_information(
        self,
        principal: Principal,
        *,
        case_id: str,
        questions: list[str],
        documents: list[str],
        respond_by: date,
    ) -> CaseRecord:
        """Ask the provider for what is missing; the case waits and a letter goes out."""
        require(principal, Action.REQUEST_INFORMATION)
        asked = [q.strip() for q in questions if q.strip()]
        if not asked:
            raise InvalidInputError(
                "questions_required",
                "A request for information needs at least one question; none was given.",
                field="questions",
                accepted="one question per line",
            )
        with self.database.transaction() as session:
            case = self._open_case(session, principal, case_id)
            now = self.clock.now()
            if respond_by < now.date():
                raise InvalidInputError(
                    "respond_by_past",
                    f"respond_by {respond_by.isoformat()} is before today "
                    f"({now.date().isoformat()}).",
                    field="respond_by",
                    accepted="today or a later date",
                )
            case.status = CaseStatus.PENDING_INFORMATION
            detail = {
                "questions": asked,
                "documents": [d.strip() for d in documents if d.strip()],
                "respond_by": respond_by.isoformat(),
            }
            session.add(_event(case, "info_request", principal, detail, now))
            self._audit(session, principal, "case.info_request", [case.id])
            self._send_letter(session, principal, case, "information", detail)
            session.flush()
            return _load(session, case)

    def worklist(
        self,
        principal: Principal,
        *,
        statuses: list[str] | None,
        priority: str | None,
        service_code: str | None,
        mine: bool,
        limit: int,
        offset: int,
    ) -> Worklist:
        """A page of the queue with each case's member and service; the listing is audited."""
        require(principal, Action.LIST_CASES)
        with self.database.transaction() as session:
            rows, total = repo.worklist(
                session,
                org=None if principal.is_reviewer else principal.org,
                statuses=statuses,
                priority=priority,
                service_code=service_code,
                assigned_to=principal.token_id if mine else None,
                limit=limit,
                offset=offset,
            )
            if rows:
                self._audit(session, principal, "case.list", [case.id for case, _ in rows])
            return Worklist([WorkItem(case, request) for case, request in rows], total)

    def letter(self, principal: Principal, *, case_id: str, letter_id: str) -> CaseLetter:
        """One stored letter of a case, PDF included; each download is audited."""
        require(principal, Action.READ_LETTER)
        with self.database.transaction() as session:
            case = self._visible_case(session, principal, case_id, for_update=False)
            found = session.get(CaseLetter, letter_id)
            if found is None or found.case_id != case.id:
                raise NotFoundError(
                    "letter_not_found",
                    f"Case {case.id} has no letter {letter_id!r}.",
                    field="letter_id",
                    accepted="the id of one of the case's letters (see the case's letters)",
                )
            self._audit(session, principal, "letter.read", [case.id])
            return found

    def _send_letter(
        self,
        session: Session,
        principal: Principal,
        case: Case,
        kind: str,
        detail: dict[str, Any],
    ) -> None:
        if self.letters is None:
            return
        current = repo.latest_version(session, case=case)
        now = self.clock.now()
        context = letter_context(case, current, principal, detail, now)
        pdf = self.letters.write(kind, context)
        letter = CaseLetter(
            id=str(uuid.uuid4()),
            case_id=case.id,
            kind=kind,
            created_at=now,
            actor_token_id=principal.token_id,
            sha256=hashlib.sha256(pdf).hexdigest(),
            pdf=pdf,
        )
        session.add(letter)
        summary = {"letter_id": letter.id, "letter": kind, "sha256": letter.sha256}
        session.add(_event(case, "letter", principal, summary, now))
        self._audit(session, principal, "letter.create", [case.id])

    def determine(self, principal: Principal, request: dict[str, Any]) -> dict[str, Any]:
        """The engine's determination of a request, storing nothing and opening no case."""
        require(principal, Action.EVALUATE)
        return self.evaluate(request).to_dict()

    def read(self, principal: Principal, *, case_id: str) -> CaseRecord:
        """A case with its history; the read is audited."""
        require(principal, Action.READ_CASE)
        with self.database.transaction() as session:
            case = self._visible_case(session, principal, case_id, for_update=False)
            self._audit(session, principal, "case.read", [case.id])
            return _load(session, case)

    def queue(
        self,
        principal: Principal,
        *,
        statuses: list[str] | None,
        priority: str | None,
        overdue: bool | None,
        limit: int,
        offset: int,
    ) -> list[Case]:
        """The cases the caller may see, soonest deadline first; each listing is audited."""
        require(principal, Action.LIST_CASES)
        with self.database.transaction() as session:
            cases = repo.list_cases(
                session,
                org=None if principal.is_reviewer else principal.org,
                statuses=statuses,
                priority=priority,
                overdue=overdue,
                now=self.clock.now(),
                open_statuses=OPEN_STATUSES,
                limit=limit,
                offset=offset,
            )
            if cases:
                audit.record(
                    session,
                    actor=principal,
                    action="case.list",
                    case_ids=[None],
                    now=self.clock.now(),
                    subjects=[c.id for c in cases],
                )
            return cases

    def _visible_case(
        self, session: Session, principal: Principal, case_id: str, *, for_update: bool
    ) -> Case:
        case = repo.get_case(session, case_id=case_id, for_update=for_update)
        if case is None or not visible_to(principal, case.org):
            raise NotFoundError(
                "case_not_found",
                f"No case {case_id!r} is visible to this token.",
                field="case_id",
                accepted="the id of a case this token may see (see GET /v1/cases)",
            )
        return case

    def _open_case(self, session: Session, principal: Principal, case_id: str) -> Case:
        case = self._visible_case(session, principal, case_id, for_update=True)
        if case.status in CLOSED_STATUSES:
            raise ConflictError(
                "case_closed",
                f"Case {case.id} is already {case.status}; it cannot change.",
                field="case_id",
                accepted="a case whose status is " + ", ".join(OPEN_STATUSES),
            )
        return case

    def _audit(
        self, session: Session, principal: Principal, action: str, case_ids: list[str]
    ) -> None:
        audit.record(
            session, actor=principal, action=action, case_ids=case_ids, now=self.clock.now()
        )


def letter_context(
    case: Case,
    current: CaseVersion,
    principal: Principal,
    detail: dict[str, Any],
    now: datetime,
) -> dict[str, Any]:
    """What a letter says about the case, as plain JSON for the letter templates."""
    return {
        "case_id": case.id,
        "priority": case.priority,
        "received_at": case.received_at.isoformat(),
        "due_at": case.due_at.isoformat(),
        "date": now.date().isoformat(),
        "request": current.request,
        "determination": current.determination,
        "reviewer": {"name": principal.name, "role": principal.role.value},
        "detail": detail,
    }


def merge_information(
    request: dict[str, Any], diagnoses: list[str], facts: dict[str, Any]
) -> dict[str, Any]:
    """The request with new diagnoses appended (no repeats) and new facts laid over old."""
    merged = copy.deepcopy(request)
    known = list(merged.get("diagnoses") or [])
    merged["diagnoses"] = known + [d for d in diagnoses if d not in known]
    merged["facts"] = {**(merged.get("facts") or {}), **facts}
    return merged


def criteria_by_id(determination: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every criterion and exclusion of a determination by id, nested children included."""

    def walk(nodes: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for node in nodes:
            yield node
            yield from walk(node.get("children") or [])

    nodes = [*(determination.get("criteria") or []), *(determination.get("exclusions") or [])]
    return {str(node.get("id")): node for node in walk(nodes)}


def criterion_ids(determination: dict[str, Any]) -> set[str]:
    """Every criterion and exclusion id in a determination."""
    return set(criteria_by_id(determination))


def cited(criteria: list[str], determination: dict[str, Any]) -> list[dict[str, Any]]:
    """The named criteria with their text and citation, as a denial letter quotes them."""
    known = criteria_by_id(determination)
    return [
        {key: known[c].get(key) for key in ("id", "text", "citation", "status")} for c in criteria
    ]


def _check_decision(
    decision: str, rationale: str, criteria: list[str], determination: dict[str, Any]
) -> None:
    known = criterion_ids(determination)
    unknown = [c for c in criteria if c not in known]
    if unknown:
        raise InvalidInputError(
            "unknown_criterion",
            f"criteria names {unknown!r}, which are not criteria of this case's determination.",
            field="criteria",
            accepted=", ".join(sorted(known)) or "no criteria (no policy addresses this case)",
        )
    if decision == "approve":
        return
    if not criteria:
        raise InvalidInputError(
            "criteria_required",
            f"A {decision.replace('_', ' ')} must name at least one criterion; none was given.",
            field="criteria",
            accepted=", ".join(sorted(known)) or "no criteria (no policy addresses this case)",
        )
    if len(rationale.strip()) < 20:
        raise InvalidInputError(
            "rationale_required",
            f"A {decision.replace('_', ' ')} needs a plain-language reason for the letter; "
            f"the rationale given had {len(rationale.strip())} characters.",
            field="rationale",
            accepted="a sentence of at least 20 characters",
        )


def _read_with_default_rules(text: str, service: str | None) -> dict[str, Any]:
    """The default reader: the extraction rules of the policy deciding ``service``."""
    from medpolicy.errors import MedpolicyError
    from medpolicy.extraction import extract

    try:
        return extract(text, service=service).to_dict()
    except MedpolicyError as exc:
        raise ConflictError(
            "no_extraction_rules",
            f"Documents for this case's service cannot be read: {exc.message}",
            field="case_id",
            accepted="a case for a service whose policy has extraction rules",
        ) from None


def _service_code(request: dict[str, Any]) -> str | None:
    service = request.get("service")
    code = service.get("code") if isinstance(service, dict) else None
    return code if isinstance(code, str) else None


def _proposal(states: list[dict[str, Any]], proposal_id: str) -> dict[str, Any]:
    for proposal in states:
        if proposal["id"] != proposal_id:
            continue
        if proposal["status"] == "accepted":
            raise ConflictError(
                "proposal_already_accepted",
                f"Proposal {proposal_id!r} was already accepted on {proposal['accepted_at']}.",
                field="proposal_id",
                accepted="a proposal whose status is proposed",
            )
        return proposal
    waiting = [p["id"] for p in states if p["status"] == "proposed"]
    raise NotFoundError(
        "proposal_not_found",
        f"Case has no proposal {proposal_id!r}.",
        field="proposal_id",
        accepted=", ".join(waiting) or "none: send a document first (POST .../documents)",
    )


@dataclass(frozen=True, slots=True)
class _Redecision:
    """A case decided again: its next version, the determination, the known facts that
    changed, and the outcome and time of the decision."""

    version: CaseVersion
    determination: Determination
    changes: list[dict[str, Any]]
    previous_outcome: Any
    now: datetime


def _route_if_changed(case: Case, again: _Redecision) -> bool:
    """Send to a reviewer a case that a change of known facts would approve unseen; the
    decision time is set when the case is approved and cleared otherwise."""
    routed = bool(again.changes) and case.status == CaseStatus.APPROVED
    if routed:
        case.status = CaseStatus.IN_REVIEW
    case.decided_at = again.now if case.status == CaseStatus.APPROVED else None
    return routed


def _with_document_sources(
    determination: dict[str, Any],
    request: dict[str, Any],
    events: list[CaseEvent],
    *,
    just_accepted: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The determination with "document, accepted by reviewer" as the source of each fact
    a reviewer accepted from a document (and which document) while the request still holds
    the accepted value, in every later version: the engine's request has no per-fact
    source, so the desk keeps it from the case's ``accepted_fact`` events. A fact the
    provider or a reviewer later changed is theirs again."""
    accepted = documents.accepted_facts(events)
    if just_accepted is not None:
        accepted[just_accepted["fact"]] = documents.AcceptedFact(
            just_accepted["value"],
            just_accepted["document_id"],
            just_accepted.get("document_name") or "",
        )
    stated = request.get("facts") or {}
    out = dict(determination)
    out["facts"] = {
        fact: (
            {
                **entry,
                "source": documents.SOURCE,
                "document": {
                    "id": accepted[fact].document_id,
                    "name": accepted[fact].document_name,
                },
            }
            if fact in accepted
            and isinstance(entry, dict)
            and _same_value(entry.get("value"), stated.get(fact))
            and _same_value(entry.get("value"), accepted[fact].value)
            else entry
        )
        for fact, entry in (determination.get("facts") or {}).items()
    }
    return out


def _same_value(a: Any, b: Any) -> bool:
    """Equal as JSON values: true is not 1, and 80 is 80.0."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return a is not None and bool(a == b)


def _fingerprint(request: dict[str, Any], priority: str) -> str:
    body = json.dumps({"request": request, "priority": priority}, sort_keys=True, default=str)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _version(
    *,
    case: Case,
    kind: str,
    principal: Principal,
    request: dict[str, Any],
    determination: Determination,
    now: Any,
) -> CaseVersion:
    return CaseVersion(
        case_id=case.id,
        number=case.version,
        kind=kind,
        created_at=now,
        actor_token_id=principal.token_id,
        request=request,
        determination=determination.to_dict(),
    )


def _event(
    case: Case, kind: str, principal: Principal, detail: dict[str, Any], now: Any
) -> CaseEvent:
    return CaseEvent(
        case_id=case.id,
        kind=kind,
        at=now,
        actor_token_id=principal.token_id,
        actor_role=principal.role.value,
        detail=detail,
    )


def _load(session: Session, case: Case) -> CaseRecord:
    return CaseRecord(
        case,
        repo.versions_of(session, case_id=case.id),
        repo.events_of(session, case_id=case.id),
        repo.letters_of(session, case_id=case.id),
    )
