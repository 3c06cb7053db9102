"""Reasons in plain language: the sentences that reach reviewers, providers and letters.

Every adverse or pending reason names the deciding criterion, says what it requires in
words a member can read, and gives the passage of the policy behind it.
"""

from __future__ import annotations

from dataclasses import replace

from medpolicy.domain import (
    Advisory,
    CriterionResult,
    MissingFact,
    NextStep,
    Outcome,
    Status,
    Verdict,
)
from medpolicy.policy.model import Policy, Section, Version

__all__ = ["basis_reasons", "not_addressed", "reasons", "version_label", "with_cautions"]

_REVIEW = "This is a recommendation, not a denial: a physician reviewer decides the request."


def version_label(policy: Policy, version: Version) -> str:
    label = f"{policy.id} version {version.id}"
    if version.reconstructed:
        label += " (reconstructed from the policy's approval history)"
    return label


def reasons(
    *,
    policy: Policy,
    version: Version,
    section: Section,
    outcome: Outcome,
    criteria: tuple[CriterionResult, ...],
    exclusions: tuple[CriterionResult, ...],
    missing: tuple[MissingFact, ...],
    basis: str,
    together: tuple[CriterionResult, ...] = (),
) -> tuple[str, ...]:
    """The reasons for a verdict, most decisive first. ``together`` are the criteria that
    cannot all be met, or the exclusions one of which always applies, when the outcome is
    settled although no single one is."""
    label = version_label(policy, version)
    title = section.title
    out: list[str] = []
    if outcome is Outcome.EXPERIMENTAL_INVESTIGATIONAL:
        for item in exclusions:
            if item.status is Status.MET:
                out.append(
                    f"Exclusion {item.id} applies: {_sentence(item.text)} {label} considers "
                    f"this experimental, investigational and unproven ({item.citation})."
                )
        if together:
            out.append(
                f"One of exclusions {_join([t.id for t in together], 'or')} applies whatever "
                "the facts still unreported turn out to be: an answer that rules one out "
                f"makes another apply. {label} considers this experimental, investigational "
                f"and unproven ({_citations(together)}). {_texts(together)}"
            )
        out.append(_REVIEW)
    elif outcome is Outcome.DOES_NOT_MEET_CRITERIA:
        for item in criteria:
            if item.status is Status.NOT_MET:
                out.append(_not_met(item, label))
        if together:
            out.append(
                f"Criteria {_join([t.id for t in together])} of {label} cannot all be met, "
                "whatever the facts still unreported turn out to be: an answer that meets "
                f"one fails another ({_citations(together)}). {_texts(together)}"
            )
        out.append(_REVIEW)
    elif outcome is Outcome.INSUFFICIENT_INFORMATION:
        for item in criteria + exclusions:
            needed = [_lower_first(m.label) for m in missing if item.id in m.criteria]
            if item.status is Status.UNKNOWN and needed:
                kind = "Exclusion" if item in exclusions else "Criterion"
                out.append(
                    f"{kind} {item.id} of {label} cannot be decided yet ({item.citation}): "
                    f"{_sentence(item.text)} Needed: {_join(needed)}."
                )
        out.append(
            "Send the documentation listed as missing; "
            "the request is decided again when it arrives."
        )
    else:
        met = [c.id for c in criteria if c.status is Status.MET]
        out.append(
            f"{title} meets {label}: criteria {_join(met)} are met and no exclusion applies "
            f"({section.citation})."
        )
    return (*out, *basis_reasons(policy, basis))


def basis_reasons(policy: Policy, basis: str) -> tuple[str, ...]:
    """The reason a coverage basis other than the policy's default adds, last."""
    if basis == policy.coverage_basis.default:
        return ()
    return (policy.coverage_basis.explanations[basis],)


def with_cautions(verdict: Verdict, cautions: tuple[Advisory, ...]) -> Verdict:
    """The verdict sent to a physician because clinical cautions hold: same outcome and
    checklist, next step ``physician_review``, and a reason naming each caution."""
    named = _join([c.code for c in cautions])
    reason = (
        f"A clinical caution holds ({named}): the criteria are met, but the policy's overview "
        "advises against the service in this situation, so a physician reviews the request "
        "instead of it being approved automatically."
    )
    return replace(verdict, next_step=NextStep.PHYSICIAN_REVIEW, reasons=(reason, *verdict.reasons))


def _not_met(item: CriterionResult, label: str) -> str:
    text = f"Criterion {item.id} of {label} is not met ({item.citation}): {_sentence(item.text)}"
    failed = [c for c in item.children if c.status is Status.NOT_MET]
    if failed and len(failed) < len(item.children):
        text += " Not met: " + "; ".join(f"{c.id}, {_lower_first(c.text)}" for c in failed)
        text = text.rstrip(".") + "."
    elif failed:
        text += " None of its options is met: " + ", ".join(c.id for c in failed) + "."
    elif any(c.status is Status.UNKNOWN for c in item.children):
        text += (
            " No answer to what is still unreported would meet it, so it fails whatever"
            " those answers are."
        )
    return text


def not_addressed(code: str, why: str) -> tuple[str, ...]:
    return (f"Service code {code} is not decided here: {why}",)


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith(".") else text + "."


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text


def _join(items: list[str], word: str = "and") -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {word} " + items[-1]


def _citations(items: tuple[CriterionResult, ...]) -> str:
    return "; ".join(dict.fromkeys(item.citation for item in items))


def _texts(items: tuple[CriterionResult, ...]) -> str:
    return " ".join(f"{item.id}: {_sentence(item.text)}" for item in items)
