"""DTR questionnaires generated from a policy's data dictionary, and answers read back.

One item per fact the policy section reads, in dictionary order: ``linkId`` is the fact id,
the text is the dictionary's question, choice answers are Codings whose code is the fact's
value (in a code system under our canonical base), yes/no questions are booleans and
numbers are decimals with their bounds. Nothing here knows MCP-210: a second policy gets
its questionnaire from its own data files.

Which questions show comes from the engine's own exact analysis (``SectionRelevance``): a
question gets an ``enableWhen`` on one earlier yes/no or choice question, or else on two,
only when the engine shows that for the other answers of those questions its answer can
change neither the outcome nor a caution, whatever else is answered. Among such guards
the one hiding the question for most answers wins (the earlier questions on a tie). A
question no guard can safely hide always shows: showing one too often is harmless, hiding
one that could change the outcome is not.

The Questionnaire's narrative lists every question and says which ones the plan fills in
itself and from what (the policy's ICD-10-CM derivation rules); the draft response's
narrative says, answer by answer, which code of the order filled it in. The plan fills
those answers in on its own side from the order it was sent, so the package needs no CQL
Library for the EHR to run: every prefilled answer is marked ``auto`` with the DTR
``information-origin`` extension, and everything else is for the clinician.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import combinations
from typing import Any, cast

from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
from pydantic import ValidationError

from medpolicy.adapters.fhir_r4 import systems
from medpolicy.adapters.fhir_r4.operation_outcome import FhirInputError, parse_resource
from medpolicy.domain import Determination
from medpolicy.engine.relevance import SectionRelevance
from medpolicy.errors import OutputError
from medpolicy.memo import Memo
from medpolicy.policy.model import FactDef, Policy, Version

__all__ = [
    "build_questionnaire",
    "draft_response",
    "facts_from_response",
    "parse_response",
]

_INTENDED_USE = {
    "coding": [
        {"system": systems.CRD_CODES, "code": "withpa", "display": "Include in prior authorization"}
    ]
}
"""The draft documents a prior authorization request (DTR ``intendedUse``, CRD DocReason)."""


@dataclass(frozen=True, slots=True)
class Guard:
    """The question is relevant when fact ``fact`` is one of ``values``."""

    fact: str
    values: tuple[Any, ...]


def build_questionnaire(
    policy: Policy,
    version: Version,
    section_name: str,
    relevance: SectionRelevance,
    base: str = systems.DEFAULT_BASE,
) -> dict[str, Any]:
    """The DTR standard questionnaire for one section of one policy version."""
    section = version.sections[section_name]
    asked = set(relevance.facts)
    facts = [fact for fact in policy.facts.values() if fact.id in asked]
    items = [_item(policy, fact, _guards[(relevance, policy, fact.id)], base) for fact in facts]
    title = f"{policy.id} {section.title}"
    if version.reconstructed:
        title += " (reconstructed version)"
    description = f"Questions whose answers decide {section.title.lower()} under {policy.id}."
    resource = {
        "resourceType": "Questionnaire",
        "id": systems.questionnaire_id(policy.id, section_name),
        "meta": {"profile": [systems.DTR_STD_QUESTIONNAIRE]},
        "text": _questionnaire_text(policy, title, description, facts),
        "extension": [{"url": systems.ENTRY_MODE, "valueCode": "random"}],
        "url": systems.questionnaire_url(policy.id, section_name, base),
        "version": version.id,
        "name": _computable_name(title),
        "title": title,
        "status": "active",
        "subjectType": ["Patient"],
        "publisher": policy.publisher,
        "description": description,
        "item": items,
    }
    _check(Questionnaire, resource, "Questionnaire")
    return resource


def _questionnaire_text(
    policy: Policy, title: str, description: str, facts: Sequence[FactDef]
) -> dict[str, str]:
    rows = []
    for fact in facts:
        rows.append(
            f"<li>{html.escape(fact.question)} <i>{html.escape(_prefilled_by(policy, fact))}</i>"
            "</li>"
        )
    body = (
        f"<p><b>{html.escape(title)}</b></p><p>{html.escape(description)}</p>"
        f"<ol>{''.join(rows)}</ol>"
    )
    return {"status": "generated", "div": _div(body)}


def _prefilled_by(policy: Policy, fact: FactDef) -> str:
    rules = [rule for d in policy.derivations if d.fact == fact.id for rule in d.rules]
    if not rules:
        return "Answered by the clinician."
    how = " ".join(
        f"'{fact.value_labels.get(str(rule.value), str(rule.value))}' when {rule.why}"
        for rule in rules
    )
    return (
        "Prefilled by the plan from the order's ICD-10-CM diagnosis codes when they establish "
        f"it ({how.rstrip('.')}); otherwise answered by the clinician."
    )


def _div(body: str) -> str:
    return f'<div xmlns="http://www.w3.org/1999/xhtml">{body}</div>'


def _computable_name(title: str) -> str:
    words = re.findall(r"[A-Za-z0-9]+", title)
    name = "".join(w[:1].upper() + w[1:] for w in words)
    return name if name[:1].isalpha() else "Q" + name


def _item(policy: Policy, fact: FactDef, guards: tuple[Guard, ...], base: str) -> dict[str, Any]:
    item: dict[str, Any] = {"linkId": fact.id, "text": fact.question}
    if fact.type == "enum":
        item["type"] = "choice"
        item["answerOption"] = [
            {"valueCoding": _coding(policy, fact, value, base)} for value in fact.values
        ]
    elif fact.type == "boolean":
        item["type"] = "boolean"
    else:
        item["type"] = "decimal"
        extensions = _number_extensions(fact)
        if extensions:
            item["extension"] = extensions
    enable = [entry for guard in guards for entry in _enable_when(policy, guard, base)]
    if enable:
        item["enableWhen"] = enable
        if len(enable) > 1:
            item["enableBehavior"] = "any"
    return item


def _coding(policy: Policy, fact: FactDef, value: str, base: str) -> dict[str, str]:
    return {
        "system": systems.fact_system(policy.id, fact.id, base),
        "code": value,
        "display": fact.value_labels.get(value, value),
    }


def _number_extensions(fact: FactDef) -> list[dict[str, Any]]:
    extensions: list[dict[str, Any]] = []
    if fact.minimum is not None:
        extensions.append({"url": systems.MIN_VALUE, "valueDecimal": fact.minimum})
    if fact.maximum is not None:
        extensions.append({"url": systems.MAX_VALUE, "valueDecimal": fact.maximum})
    if fact.unit:
        extensions.append(
            {
                "url": systems.QUESTIONNAIRE_UNIT,
                "valueCoding": {"system": systems.UCUM, "code": fact.unit, "display": fact.unit},
            }
        )
    return extensions


def _enable_when(policy: Policy, guard: Guard, base: str) -> list[dict[str, Any]]:
    fact = policy.facts[guard.fact]
    entries = []
    for value in guard.values:
        entry: dict[str, Any] = {"question": guard.fact, "operator": "="}
        if fact.type == "enum":
            entry["answerCoding"] = _coding(policy, fact, str(value), base)
        else:
            entry["answerBoolean"] = bool(value)
        entries.append(entry)
    return entries


def _find_guards(key: tuple[SectionRelevance, Policy, str]) -> tuple[Guard, ...]:
    """The guards of one question: see the module's docstring."""
    relevance, policy, fact = key
    if not relevance.matters(fact, {}):
        return ()
    order = list(policy.facts)
    earlier = [
        g
        for g in order[: order.index(fact)]
        if g in relevance.facts and policy.facts[g].type in ("enum", "boolean")
    ]
    best: tuple[int, tuple[Guard, ...]] = (0, ())
    for g in earlier:
        values = _answers(policy.facts[g])
        hidden = [v for v in values if not relevance.matters(fact, {g: v})]
        if len(hidden) > best[0]:
            best = (len(hidden), (Guard(g, tuple(v for v in values if v not in hidden)),))
    if best[1]:
        return best[1]
    for i, first in enumerate(earlier):
        for second in earlier[i + 1 :]:
            found = _pair_guard(relevance, policy, fact, first, second)
            if found is not None and found[0] > best[0]:
                best = found
    return best[1]


