"""The workbench's pages and forms: sign-in, queue, case, actions, letters, policy.

Every page needs a session (see ``sessions.py``) and every form its CSRF token. Each
action form also carries the case's revision as the page drew it: when the case changed
in between (another reviewer decided, the provider sent information), the action is
refused and the page shows what changed. Errors are pages that name the field, what was
given and what is accepted; nothing a reviewer typed is logged.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from starlette.responses import Response

from medpolicy import RequestError
from medpolicy.domain import CaseStatus
from medpolicy.policy.registry import Registry
from medpolicy.policy.render import policy_to_dict
from medpolicy.service.cases import OPEN_STATUSES, CaseDesk, CaseRecord
from medpolicy.service.errors import NotFoundError, ServiceError
from medpolicy.service.principal import Role
from medpolicy.service.web import forms, views
from medpolicy.service.web.casepage import case_context
from medpolicy.service.web.pages import Pages, secure, see_other
from medpolicy.service.web.sessions import COOKIE, SIGNIN_COOKIE, SessionDesk, Visit

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50
CaseId = Annotated[str, Path(max_length=64)]
Csrf = Annotated[str, Form(max_length=200)]
Revision = Annotated[str, Form(max_length=40)]
ENDED_MESSAGES = {
    "idle": "You were signed out after 15 minutes without activity.",
    "revoked": "Your token was revoked; sign in with a current one.",
    "signed_out": "You are signed out.",
}
DONE_MESSAGES = {
    "assigned": "The case is assigned to you.",
    "fact": "The fact is recorded and the case was decided again.",
    "information": "Information requested; the letter is stored with the case.",
    "approve": "Approved; the approval letter is stored with the case.",
    "deny": "Denied; the adverse determination letter is stored with the case.",
    "partially_approve": "Partially approved; the letter is stored with the case.",
    "extension": "The deadline is extended.",
    "proposal": "The proposed fact is accepted and the case was decided again.",
}


class SessionEndedError(Exception):
    """No session (or an ended one): the browser goes to the sign-in page."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class CsrfError(Exception):
    """A form without this session's CSRF token."""


def pages(request: Request) -> Pages:
    """The app's page renderer."""
    found: Pages = request.app.state.web_pages
    return found


def sessions(request: Request) -> SessionDesk:
    """The app's session desk."""
    found: SessionDesk = request.app.state.web_sessions
    return found


def desk(request: Request) -> CaseDesk:
    """The app's case desk."""
    found: CaseDesk = request.app.state.case_desk
    return found


def registry(request: Request) -> Registry:
    """The policies the app's engine decides with."""
    found: Registry = request.app.state.registry
    return found


def visit(request: Request) -> Visit:
    """The signed-in reviewer, or a redirect to sign in."""
    resumed = sessions(request).resume(request.cookies.get(COOKIE))
    if resumed.visit is None:
        raise SessionEndedError(resumed.ended.value)
    return resumed.visit


Reviewer = Annotated[Visit, Depends(visit)]


def checked(reviewer: Visit, csrf: str) -> Visit:
    """The reviewer, once the form's CSRF token matched the session's."""
    if not reviewer.check_csrf(csrf):
        raise CsrfError
    return reviewer


@router.get("/")
def home() -> Response:
    """The workbench starts at the queue."""
    return see_other("/queue")


@router.get("/signin")
def signin_page(
    *, request: Request, ended: Annotated[str | None, Query(max_length=20)] = None
) -> Response:
    """The sign-in form; a fresh anti-forgery value ties the form to this browser."""
    return _signin_form(request, message=ENDED_MESSAGES.get(ended or ""), status=200)


def _signin_form(
    request: Request, *, message: str | None, status: int, error: bool = False
) -> Response:
    nonce = secrets.token_urlsafe(24)
    response = pages(request).render(
        "signin.html", status=status, nonce=nonce, message=message, error=error
    )
    response.set_cookie(
        SIGNIN_COOKIE, nonce, httponly=True, samesite="strict", secure=_tls(request), path="/signin"
    )
    return response


