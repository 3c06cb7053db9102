"""What the workbench pages show, shaped from a case and its history; no HTTP here.

Pure functions from the stored case (versions, events, letters) and the policy's data
dictionary to plain dictionaries the templates lay out, so each statement a page makes
(hours left, a fact's source, the value a reviewer replaced) is testable without a browser.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from medpolicy.policy.model import FactDef
from medpolicy.policy.registry import Registry
from medpolicy.service import documents, fact_changes
from medpolicy.service.cases import OPEN_STATUSES, CaseRecord
from medpolicy.service.db.models import Case, CaseEvent, CaseVersion
from medpolicy.terminology import icd10cm

STATUS_LABEL = {
    "approved": "Approved",
    "pending_information": "Waiting for information",
    "in_review": "In review",
    "routed": "Routed elsewhere",
    "denied": "Denied",
    "partially_approved": "Partially approved",
    "withdrawn": "Withdrawn",
}
CRITERION_LABEL = {
    "met": "Met",
    "not_met": "Not met",
    "unknown": "Unknown",
    "not_applicable": "Not applicable",
    "does_not_apply": "Does not apply",
    "not_needed": "Not needed",
}
OUTCOME_LABEL = {
    "meets_criteria": "Meets criteria",
    "insufficient_information": "Insufficient information",
    "experimental_investigational": "Experimental or investigational",
    "does_not_meet_criteria": "Does not meet criteria",
    "not_addressed": "Not addressed by a policy",
}
LINE_OF_BUSINESS = {
    "medicaid": "Medicaid",
    "medicare": "Medicare Advantage",
    "marketplace": "Marketplace",
    "commercial": "Commercial",
}
BASIS_LABEL = {
    "plan_policy": "Plan policy",
    "medicare_internal_criteria": "Internal coverage criteria (Medicare, 42 CFR 422.101(b)(6))",
}
VERSION_KIND = {
    "submitted": "Submitted by the provider",
    "information": "Information added",
    "reviewer": "Fact recorded by a reviewer",
    "document": "Fact accepted from a document",
}


@dataclass(frozen=True)
class Clockface:
    """How a deadline reads at a given moment: hours left, or hours overdue."""

    hours_left: int
    overdue: bool
    label: str


def clockface(case: Case, now: datetime) -> Clockface:
    """Whole hours until the case is due (rounded down), marked overdue when past and open."""
    seconds = (case.due_at - now).total_seconds()
    is_open = case.status in OPEN_STATUSES
    if not is_open:
        return Clockface(int(seconds // 3600), False, "closed")
    if seconds < 0:
        hours = int(-seconds // 3600)
        return Clockface(-hours, True, f"overdue by {hours} h")
    hours = int(seconds // 3600)
    return Clockface(hours, False, f"{hours} h left")


def fact_dictionary(registry: Registry, service_code: str | None) -> Mapping[str, FactDef]:
    """The data dictionary of the policy that decides ``service_code`` (empty if none)."""
    if not service_code:
        return {}
    return registry.facts_for(service_code)


def value_label(definition: FactDef | None, value: Any) -> str:
    """A fact value as a reviewer reads it ("Allogeneic (cells from a donor)", "Yes", "92 %")."""
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if definition is not None and definition.type == "enum":
        return definition.value_labels.get(str(value), str(value))
    if definition is not None and definition.unit:
        return f"{value} {definition.unit}"
    return str(value)


def diagnoses(request: Mapping[str, Any]) -> list[dict[str, str]]:
    """Each diagnosis code as written conventionally, with its ICD-10-CM title."""
    rows = []
    for given in request.get("diagnoses") or []:
        code = icd10cm.normalize(str(given))
        found = icd10cm.lookup(code)
        title = icd10cm.description(code) if found else "not an ICD-10-CM code"
        rows.append({"code": icd10cm.display(code), "title": title})
    return rows


def criteria_tree(
    nodes: list[dict[str, Any]],
    policy_href: str | None,
    *,
    exclusion: bool = False,
    parent_met: bool = False,
) -> list[dict[str, Any]]:
    """The checklist as nested items with a status word and a link to the cited passage.

    Only a failure looks like one: an exclusion that is not met "does not apply", and an
    option left unmet under a criterion that is met (an alternative of a "one of" that was
    not chosen; an "all of" is met only when every child is) is "not needed", both drawn
    in the neutral colour. The same words as the signable text checklist."""
    items = []
    for node in nodes:
        status = str(node.get("status"))
        shown = status
        if exclusion and status == "not_met":
            shown = "does_not_apply"
        elif parent_met and status in {"not_met", "unknown"}:
            shown = "not_needed"
        items.append(
            {
                "id": node.get("id"),
                "text": node.get("text"),
                "citation": node.get("citation"),
                "status": shown,
                "status_label": CRITERION_LABEL.get(shown, shown),
                "href": f"{policy_href}#{node.get('id')}" if policy_href else None,
                "children": criteria_tree(
                    node.get("children") or [],
                    policy_href,
                    exclusion=exclusion,
                    parent_met=status == "met",
                ),
            }
        )
    return items


def policy_href(determination: Mapping[str, Any]) -> str | None:
    """The workbench page of the policy version that decided the case."""
    policy = determination.get("policy")
    if not policy:
        return None
    return f"/policies/{policy['id']}?version={policy['version']}"


def walk(nodes: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Every node of a checklist, depth first."""
    for node in nodes:
        yield node
        yield from walk(node.get("children") or [])