def _pair_guard(
    relevance: SectionRelevance, policy: Policy, fact: str, first: str, second: str
) -> tuple[int, tuple[Guard, ...]] | None:
    """The largest set of answer pairs (a product) under which ``fact`` cannot matter."""
    ones, twos = _answers(policy.facts[first]), _answers(policy.facts[second])
    dead = {
        (a, b) for a in ones for b in twos if not relevance.matters(fact, {first: a, second: b})
    }
    best: tuple[int, tuple[Guard, ...]] | None = None
    for size in range(1, len(ones)):
        for hidden_ones in combinations(ones, size):
            hidden_twos = [b for b in twos if all((a, b) in dead for a in hidden_ones)]
            if not hidden_twos or len(hidden_twos) == len(twos):
                continue
            area = len(hidden_ones) * len(hidden_twos)
            if best is None or area > best[0]:
                guards = (
                    Guard(first, tuple(a for a in ones if a not in hidden_ones)),
                    Guard(second, tuple(b for b in twos if b not in hidden_twos)),
                )
                best = (area, guards)
    return best


def _answers(fact: FactDef) -> tuple[Any, ...]:
    return fact.values if fact.type == "enum" else (True, False)


_guards: Memo[tuple[SectionRelevance, Policy, str], tuple[Guard, ...]] = Memo(_find_guards)