@router.post("/signin")
def signin(
    *,
    request: Request,
    token: Annotated[str, Form(max_length=200)] = "",
    csrf: Csrf = "",
) -> Response:
    """Turn a pasted token into a session cookie; providers and admins are refused."""
    expected = request.cookies.get(SIGNIN_COOKIE) or ""
    if not expected or not secrets.compare_digest(expected.encode(), csrf.encode()):
        return _signin_form(
            request,
            message="The sign-in form had expired. Paste your token again.",
            status=403,
            error=True,
        )
    try:
        secret, _ = sessions(request).start(token)
    except ServiceError as error:
        return _signin_form(request, message=error.message, status=error.status, error=True)
    response = see_other("/queue")
    response.set_cookie(
        COOKIE, secret, httponly=True, samesite="strict", secure=_tls(request), path="/"
    )
    response.delete_cookie(SIGNIN_COOKIE, path="/signin")
    return response


@router.post("/signout")
def signout(request: Request, reviewer: Reviewer, csrf: Csrf = "") -> Response:
    """End the session."""
    checked(reviewer, csrf)
    sessions(request).end(request.cookies.get(COOKIE) or "", reviewer)
    response = see_other("/signin?ended=signed_out")
    response.delete_cookie(COOKIE, path="/")
    return response