def fact_rows(
    record: CaseRecord,
    dictionary: Mapping[str, FactDef],
    names: Mapping[str, str],
) -> list[dict[str, Any]]:
    """Each fact the engine used: value, where it came from, and every earlier value."""
    determination = record.current.determination
    notes = reviewer_notes(record.events)
    histories = fact_histories(record.versions, names, notes, dictionary)
    changes = changed_facts(record.events, dictionary, names)
    rows = []
    for fact_id, entry in (determination.get("facts") or {}).items():
        definition = dictionary.get(fact_id)
        history = histories.get(fact_id, [])
        latest = history[-1] if history else None
        derived = entry.get("source") != "request"
        source = entry.get("source")
        document = entry.get("document")
        if isinstance(document, Mapping) and document.get("name"):
            source = f"{source} ({document['name']})"
        rows.append(
            {
                "id": fact_id,
                "label": definition.label if definition else fact_id,
                "value": value_label(definition, entry.get("value")),
                "source": source if derived or latest is None else latest["source"],
                "note": None if derived or latest is None else latest["note"],
                "earlier": [] if derived else history[:-1],
                "changes": changes.get(fact_id, []),
                "changed": bool(changes.get(fact_id)) or (not derived and len(history) > 1),
            }
        )
    return rows


def changed_facts(
    events: list[CaseEvent], dictionary: Mapping[str, FactDef], names: Mapping[str, str]
) -> dict[str, list[str]]:
    """Each change of a fact the case already knew (``service/fact_changes.py``), by fact,
    as a sentence: "A different donor (request) -> The donor of the original transplant
    (request), version 2, by physician Maya Chen, MD, sent to review"."""
    details = [e.detail for e in events if e.kind == fact_changes.EVENT_KIND]
    found: dict[str, list[str]] = {}
    for change in fact_changes.flagged_changes(details):
        definition = dictionary.get(str(change["fact"]))
        old, new = change.get("old") or {}, change.get("new") or {}
        by = change.get("by") or {}
        text = (
            f"{value_label(definition, old.get('value'))} ({old.get('source')}) -> "
            f"{value_label(definition, new.get('value'))} ({new.get('source', 'unknown')}), "
            f"version {change.get('version')}, by {by.get('role', '')} "
            f"{names.get(str(by.get('token_id')), '')}".rstrip()
        )
        if change.get("routed_to_review"):
            text += ", sent to review"
        found.setdefault(str(change["fact"]), []).append(text)
    return found


def reviewer_notes(events: list[CaseEvent]) -> dict[tuple[int, str], str]:
    """The note a reviewer gave with each recorded fact, by (version number, fact)."""
    return {
        (int(e.detail["version"]), str(e.detail["fact"])): str(e.detail.get("note", ""))
        for e in events
        if e.kind == "reviewer_fact"
    }


def fact_histories(
    versions: list[CaseVersion],
    names: Mapping[str, str],
    notes: Mapping[tuple[int, str], str],
    dictionary: Mapping[str, FactDef],
) -> dict[str, list[dict[str, Any]]]:
    """For each stated fact, each value it took, in order, with who stated it and when."""
    histories: dict[str, list[dict[str, Any]]] = {}
    for version in versions:
        for fact_id, value in (version.request.get("facts") or {}).items():
            history = histories.setdefault(fact_id, [])
            if history and history[-1]["raw"] == value:
                continue
            who = names.get(version.actor_token_id, "unknown token")
            source = {
                "reviewer": "reviewer " + who,
                "document": f"{documents.SOURCE} {who}",
            }.get(version.kind, "provider request")
            history.append(
                {
                    "raw": value,
                    "value": value_label(dictionary.get(fact_id), value),
                    "source": source,
                    "note": notes.get((version.number, fact_id)),
                    "version": version.number,
                    "at": version.created_at,
                }
            )
    return histories


