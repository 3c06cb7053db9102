"""The medspaCy pipeline built from a policy's extraction rules.

A blank English spaCy pipeline (no model download, ever) with medspaCy's clinical
tokenizer, PyRuSH sentence splitting (plus a break at every line end, since notes put one
statement a line: ``GVHD: none`` / ``Plan: ...``), one TargetMatcher per fact so that a
phrase stating two facts ("relapsed AML" is a diagnosis and a relapse) feeds both, ConText
with the policy's modifiers only, and the Sectionizer with the policy's headers.
"""

from __future__ import annotations

import re
import warnings
from typing import Any

from medpolicy.extraction.rules import ExtractionRules

__all__ = ["SPAN_GROUP", "build_pipeline"]

SPAN_GROUP = "medpolicy_findings"


def build_pipeline(rules: ExtractionRules) -> Any:
    """A spaCy ``Language`` that marks each fact's findings, their ConText modifiers and the
    sections of a note; nothing is downloaded."""
    import medspacy.sentence_splitting  # noqa: F401  (registers medspacy_pysbd)
    import spacy
    from medspacy.context import ConTextRule
    from medspacy.custom_tokenizer import create_medspacy_tokenizer
    from medspacy.section_detection import SectionRule
    from spacy.language import Language

    # ConText keeps a token Matcher that this policy's modifiers (phrases and expressions)
    # leave empty; spaCy warns about that on every note.
    warnings.filterwarnings("ignore", message=r"\[W036\]", category=UserWarning)

    if not Language.has_factory("medpolicy_line_breaks"):
        Language.component("medpolicy_line_breaks", func=_break_at_line_ends)
    if not Language.has_factory("medpolicy_targets"):
        Language.factory("medpolicy_targets", func=_targets_factory)
    nlp = spacy.blank("en")
    nlp.tokenizer = create_medspacy_tokenizer(nlp)
    nlp.add_pipe("medspacy_pysbd")
    nlp.add_pipe("medpolicy_line_breaks")
    nlp.add_pipe("medpolicy_targets", config={"rules_key": _register(rules)})
    context: Any = nlp.add_pipe(
        "medspacy_context",
        config={
            "rules": None,
            "input_span_type": "group",
            "span_group_name": SPAN_GROUP,
            "span_attrs": None,
            "prune_on_target_overlap": False,
        },
    )
    context.add([_context_rule(ConTextRule, m) for m in rules.modifiers])
    sectionizer: Any = nlp.add_pipe(
        "medspacy_sectionizer",
        config={"rules": None, "input_span_type": None, "span_attrs": None},
    )
    sectionizer.add(
        [SectionRule(s.pattern, s.category, pattern="(?im)" + s.pattern) for s in rules.sections]
    )
    return nlp


def _regex(pattern: Any) -> str:
    """The pattern text for medspaCy's matcher, which ignores case unless told otherwise."""
    text = str(pattern.pattern)
    return text if pattern.flags & re.IGNORECASE else f"(?-i:{text})"


def _context_rule(cls: Any, modifier: Any) -> Any:
    return cls(
        modifier.literal,
        modifier.category,
        pattern=modifier.pattern,
        direction=modifier.direction,
        max_scope=modifier.max_scope,
        allowed_types=set(modifier.allowed_labels) if modifier.allowed_labels else None,
        excluded_types=set(modifier.excluded_labels) if modifier.excluded_labels else None,
        terminated_by=set(modifier.terminated_by) or None,
    )


def _break_at_line_ends(doc: Any) -> Any:
    """Start a sentence after each line break, which in notes ends a statement."""
    after_break = False
    for token in doc:
        if after_break and not token.is_space:
            token.is_sent_start = True
            after_break = False
        elif "\n" in token.text or "\n" in token.whitespace_:
            after_break = True
    return doc


_REGISTERED: dict[int, ExtractionRules] = {}


def _register(rules: ExtractionRules) -> int:
    _REGISTERED[id(rules)] = rules
    return id(rules)


def _targets_factory(nlp: Any, name: str, rules_key: int) -> Any:  # noqa: ARG001  (spaCy's factory signature)
    return _TargetFinder(_REGISTERED[rules_key])


class _TargetFinder:
    """medspaCy target rules (one ``TargetRule`` per pattern, labelled with its fact),
    matched over the note's text once.

    medspaCy's TargetMatcher rebuilds the document's text for every regular expression
    (about 30 ms a note with this policy's few hundred patterns); this component runs the
    same rules against one copy of the text. Overlapping matches of one fact keep the
    longest, as the TargetMatcher does; findings of different facts may overlap ("relapsed
    AML" is a diagnosis and a DLI indication), which is why they go to a span group.
    """

    def __init__(self, rules: ExtractionRules) -> None:
        from medspacy.target_matcher import TargetRule

        self._rules = [
            (
                rules.label(fact),
                TargetRule(rule.id, rules.label(fact), pattern=_regex(rule.pattern)),
                rule.pattern,
            )
            for fact, fact_rules in rules.fact_rules.items()
            for rule in fact_rules.rules
        ]

    def __call__(self, doc: Any) -> Any:
        from spacy.tokens import Span

        text = doc.text
        by_label: dict[str, list[tuple[int, int, Any]]] = {}
        for label, target_rule, pattern in self._rules:
            for match in pattern.finditer(text):
                span = doc.char_span(match.start(), match.end(), alignment_mode="expand")
                if span is not None and len(span):
                    by_label.setdefault(label, []).append((span.start, span.end, target_rule))
        spans = []
        for label, found in by_label.items():
            for start, end, target_rule in _longest(found):
                span = Span(doc, start, end, label=label)
                span._.target_rule = target_rule
                spans.append(span)
        doc.spans[SPAN_GROUP] = spans
        return doc


def _longest(found: list[tuple[int, int, Any]]) -> list[tuple[int, int, Any]]:
    """Drop a match lying inside a longer one of the same fact."""
    found.sort(key=lambda m: (m[0] - m[1], m[0]))
    kept: list[tuple[int, int, Any]] = []
    for start, end, rule in found:
        if not any(s <= start and end <= e for s, e, _ in kept):
            kept.append((start, end, rule))
    kept.sort(key=lambda m: m[0])
    return kept