def draft_response(
    policy: Policy,
    version: Version,
    section_name: str,
    determination: Determination,
    relevance: SectionRelevance,
    *,
    subject: dict[str, Any],
    context: Sequence[dict[str, Any]],
    authored: datetime,
    author: dict[str, Any] | None = None,
    base: str = systems.DEFAULT_BASE,
) -> dict[str, Any] | None:
    """A QuestionnaireResponse in progress, prefilled with every fact already known, or
    None when nothing is known yet (DTR wants at least one answered item).

    Every prefilled answer was read by the plan from the request (the order's diagnosis
    codes), so each is marked ``auto`` with DTR ``information-origin``: the clinician sees
    it as a suggestion to confirm. ``subject`` (the patient) and ``author`` (who ordered)
    are References from the request; each ``context`` Reference (the order, the coverage)
    becomes a DTR ``qr-context`` extension, which is how DTR 2.0.1 ties a response to what
    it documents, and ``intendedUse`` says it documents a prior authorization request.
    """
    readable = set(relevance.facts)
    items, rows = [], []
    for name, evidence in determination.facts.items():
        fact = policy.facts.get(name)
        if fact is None or name not in readable:
            continue
        answer = _answer_value(policy, fact, evidence.value, base)
        items.append(
            {
                "linkId": name,
                "text": fact.question,
                "answer": [{**answer, "extension": [_origin("auto")]}],
            }
        )
        rows.append(
            f"<li>{html.escape(fact.question)} <b>{html.escape(_shown(fact, evidence.value))}"
            f"</b> <i>(prefilled by the plan from {html.escape(_source(evidence.source))})</i>"
            "</li>"
        )
    if not items:
        return None
    extensions = [{"url": systems.DTR_QR_CONTEXT, "valueReference": r} for r in context]
    extensions.append({"url": systems.DTR_INTENDED_USE, "valueCodeableConcept": _INTENDED_USE})
    resource: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "meta": {"profile": [systems.DTR_QUESTIONNAIRE_RESPONSE]},
        "text": {
            "status": "generated",
            "div": _div(
                f"<p>Answers the plan filled in; please confirm.</p><ul>{''.join(rows)}</ul>"
            ),
        },
        "extension": extensions,
        "questionnaire": (
            f"{systems.questionnaire_url(policy.id, section_name, base)}|{version.id}"
        ),
        "status": "in-progress",
        "subject": subject,
        "authored": authored.isoformat(),
        "item": items,
    }
    if author:
        resource["author"] = author
    _check(QuestionnaireResponse, resource, "QuestionnaireResponse")
    return resource


