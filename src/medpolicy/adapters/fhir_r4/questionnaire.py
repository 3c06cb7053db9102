"""DTR questionnaires generated from a policy's data dictionary, and answers read back.

One item per fact the policy section reads, in dictionary order: ``linkId`` is the fact id,
the text is the dictionary's question, choice answers are Codings whose code is the fact's
value, yes/no questions are booleans and numbers are decimals with their bounds. Which
questions show is derived from the criteria trees (``relevance``). Nothing here knows
MCP-210: a second policy gets its questionnaire from its own data files.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, cast

from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
from pydantic import ValidationError

from medpolicy.adapters.fhir_r4 import systems
from medpolicy.adapters.fhir_r4.operation_outcome import FhirInputError, parse_resource
from medpolicy.adapters.fhir_r4.relevance import Guard, relevance
from medpolicy.domain import Determination
from medpolicy.errors import OutputError
from medpolicy.policy.model import FactDef, Policy, Version

__all__ = [
    "build_questionnaire",
    "draft_response",
    "fact_system",
    "facts_from_response",
    "parse_response",
]


def fact_system(policy_id: str, fact: str) -> str:
    """The code system of one enum fact's values (codes are the values themselves)."""
    return f"{systems.BASE}{policy_id.lower()}:{fact}"


def build_questionnaire(policy: Policy, version: Version, section_name: str) -> dict[str, Any]:
    """The DTR standard questionnaire for one section of one policy version."""
    section = version.sections[section_name]
    guards = relevance(section, policy.facts)
    items = [
        _item(policy, policy.facts[name], guards[name]) for name in guards if name in policy.facts
    ]
    title = f"{policy.id} {section.title}"
    if version.reconstructed:
        title += " (reconstructed version)"
    resource = {
        "resourceType": "Questionnaire",
        "id": systems.questionnaire_id(policy.id, section_name),
        "meta": {"profile": [systems.DTR_STD_QUESTIONNAIRE]},
        "extension": [{"url": systems.ENTRY_MODE, "valueCode": "random"}],
        "url": systems.questionnaire_url(policy.id, section_name),
        "version": version.id,
        "name": _computable_name(title),
        "title": title,
        "status": "active",
        "subjectType": ["Patient"],
        "publisher": policy.publisher,
        "description": f"Questions whose answers decide {section.title.lower()} under {policy.id}.",
        "item": items,
    }
    _check(Questionnaire, resource, "Questionnaire")
    return resource


def _computable_name(title: str) -> str:
    words = re.findall(r"[A-Za-z0-9]+", title)
    name = "".join(w[:1].upper() + w[1:] for w in words)
    return name if name[:1].isalpha() else "Q" + name


def _item(policy: Policy, fact: FactDef, guards: tuple[Guard, ...]) -> dict[str, Any]:
    item: dict[str, Any] = {"linkId": fact.id, "text": fact.question}
    if fact.type == "enum":
        item["type"] = "choice"
        item["answerOption"] = [
            {"valueCoding": _coding(policy, fact, value)} for value in fact.values
        ]
    elif fact.type == "boolean":
        item["type"] = "boolean"
    else:
        item["type"] = "decimal"
        item["extension"] = _number_extensions(fact)
    enable = [entry for guard in guards for entry in _enable_when(policy, guard)]
    if enable:
        item["enableWhen"] = enable
        if len(enable) > 1:
            item["enableBehavior"] = "any"
    return item


def _coding(policy: Policy, fact: FactDef, value: str) -> dict[str, str]:
    return {
        "system": fact_system(policy.id, fact.id),
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


_OPERATORS = {"equals": "=", "in": "=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}


def _enable_when(policy: Policy, guard: Guard) -> list[dict[str, Any]]:
    fact = policy.facts[guard.fact]
    operands = guard.operand if isinstance(guard.operand, tuple) else (guard.operand,)
    entries = []
    for operand in operands:
        entry: dict[str, Any] = {"question": guard.fact, "operator": _OPERATORS[guard.op]}
        if fact.type == "enum":
            entry["answerCoding"] = _coding(policy, fact, str(operand))
        elif fact.type == "boolean":
            entry["answerBoolean"] = bool(operand)
        else:
            entry["answerDecimal"] = operand
        entries.append(entry)
    return entries


def draft_response(
    policy: Policy,
    version: Version,
    section_name: str,
    determination: Determination,
    *,
    subject: dict[str, Any] | None = None,
    author: dict[str, Any] | None = None,
    context: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    """A QuestionnaireResponse in progress, prefilled with every fact already known.

    Facts derived from diagnosis codes are marked as filled automatically, so the
    clinician sees them as suggestions to confirm rather than as their own answers.
    ``subject`` (the patient) and ``author`` (who ordered) are References taken from the
    request when it names them; each ``context`` Reference (the order, the coverage) becomes
    a DTR ``qr-context`` extension, which is how DTR 2.0.1 ties a response to what it
    documents.
    """
    readable = relevance(version.sections[section_name], policy.facts)
    items = []
    for name, evidence in determination.facts.items():
        fact = policy.facts.get(name)
        if fact is None or name not in readable:
            continue
        source = "override" if evidence.source == "request" else "auto"
        items.append(
            {
                "linkId": name,
                "text": fact.question,
                "answer": [
                    {
                        **_answer_value(policy, fact, evidence.value),
                        "extension": [_origin(source)],
                    }
                ],
            }
        )
    resource = {
        "resourceType": "QuestionnaireResponse",
        "meta": {"profile": [systems.DTR_QUESTIONNAIRE_RESPONSE]},
        "questionnaire": f"{systems.questionnaire_url(policy.id, section_name)}|{version.id}",
        "status": "in-progress",
        "item": items,
    }
    if context:
        resource["extension"] = [
            {"url": systems.DTR_QR_CONTEXT, "valueReference": reference} for reference in context
        ]
    if subject:
        resource["subject"] = subject
    if author:
        resource["author"] = author
    _check(QuestionnaireResponse, resource, "QuestionnaireResponse")
    return resource


def _origin(source: str) -> dict[str, Any]:
    return {
        "url": systems.DTR_INFORMATION_ORIGIN,
        "extension": [{"url": "source", "valueCode": source}],
    }


def _answer_value(policy: Policy, fact: FactDef, value: Any) -> dict[str, Any]:
    if fact.type == "enum":
        return {"valueCoding": _coding(policy, fact, str(value))}
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
