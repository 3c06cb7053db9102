"""The case page's content: the case, the engine's reading of it, what a reviewer may do.

Forms are pre-filled from the engine: a request for information with the questions and
documents of the missing facts; a denial with the engine's plain reasons and the criteria
found not met already ticked (the physician edits both). Exclusions that hold are offered
the same way, since an experimental finding is also a reason to deny.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from medpolicy.policy.model import FactDef
from medpolicy.policy.registry import Registry
from medpolicy.service.cases import OPEN_STATUSES, CaseRecord
from medpolicy.service.permissions import ALLOWED, Action
from medpolicy.service.principal import Principal
from medpolicy.service.web import views

LETTER_LABEL = {
    "approval": "Approval letter",
    "information": "Request for information",
    "adverse": "Adverse determination letter",
}


def case_context(
    record: CaseRecord,
    now: datetime,
    names: Mapping[str, str],
    principal: Principal,
    registry: Registry,
) -> dict[str, Any]:
    """Everything ``case.html`` shows for ``record`` at ``now``, for ``principal``."""
    case = record.case
    request, determination = record.current.request, record.current.determination
    dictionary = views.fact_dictionary(registry, case.service_code)
    href = views.policy_href(determination)
    return {
        "case": {
            "id": case.id,
            "status": case.status,
            "status_label": views.STATUS_LABEL.get(case.status, case.status),
            "priority": case.priority,
            "received_at": case.received_at,
            "due_at": case.due_at,
            "clock": views.clockface(case, now),
            "extended_at": case.extended_at,
            "assigned": names.get(case.assigned_to, "") if case.assigned_to else "",
            "mine": case.assigned_to == principal.token_id,
            "open": case.status in OPEN_STATUSES,
            "revision": record.revision,
        },
        "summary": summary(request, determination, href),
        "diagnoses": views.diagnoses(request),
        "criteria": views.criteria_tree(determination.get("criteria") or [], href),
        "exclusions": views.criteria_tree(
            determination.get("exclusions") or [], href, exclusion=True
        ),
        "cautions": list(determination.get("warnings") or []),
        "missing": missing(determination, dictionary),
        "facts": views.fact_rows(record, dictionary, names),
        "proposals": views.proposal_rows(record.events, dictionary),
        "unread": views.unread_documents(record.events),
        "can_accept": principal.role in ALLOWED[Action.ACCEPT_PROPOSAL],
        "choices": choices(dictionary),
        "measures": [
            {"id": f.id, "label": f.label, "accepted": f.accepted()}
            for f in dictionary.values()
            if f.type == "number"
        ],
        "prefill": prefill(record, determination),
        "letters": [
            {
                "label": LETTER_LABEL.get(letter.kind, letter.kind),
                "created_at": letter.created_at,
                "href": f"/cases/{case.id}/letters/{letter.id}",
                "sha256": letter.sha256,
            }
            for letter in record.letters
        ],
        "history": views.history(record, names),
    }


def summary(
    request: Mapping[str, Any], determination: Mapping[str, Any], href: str | None
) -> dict[str, Any]:
    """Member, service, date of service, line of business, basis, policy version."""
    member = request.get("member") or {}
    service = request.get("service") or {}
    policy = determination.get("policy")
    lob = member.get("line_of_business")
    return {
        "member": member.get("id") or "not given",
        "state": member.get("state") or "",
        "line_of_business": views.LINE_OF_BUSINESS.get(lob, "not given") if lob else "not given",
        "service_code": service.get("code"),
        "service_description": (determination.get("service") or {}).get("description") or "",
        "date_of_service": service.get("date_of_service"),
        "coverage_basis": views.BASIS_LABEL.get(
            str(determination.get("coverage_basis")), str(determination.get("coverage_basis"))
        ),
        "policy": policy,
        "policy_href": href,
        "outcome": views.OUTCOME_LABEL.get(str(determination.get("outcome")), ""),
        "next_step": str(determination.get("next_step", "")).replace("_", " "),
        "reasons": list(determination.get("reasons") or []),
        "request_id": request.get("request_id") or "",
    }


def missing(
    determination: Mapping[str, Any], dictionary: Mapping[str, FactDef]
) -> list[dict[str, Any]]:
    """Each missing fact with the question to ask and the document that answers it."""
    rows = []
    for item in determination.get("missing") or []:
        definition = dictionary.get(str(item.get("fact")))
        rows.append(
            {
                "fact": item.get("fact"),
                "label": definition.label if definition else item.get("fact"),
                "question": item.get("question"),
                "documentation": item.get("documentation"),
            }
        )
    return rows


def choices(dictionary: Mapping[str, FactDef]) -> list[dict[str, Any]]:
    """The yes/no and choice facts, each with its values, for the one-list fact form."""
    groups = []
    for definition in dictionary.values():
        if definition.type == "boolean":
            options = [(f"{definition.id}=true", "Yes"), (f"{definition.id}=false", "No")]
        elif definition.type == "enum":
            options = [
                (f"{definition.id}={v}", label) for v, label in definition.value_labels.items()
            ]
        else:
            continue
        groups.append({"label": definition.label, "options": options})
    return groups


def prefill(record: CaseRecord, determination: Mapping[str, Any]) -> dict[str, Any]:
    """The forms' starting values, taken from the engine's determination."""
    asked = determination.get("missing") or []
    reasons = [r for r in determination.get("reasons") or [] if "not a denial" not in r]
    return {
        "questions": "\n".join(str(m.get("question")) for m in asked),
        "documents": "\n".join(str(m.get("documentation")) for m in asked),
        "respond_by": record.case.due_at.date().isoformat(),
        "rationale": " ".join(reasons),
        "candidates": [
            *deciding(determination.get("criteria") or [], adverse="not_met", exclusion=False),
            *deciding(determination.get("exclusions") or [], adverse="met", exclusion=True),
        ],
    }


def deciding(nodes: list[dict[str, Any]], *, adverse: str, exclusion: bool) -> list[dict[str, Any]]:
    """Criteria a denial may rest on: those found adverse or unknown, and their parts.

    A part of a criterion that holds is not offered: when DLI indication a is met, the
    unmet indications b and c were alternatives that did not matter.
    """
    found = []
    for node in nodes:
        status = node.get("status")
        if status not in (adverse, "unknown"):
            continue
        found.append(
            {
                "id": node.get("id"),
                "text": node.get("text"),
                "status_label": views.CRITERION_LABEL.get(str(status), ""),
                "exclusion": exclusion,
                "checked": status == adverse,
            }
        )
        found.extend(deciding(node.get("children") or [], adverse=adverse, exclusion=exclusion))
    return found