def _shown(fact: FactDef, value: Any) -> str:
    if fact.type == "enum":
        return fact.value_labels.get(str(value), str(value))
    if fact.type == "boolean":
        return "Yes" if value else "No"
    return f"{value} {fact.unit or ''}".strip()


def _source(source: str) -> str:
    return "the request" if source == "request" else f"the order's {source}"


def _origin(source: str) -> dict[str, Any]:
    return {
        "url": systems.DTR_INFORMATION_ORIGIN,
        "extension": [{"url": "source", "valueCode": source}],
    }


def _answer_value(policy: Policy, fact: FactDef, value: Any, base: str) -> dict[str, Any]:
    if fact.type == "enum":
        return {"valueCoding": _coding(policy, fact, str(value), base)}
    if fact.type == "boolean":
        return {"valueBoolean": bool(value)}
    return {"valueDecimal": value}


def parse_response(data: Any, where: str = "QuestionnaireResponse") -> QuestionnaireResponse:
    """A QuestionnaireResponse checked by fhir.resources; errors name the element."""
    if not isinstance(data, dict) or data.get("resourceType") != "QuestionnaireResponse":
        raise FhirInputError(f"{where} must be a QuestionnaireResponse resource.", where)
    return cast(QuestionnaireResponse, parse_resource(QuestionnaireResponse, data, where))


def facts_from_response(
    response: QuestionnaireResponse,
    facts: Mapping[str, FactDef],
    where: str = "QuestionnaireResponse",
) -> dict[str, Any]:
    """The facts a completed response states; items that are not facts are left alone."""
    found: dict[str, Any] = {}
    _collect(response.item or [], facts, where, found)
    return found


def _collect(
    items: list[Any], facts: Mapping[str, FactDef], where: str, found: dict[str, Any]
) -> None:
    for index, item in enumerate(items):
        path = f"{where}.item[{index}]"
        fact = facts.get(item.linkId)
        answers = item.answer or []
        if fact is not None and answers:
            found[fact.id] = _fact_value(fact, answers[0], f"{path}.answer[0]")
        _collect(item.item or [], facts, path, found)
        for a_index, answer in enumerate(answers):
            _collect(answer.item or [], facts, f"{path}.answer[{a_index}]", found)


def _fact_value(fact: FactDef, answer: Any, path: str) -> Any:
    value: Any
    if answer.valueCoding is not None:
        value = answer.valueCoding.code
    elif answer.valueBoolean is not None:
        value = answer.valueBoolean
    elif answer.valueDecimal is not None:
        value = float(answer.valueDecimal)
    elif answer.valueInteger is not None:
        value = answer.valueInteger
    else:
        value = answer.valueString
    if fact.type == "number" and isinstance(value, float) and value.is_integer():
        value = int(value)
    if not fact.accepts(value):
        raise FhirInputError(
            f"{path} answers '{fact.label}', which accepts {fact.accepted()}"
            f" (as {_expected_type(fact)}).",
            path,
            code="value",
        )
    return value


def _expected_type(fact: FactDef) -> str:
    return {"enum": "a valueCoding whose code is the value", "boolean": "valueBoolean"}.get(
        fact.type, "valueDecimal"
    )


def _check(model: Any, resource: dict[str, Any], root: str) -> None:
    try:
        model.model_validate(resource)
    except ValidationError as error:
        raise OutputError(f"we built an invalid {root}: {error}") from error