@router.get("/queue")
def queue(
    *,
    request: Request,
    reviewer: Reviewer,
    status: Annotated[str, Query(max_length=40)] = "open",
    priority: Annotated[str, Query(max_length=20)] = "",
    service: Annotated[str, Query(max_length=20)] = "",
    mine: Annotated[str, Query(max_length=5)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """Cases by due time, filtered and paged; each listing is audited."""
    statuses = _statuses(status)
    work = desk(request).worklist(
        reviewer.principal,
        statuses=statuses,
        priority=priority if priority in ("expedited", "standard") else None,
        service_code=service or None,
        mine=mine == "1",
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
    now = desk(request).clock.now()
    names = sessions(request).names({i.case.assigned_to for i in work.items if i.case.assigned_to})
    rows = [_queue_row(item.case, item.request, now, names) for item in work.items]
    filters = {"status": status, "priority": priority, "service": service, "mine": mine}
    pages_total = max(1, -(-work.total // PAGE_SIZE))
    return pages(request).render(
        "queue.html",
        visit=reviewer,
        rows=rows,
        total=work.total,
        page=page,
        pages_total=pages_total,
        filters=filters,
        statuses=[(s.value, views.STATUS_LABEL[s.value]) for s in CaseStatus],
        services=_services(registry(request)),
        prev_href=_page_href(filters, page - 1) if page > 1 else None,
        next_href=_page_href(filters, page + 1) if page < pages_total else None,
        here=str(request.url.path) + ("?" + request.url.query if request.url.query else ""),
        now=now,
    )


def _statuses(choice: str) -> list[str] | None:
    if choice == "open":
        return list(OPEN_STATUSES)
    return [choice] if choice in {s.value for s in CaseStatus} else None


def _services(policies: Registry) -> list[tuple[str, str]]:
    return [(s.code, f"{s.code} {s.description}") for p in policies.policies for s in p.services]


def _page_href(filters: dict[str, str], page: int) -> str:
    query = {k: v for k, v in filters.items() if v}
    return "/queue?" + urlencode({**query, "page": page})


def _queue_row(
    case: Any, request: dict[str, Any], now: Any, names: dict[str, str]
) -> dict[str, Any]:
    member = request.get("member") or {}
    service = request.get("service") or {}
    return {
        "id": case.id,
        "due_at": case.due_at,
        "clock": views.clockface(case, now),
        "priority": case.priority,
        "status": views.STATUS_LABEL.get(case.status, case.status),
        "member": member.get("id") or "not given",
        "service": service.get("code") or "",
        "date_of_service": service.get("date_of_service") or "",
        "assigned": names.get(case.assigned_to or "", "") if case.assigned_to else "",
        "open": case.status in OPEN_STATUSES,
    }


@router.post("/cases/{case_id}/assign")
def assign(
    *,
    request: Request,
    case_id: CaseId,
    reviewer: Reviewer,
    csrf: Csrf = "",
    back: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Put the case on the reviewer's own worklist."""
    checked(reviewer, csrf)
    try:
        desk(request).assign(reviewer.principal, case_id=case_id)
    except ServiceError as error:
        return _error_page(request, reviewer, error)
    if back.startswith("/queue"):
        return see_other(back)
    return see_other(f"/cases/{case_id}?done=assigned")


@router.get("/cases/{case_id}")
def case_page(
    *,
    request: Request,
    case_id: CaseId,
    reviewer: Reviewer,
    done: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    """Everything about one case; the look is audited."""
    try:
        record = desk(request).read(reviewer.principal, case_id=case_id)
    except ServiceError as error:
        return _error_page(request, reviewer, error)
    return _render_case(request, reviewer, record, notice=DONE_MESSAGES.get(done))


def _render_case(
    request: Request,
    reviewer: Visit,
    record: CaseRecord,
    *,
    notice: str | None = None,
    error: dict[str, Any] | None = None,
    entered: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    names = sessions(request).names(_token_ids(record))
    now = desk(request).clock.now()
    context = case_context(record, now, names, reviewer.principal, registry(request))
    return pages(request).render(
        "case.html",
        status=status,
        visit=reviewer,
        notice=notice,
        error=error,
        entered=entered or {},
        is_physician=reviewer.principal.role is Role.PHYSICIAN,
        **context,
    )


def _token_ids(record: CaseRecord) -> set[str]:
    ids = {v.actor_token_id for v in record.versions} | {e.actor_token_id for e in record.events}
    if record.case.assigned_to:
        ids.add(record.case.assigned_to)
    return ids


def _act(
    *,
    request: Request,
    reviewer: Visit,
    case_id: str,
    revision: str,
    form: str,
    entered: dict[str, Any],
    action: Callable[[CaseRecord], str],
) -> Response:
    """Run one case action unless the case changed since the form was drawn."""
    try:
        record = desk(request).read(reviewer.principal, case_id=case_id)
    except ServiceError as error:
        return _error_page(request, reviewer, error)
    if revision != record.revision:
        names = sessions(request).names(_token_ids(record))
        return pages(request).render(
            "stale.html",
            status=409,
            visit=reviewer,
            case_id=case_id,
            changes=views.changes_since(record, revision, names),
        )
    try:
        done = action(record)
    except (ServiceError, RequestError) as error:
        problem = {
            "form": form,
            "message": error.message,
            "field": getattr(error, "field", None),
            "accepted": getattr(error, "accepted", None),
        }
        status = error.status if isinstance(error, ServiceError) else 422
        return _render_case(
            request, reviewer, record, error=problem, entered=entered, status=status
        )
    return see_other(f"/cases/{case_id}?done={done}")


@router.post("/cases/{case_id}/facts")
def record_fact(
    *,
    request: Request,
    case_id: CaseId,
    reviewer: Reviewer,
    csrf: Csrf = "",
    revision: Revision = "",
    entry: Annotated[str, Form(max_length=200)] = "",
    fact: Annotated[str, Form(max_length=100)] = "",
    number: Annotated[str, Form(max_length=40)] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """A reviewer's finding: one fact with a note; the case is decided again."""
    checked(reviewer, csrf)
    form = "number" if fact else "choice"

    def action(record: CaseRecord) -> str:
        dictionary = views.fact_dictionary(registry(request), record.case.service_code)
        if fact:
            fact_id, value = forms.number_value(fact, number, dictionary)
        else:
            fact_id, value = forms.choice_value(entry, dictionary)
        desk(request).record_fact(
            reviewer.principal, case_id=case_id, fact=fact_id, value=value, note=note
        )
        return "fact"

    entered = {"entry": entry, "fact": fact, "number": number, "note": note}
    return _act(
        request=request,
        reviewer=reviewer,
        case_id=case_id,
        revision=revision,
        form=form,
        entered=entered,
        action=action,
    )


@router.post("/cases/{case_id}/proposals/{proposal_id}/accept")
def accept_proposal(
    *,
    request: Request,
    case_id: CaseId,
    proposal_id: Annotated[str, Path(max_length=200)],
    reviewer: Reviewer,
    csrf: Csrf = "",
    revision: Revision = "",
) -> Response:
    """A nurse or physician accepts one fact proposed from a document (the same lifecycle
    as the API's ``POST /v1/cases/{id}/proposals/{pid}/accept``)."""
    checked(reviewer, csrf)

    def action(_record: CaseRecord) -> str:
        desk(request).accept_proposal(reviewer.principal, case_id=case_id, proposal_id=proposal_id)
        return "proposal"

    return _act(
        request=request,
        reviewer=reviewer,
        case_id=case_id,
        revision=revision,
        form="proposal",
        entered={},
        action=action,
    )


@router.post("/cases/{case_id}/information-request")
def request_information(
    *,
    request: Request,
    case_id: CaseId,
    reviewer: Reviewer,
    csrf: Csrf = "",
    revision: Revision = "",
    questions: Annotated[str, Form(max_length=8000)] = "",
    documents: Annotated[str, Form(max_length=8000)] = "",
    respond_by: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Ask the provider for what is missing; a letter goes out."""
    checked(reviewer, csrf)

    def action(_record: CaseRecord) -> str:
        desk(request).request_information(
            reviewer.principal,
            case_id=case_id,
            questions=forms.lines(questions),
            documents=forms.lines(documents),
            respond_by=forms.day(respond_by, "respond_by"),
        )
        return "information"

    entered = {"questions": questions, "documents": documents, "respond_by": respond_by}
    return _act(
        request=request,
        reviewer=reviewer,
        case_id=case_id,
        revision=revision,
        form="information",
        entered=entered,
        action=action,
    )


@router.post("/cases/{case_id}/decision")
def decide(
    *,
    request: Request,
    case_id: CaseId,
    reviewer: Reviewer,
    csrf: Csrf = "",
    revision: Revision = "",
    decision: Annotated[str, Form(max_length=40)] = "",
    rationale: Annotated[str, Form(max_length=4000)] = "",
    criteria: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """Approve (nurse or physician), deny or partially approve (physician only)."""
    checked(reviewer, csrf)
    chosen = list(criteria or [])

    def action(_record: CaseRecord) -> str:
        if decision not in ("approve", "deny", "partially_approve"):
            raise NotFoundError(
                "unknown_decision",
                f"decision {decision!r} is not a decision.",
                field="decision",
                accepted="approve, deny, partially_approve",
            )
        desk(request).decide(
            reviewer.principal,
            case_id=case_id,
            decision=decision,
            rationale=rationale,
            criteria=chosen if decision != "approve" else [],
        )
        return decision

    form = "approve" if decision == "approve" else "adverse"
    entered = {"rationale": rationale, "criteria": chosen, "decision": decision}
    return _act(
        request=request,
        reviewer=reviewer,
        case_id=case_id,
        revision=revision,
        form=form,
        entered=entered,
        action=action,
    )


@router.post("/cases/{case_id}/extension")
def extend(
    *,
    request: Request,
    case_id: CaseId,
    reviewer: Reviewer,
    csrf: Csrf = "",
    revision: Revision = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Extend the deadline once, with a reason."""
    checked(reviewer, csrf)

    def action(_record: CaseRecord) -> str:
        desk(request).extend(reviewer.principal, case_id=case_id, reason=reason)
        return "extension"

    return _act(
        request=request,
        reviewer=reviewer,
        case_id=case_id,
        revision=revision,
        form="extension",
        entered={"reason": reason},
        action=action,
    )


@router.get("/cases/{case_id}/letters/{letter_id}")
def letter(
    *,
    request: Request,
    case_id: CaseId,
    letter_id: Annotated[str, Path(max_length=64)],
    reviewer: Reviewer,
) -> Response:
    """A stored letter, as the PDF that was sent; the download is audited."""
    try:
        found = desk(request).letter(reviewer.principal, case_id=case_id, letter_id=letter_id)
    except ServiceError as error:
        return _error_page(request, reviewer, error)
    response = Response(found.pdf, media_type="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{found.kind}-{found.id}.pdf"'
    return secure(response)


@router.get("/policies/{policy_id}")
def policy_page(
    *,
    request: Request,
    policy_id: Annotated[str, Path(max_length=64)],
    reviewer: Reviewer,
    version: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    """The policy's criteria as written in its data, each with an anchor for citations."""
    policy = registry(request).policy(policy_id)
    if policy is None:
        error = NotFoundError(
            "policy_not_found",
            f"No policy {policy_id!r}.",
            field="policy_id",
            accepted=", ".join(p.id for p in registry(request).policies),
        )
        return _error_page(request, reviewer, error)
    data = policy_to_dict(policy)
    versions = data["versions"]
    shown = next((v for v in versions if v["id"] == version), versions[-1])
    sessions(request).note_look(reviewer, "policy.read")
    return pages(request).render(
        "policy.html", visit=reviewer, policy=data, version=shown, versions=versions
    )


def _error_page(request: Request, reviewer: Visit, error: ServiceError) -> Response:
    return pages(request).render("error.html", status=error.status, visit=reviewer, error=error)


def _tls(request: Request) -> bool:
    return request.url.scheme == "https"