def history(record: CaseRecord, names: Mapping[str, str]) -> list[dict[str, Any]]:
    """Every version and every event of the case in the order they happened."""
    items: list[dict[str, Any]] = []
    for version in record.versions:
        determination = version.determination
        items.append(
            {
                "at": version.created_at,
                "what": f"Version {version.number}: {VERSION_KIND.get(version.kind, version.kind)}",
                "who": names.get(version.actor_token_id, "unknown token"),
                "detail": "Engine: "
                + OUTCOME_LABEL.get(str(determination.get("outcome")), "")
                + ". "
                + " ".join(determination.get("reasons") or []),
            }
        )
    for event in record.events:
        items.append(
            {
                "at": event.at,
                "what": event_title(event),
                "who": f"{names.get(event.actor_token_id, 'unknown token')} ({event.actor_role})",
                "detail": event_detail(event),
            }
        )
    return sorted(items, key=lambda item: item["at"])


def event_title(event: CaseEvent) -> str:
    """A short heading for an event."""
    detail = event.detail
    titles = {
        "decision": "Decision: " + str(detail.get("decision", "")).replace("_", " "),
        "extension": "Deadline extended",
        "withdrawal": "Withdrawn by the provider",
        "assignment": "Assigned",
        "reviewer_fact": f"Fact recorded: {detail.get('fact')}",
        "info_request": "Information requested",
        "letter": f"Letter sent: {detail.get('letter')}",
        documents.DOCUMENT_EVENT: f"Document read: {detail.get('name')}",
        documents.ACCEPTED_EVENT: f"Proposed fact accepted: {detail.get('fact')}",
        documents.UNREAD_EVENT: f"Document not read: {detail.get('name')}",
        fact_changes.EVENT_KIND: "Facts changed"
        + (", sent to review" if detail.get("routed_to_review") else ""),
    }
    return titles.get(event.kind, event.kind)


def event_detail(event: CaseEvent) -> str:
    """The event's particulars in one line."""
    detail = event.detail
    if event.kind == "decision":
        criteria = ", ".join(detail.get("criteria") or [])
        return f"{detail.get('rationale', '')} {('Criteria: ' + criteria) if criteria else ''}"
    if event.kind == "extension":
        return f"{detail.get('reason', '')} New due time {detail.get('due_at', '')}."
    if event.kind == "reviewer_fact":
        return f"Note: {detail.get('note', '')} (version {detail.get('version')})"
    if event.kind == "info_request":
        return f"{len(detail.get('questions') or [])} question(s), by {detail.get('respond_by')}"
    if event.kind == "letter":
        return f"SHA-256 {detail.get('sha256')}"
    if event.kind == fact_changes.EVENT_KIND:
        changed = ", ".join(str(c.get("fact")) for c in detail.get("changes") or [])
        return f"{changed} (version {detail.get('version')}). {detail.get('why', '')}"
    if event.kind == documents.DOCUMENT_EVENT:
        return f"{len(detail.get('proposals') or [])} fact(s) proposed"
    if event.kind == documents.ACCEPTED_EVENT:
        return (
            f"Evidence: \u201c{detail.get('evidence', '')}\u201d (version {detail.get('version')})"
        )
    if event.kind == documents.UNREAD_EVENT:
        return f"Not read: {detail.get('reason', '')}"
    return ""


def proposal_rows(
    events: list[CaseEvent], dictionary: Mapping[str, FactDef]
) -> list[dict[str, Any]]:
    """Each fact proposed from the case's documents, with the words behind it, the
    document, and whether a reviewer accepted it (``service/documents.py``)."""
    rows = []
    for proposal in documents.proposal_states(events):
        definition = dictionary.get(str(proposal["fact"]))
        rows.append(
            {
                "id": proposal["id"],
                "label": definition.label if definition else proposal["fact"],
                "value": value_label(definition, proposal["value"]),
                "evidence": proposal["evidence"],
                "document": proposal["document_name"] or proposal["document_id"],
                "accepted": proposal["status"] == "accepted",
            }
        )
    return rows


def unread_documents(events: list[CaseEvent]) -> list[dict[str, str]]:
    """Documents sent for the case that could not be read, and why: a nurse asks for them."""
    return [
        {"name": str(e.detail.get("name") or ""), "reason": str(e.detail.get("reason") or "")}
        for e in events
        if e.kind == documents.UNREAD_EVENT
    ]


def changes_since(record: CaseRecord, revision: str, names: Mapping[str, str]) -> list[Any]:
    """What was added to the case after a form drawn at ``revision`` (see CaseRecord)."""
    try:
        seen_versions, seen_events = (int(part) for part in revision.split("."))
    except ValueError:
        seen_versions, seen_events = 0, 0
    later = CaseRecord(
        record.case, record.versions[seen_versions:], record.events[seen_events:], []
    )
    return history(later, names)
