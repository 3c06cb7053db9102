"""What a letter says, in plain words, prepared from the case for the typst templates.

The templates only lay text out; every sentence that depends on the case is made here,
so it can be tested without a PDF. Appeal periods by line of business and the plan's
contact details are data (``templates/appeals.json``, ``templates/plan.json``), edited by
the plan like its policies. Example: a physician denies DLI because the cells would come
from a new donor; the adverse letter quotes criterion dli.2 in the policy's plain words,
cites "MCP-210, Coverage Policy, Donor Lymphocyte Infusion, criterion 1", says what the
records showed, names the physician, and gives a Medicaid member 60 days to appeal.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

TEMPLATES = Path(__file__).parent / "templates"
KINDS = ("approval", "information", "adverse")

LINE_OF_BUSINESS = {
    "medicare": "Medicare Advantage",
    "medicaid": "Medicaid",
    "marketplace": "Health Insurance Marketplace",
    "commercial": "Commercial (employer or individual)",
}
PRIORITY = {
    "expedited": "Expedited (decided within 72 hours)",
    "standard": "Standard (decided within 7 calendar days)",
}
FINDING = {
    "not_met": "What we found: the records we have do not show that this is met.",
    "unknown": "What we found: the records we received do not say whether this is met.",
    "met": "What we found: this is met.",
    "not_applicable": "What we found: this does not apply to the request.",
}
EXCLUSION_FINDING = (
    "What we found: this applies to the request, and the policy considers the service "
    "experimental, investigational or unproven when it does."
)
ROLE_TITLE = {"physician": "Physician reviewer", "nurse": "Nurse reviewer"}


@cache
def data_file(name: str) -> dict[str, Any]:
    """One of the letter data files in ``templates/``."""
    loaded: dict[str, Any] = json.loads((TEMPLATES / name).read_text(encoding="utf-8"))
    return loaded


def long_date(value: str | date | datetime) -> str:
    """A date as a letter writes it: "March 2, 2026"."""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return f"{value:%B} {value.day}, {value.year}"


def letter_data(kind: str, context: dict[str, Any]) -> dict[str, Any]:
    """Everything the template of ``kind`` shows, as strings and lists of strings."""
    if kind not in KINDS:
        raise ValueError(f"no letter kind {kind!r}; kinds: {', '.join(KINDS)}")
    plan = data_file("plan.json")
    data: dict[str, Any] = {
        "plan": plan,
        "date": long_date(context["date"]),
        "reference": context["case_id"],
        "case_rows": case_rows(context),
        "reviewer": reviewer(context["reviewer"]),
    }
    if kind == "approval":
        data["approval"] = approval(context)
    elif kind == "information":
        data["information"] = information(context)
    else:
        data["adverse"] = adverse(context, plan)
    return data


def case_rows(context: dict[str, Any]) -> list[tuple[str, str]]:
    """The block at the top of every letter: who, what, when, under which policy."""
    request, determination = context["request"], context["determination"]
    member = request.get("member") or {}
    rows = [("Reference", context["case_id"])]
    if request.get("request_id"):
        rows.append(("Request", str(request["request_id"])))
    rows.append(("Member", str(member.get("id") or "not given")))
    lob = member.get("line_of_business")
    rows.append(("Coverage", LINE_OF_BUSINESS.get(lob, "not given") if lob else "not given"))
    rows.append(("Service", service_line(request, determination)))
    rows.append(("Date of service", long_date(request["service"]["date_of_service"])))
    rows.append(("Received", long_date(context["received_at"])))
    rows.append(("Review", PRIORITY.get(context["priority"], context["priority"])))
    rows.append(("Policy", policy_line(determination)))
    return rows


def service_line(request: dict[str, Any], determination: dict[str, Any]) -> str:
    """ "CPT 38242, Allogeneic lymphocyte infusions (donor lymphocyte infusion)"."""
    code = str(request["service"]["code"])
    description = (determination.get("service") or {}).get("description")
    return f"CPT {code}, {description}" if description else f"CPT {code}"


def policy_line(determination: dict[str, Any]) -> str:
    """The policy and version the decision used; a reconstructed version says so."""
    policy = determination.get("policy")
    if not policy:
        return "no medical policy addresses this service"
    text = f"{policy['id']} {policy['title']}, version of {long_date(policy['version'])}"
    return text + " (reconstructed from the approval history)" if policy["reconstructed"] else text


def reviewer(actor: dict[str, Any]) -> dict[str, str]:
    """The signing reviewer: the name (with credentials) on the reviewer's token."""
    return {
        "signed": actor.get("name") or "the reviewer on duty",
        "title": ROLE_TITLE.get(actor.get("role", ""), "Reviewer"),
    }


def approval(context: dict[str, Any]) -> dict[str, str]:
    """The approval's two sentences."""
    request, determination = context["request"], context["determination"]
    service = service_line(request, determination)
    when = long_date(request["service"]["date_of_service"])
    return {
        "statement": f"Approved: {service}, for the date of service {when}.",
        "validity": "This approval covers the member, service and date of service above. "
        f"Please put the reference number {context['case_id']} on the claim.",
    }


def information(context: dict[str, Any]) -> dict[str, Any]:
    """The questions, the documents that answer them, the date to answer by."""
    detail = context["detail"]
    return {
        "questions": list(detail["questions"]),
        "documents": list(detail.get("documents") or []),
        "respond_by": long_date(detail["respond_by"]),
        "clock": f"We must decide this request by {long_date(context['due_at'])}. If the "
        "information has not reached us by then, we will decide with the information we have.",
    }


def adverse(context: dict[str, Any], plan: dict[str, Any]) -> dict[str, Any]:
    """A denial or partial approval: the reason, each criterion, peer-to-peer, appeal rights."""
    detail, determination = context["detail"], context["determination"]
    partial = detail.get("decision") == "partially_approve"
    exclusions = {node.get("id") for node in determination.get("exclusions") or []}
    policy = determination.get("policy") or {}
    return {
        "title": "Prior authorization partially approved"
        if partial
        else "Prior authorization denied",
        "opening": (
            "We reviewed the request for prior authorization described above. We approved part "
            "of it and denied the rest, as explained below."
            if partial
            else "We reviewed the request for prior authorization described above and denied it."
        ),
        "reason": detail["rationale"],
        "criteria": [
            {
                "plain": cited["text"],
                "citation": cited["citation"],
                "finding": EXCLUSION_FINDING
                if cited["id"] in exclusions and cited.get("status") == "met"
                else FINDING.get(str(cited.get("status")), ""),
            }
            for cited in detail["cited"]
        ],
        "policy": f"{policy.get('id', '')} {policy.get('title', '')}".strip() or "the policy",
        "peer_to_peer": (
            "The doctor who asked for this service may talk about this decision with the "
            f"physician reviewer by calling {plan['peer_to_peer_phone']} within "
            f"{plan['peer_to_peer_days']} days of the date of this letter. A peer-to-peer "
            "conversation does not replace an appeal and does not stop the time you have to "
            "appeal."
        ),
        "appeal": appeal_rights(context),
    }


def appeal_rights(context: dict[str, Any]) -> dict[str, str]:
    """How long and how to appeal, for the member's line of business."""
    lob = (context["request"].get("member") or {}).get("line_of_business") or "unknown"
    rules = data_file("appeals.json").get(lob) or data_file("appeals.json")["unknown"]
    sent = date.fromisoformat(context["date"][:10])
    last_day = long_date(sent + timedelta(days=int(rules["days"])))
    return {
        "intro": "If you disagree with this decision, you, or your doctor or someone you "
        f"name to act for you, may {rules['first_step']}. Your appeal must reach us within "
        f"{rules['days']} calendar days of the date of this letter, that is by {last_day}. "
        "Tell us why you think we are wrong and send any records that support the request. "
        "Asking costs nothing.",
        "fast": rules["fast"],
        "next": rules["next_step"],
    }
