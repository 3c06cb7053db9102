"""The extraction rules of one policy, read strictly from ``<policy>/extraction/``.

The extractor knows how to read a note (sentences, sections, ConText modifiers, dates,
numbers) but nothing about a policy: which words mean "allogeneic transplant", which
phrases negate, hedge or defer a finding, which section headers introduce family history.
All of that is data, reviewed like the criteria, in two files:

``pipeline.yaml``
    ``services`` (words that say which service a note is about, when the request does not),
    ``sections`` (headers, and the kind of statement a section holds, e.g. family history),
    ``modifiers`` (ConText rules: a negation, a hedge, a plan, a relative, a past event,
    a lineage-only measurement) and ``kinds`` (what each modifier category means).

``targets.yaml``
    for each fact of the policy's dictionary, the phrases that state it and the value they
    give; a number rule reads its value from the named group ``n`` of its pattern, as a
    percentage of the member (``as: value``) or its complement (``as: complement``, a
    recipient share read as the donor share).

Like the policy loader, this one refuses unknown keys, values outside a fact's type,
patterns that do not compile and facts the dictionary does not define, naming the file
and the path of the problem.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

from medpolicy.errors import PolicyError
from medpolicy.policy.loader import _display, _read_yaml, _validate
from medpolicy.policy.model import FactDef, Policy

__all__ = [
    "NEGATED",
    "ExtractionRules",
    "FactRules",
    "ModifierRule",
    "SectionRule",
    "TargetRule",
    "load_rules",
]

NEGATED = "negated"
"""The kind of a finding a negation applies to; every other kind sets a finding aside."""

_DIRECTIONS = ("FORWARD", "BACKWARD", "BIDIRECTIONAL", "TERMINATE", "PSEUDO")
_CATEGORY = re.compile(r"^[A-Z][A-Z_]*$")
_KIND = re.compile(r"^[a-z][a-z_]*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _ModifierSpec(_Strict):
    category: StrictStr
    direction: Literal["FORWARD", "BACKWARD", "BIDIRECTIONAL", "TERMINATE", "PSEUDO"]
    literals: list[StrictStr] = Field(default_factory=list)
    patterns: list[StrictStr] = Field(default_factory=list)
    tokens: list[list[dict[StrictStr, StrictStr]]] = Field(default_factory=list)
    max_scope: StrictInt | None = Field(default=None, ge=1)
    facts: list[StrictStr] | None = None
    except_facts: list[StrictStr] | None = None
    terminated_by: list[StrictStr] = Field(default_factory=list)
    why: StrictStr | None = None


class _SectionSpec(_Strict):
    category: StrictStr
    patterns: list[StrictStr] = Field(min_length=1)
    kind: StrictStr | None = None


class _PipelineSpec(_Strict):
    services: dict[StrictStr, list[StrictStr]] = Field(default_factory=dict)
    kinds: dict[StrictStr, StrictStr]
    sections: list[_SectionSpec] = Field(default_factory=list)
    modifiers: list[_ModifierSpec]


class _TargetSpec(_Strict):
    value: Any = None
    number: Literal["value", "complement"] | None = None
    mention: bool = False
    patterns: list[StrictStr] = Field(default_factory=list)
    exact_case: list[StrictStr] = Field(default_factory=list)
    negated: Any = None
    specificity: StrictInt = 1
    services: list[StrictStr] | None = None
    sections: list[StrictStr] | None = None
    sentence: StrictStr | None = None
    keeps: list[StrictStr] = Field(default_factory=list)
    why: StrictStr | None = None


class _FactSpec(_Strict):
    keeps: list[StrictStr] = Field(default_factory=list)
    conflict: Literal["latest", "specific", "dated", "unknown"] = "latest"
    only_with: dict[StrictStr, list[Any]] | None = None
    rules: list[_TargetSpec] = Field(min_length=1)


@dataclass(frozen=True, slots=True)
class ModifierRule:
    """One ConText modifier: a phrase, its category and how far its scope reaches."""

    category: str
    direction: str
    literal: str
    pattern: str | list[dict[str, str]] | None
    max_scope: int | None
    allowed_labels: frozenset[str] | None
    excluded_labels: frozenset[str] | None
    terminated_by: frozenset[str]


@dataclass(frozen=True, slots=True)
class SectionRule:
    """A section header (a regular expression matched at a line start) and its kind."""

    category: str
    pattern: str
    kind: str | None


@dataclass(frozen=True, slots=True)
class TargetRule:
    """A phrase that states a fact: the value it gives (or how to read its number), the
    value it gives when ConText negates it, and where it applies."""

    id: str
    fact: str
    pattern: re.Pattern[str]
    value: Any
    number: str | None
    mention: bool
    negated: Any
    specificity: int
    services: frozenset[str] | None
    sections: frozenset[str] | None
    sentence: re.Pattern[str] | None
    keeps: frozenset[str]


@dataclass(frozen=True, slots=True)
class FactRules:
    """How one fact is read: its rules, the kinds that do not set it aside, how to settle
    two statements that disagree."""

    fact: FactDef
    rules: tuple[TargetRule, ...]
    keeps: frozenset[str]
    conflict: str
    only_with: Mapping[str, tuple[Any, ...]]


@dataclass(frozen=True, slots=True)
class ExtractionRules:
    """Everything the extractor needs to read notes for one policy."""

    policy_id: str
    facts: Mapping[str, FactDef]
    fact_rules: Mapping[str, FactRules]
    services: Mapping[str, tuple[re.Pattern[str], ...]]
    kinds: Mapping[str, str]
    sections: tuple[SectionRule, ...]
    modifiers: tuple[ModifierRule, ...]

    def label(self, fact: str) -> str:
        """The entity label a fact's findings carry in the spaCy document."""
        return fact.upper()


def load_rules(policy: Policy) -> ExtractionRules:
    """Read and check ``<policy directory>/extraction/``; raise ``PolicyError`` on the first
    problem, naming the file and the path inside it."""
    root = policy.directory / "extraction"
    if not root.is_dir():
        raise PolicyError("the policy has no extraction rules", file=str(root))
    pipeline_file = root / "pipeline.yaml"
    pipeline = _validate(
        _PipelineSpec, _read_yaml(pipeline_file, root), _display(pipeline_file, root)
    )
    targets_file = root / "targets.yaml"
    raw_targets = _read_yaml(targets_file, root)
    where = _display(targets_file, root)
    if not isinstance(raw_targets, dict):
        raise PolicyError("must be a mapping of fact ids to their rules", file=where)
    kinds = _kinds(pipeline, _display(pipeline_file, root))
    section_categories = {s.category for s in pipeline.sections}
    fact_rules = {
        str(fact_id): _fact_rules(
            policy, fact_id, raw, kinds=kinds, section_categories=section_categories, file=where
        )
        for fact_id, raw in raw_targets.items()
    }
    pipeline_where = _display(pipeline_file, root)
    return ExtractionRules(
        policy_id=policy.id,
        facts=policy.facts,
        fact_rules=fact_rules,
        services=_services(policy, pipeline, pipeline_where),
        kinds=kinds,
        sections=_sections(pipeline, kinds, pipeline_where),
        modifiers=_modifiers(policy, pipeline, kinds, pipeline_where),
    )


def _compile(pattern: str, file: str, path: str, *, ignore_case: bool = True) -> re.Pattern[str]:
    try:
        return re.compile(pattern, re.IGNORECASE if ignore_case else 0)
    except re.error as exc:
        raise PolicyError(f"pattern does not compile: {exc}", file=file, path=path) from None


def _kinds(pipeline: _PipelineSpec, file: str) -> dict[str, str]:
    for category, kind in pipeline.kinds.items():
        if not _CATEGORY.match(category):
            raise PolicyError(
                "a modifier category is written in capitals (NEGATED_EXISTENCE)",
                file=file,
                path=f"kinds.{category}",
            )
        if not _KIND.match(kind):
            raise PolicyError(
                "a kind is a lower-case word (negated, hypothetical, family)",
                file=file,
                path=f"kinds.{category}",
            )
    if NEGATED not in pipeline.kinds.values():
        raise PolicyError(f"one category must have the kind {NEGATED!r}", file=file, path="kinds")
    return dict(pipeline.kinds)


def _services(
    policy: Policy, pipeline: _PipelineSpec, file: str
) -> dict[str, tuple[re.Pattern[str], ...]]:
    codes = {s.code for s in policy.services}
    out: dict[str, tuple[re.Pattern[str], ...]] = {}
    for code, patterns in pipeline.services.items():
        if code not in codes:
            raise PolicyError(
                f"{code!r} is not a service of {policy.id}; accepted: {', '.join(sorted(codes))}",
                file=file,
                path=f"services.{code}",
            )
        out[code] = tuple(
            _compile(p, file, f"services.{code}[{i}]") for i, p in enumerate(patterns)
        )
    return out


def _sections(
    pipeline: _PipelineSpec, kinds: Mapping[str, str], file: str
) -> tuple[SectionRule, ...]:
    known = set(kinds.values())
    out: list[SectionRule] = []
    for i, spec in enumerate(pipeline.sections):
        if spec.kind is not None and spec.kind not in known:
            raise PolicyError(
                f"unknown kind {spec.kind!r}; accepted: {', '.join(sorted(known))}",
                file=file,
                path=f"sections[{i}].kind",
            )
        for j, pattern in enumerate(spec.patterns):
            _compile(pattern, file, f"sections[{i}].patterns[{j}]")
            out.append(SectionRule(spec.category, pattern, spec.kind))
    return tuple(out)


def _check_literals_once(pipeline: _PipelineSpec, file: str) -> None:
    """Refuse a phrase given to two modifiers: medspaCy keeps one modifier on the same
    words and drops the other silently, so the second would never apply."""
    literal_at: dict[str, str] = {}
    for i, spec in enumerate(pipeline.modifiers):
        for k, literal in enumerate(spec.literals):
            where = f"modifiers[{i}].literals[{k}]"
            earlier = literal_at.setdefault(literal.lower(), where)
            if earlier != where:
                raise PolicyError(
                    f"literal {literal!r} is already at {earlier}; one phrase may stand in "
                    "one modifier only (use direction BIDIRECTIONAL for both sides)",
                    file=file,
                    path=where,
                )


def _modifiers(
    policy: Policy, pipeline: _PipelineSpec, kinds: Mapping[str, str], file: str
) -> tuple[ModifierRule, ...]:
    out: list[ModifierRule] = []
    _check_literals_once(pipeline, file)
    for i, spec in enumerate(pipeline.modifiers):
        path = f"modifiers[{i}]"
        special = spec.direction in ("TERMINATE", "PSEUDO")
        if not special and spec.category not in kinds:
            raise PolicyError(
                f"category {spec.category!r} has no kind; declare it under `kinds`",
                file=file,
                path=f"{path}.category",
            )
        if not spec.literals and not spec.patterns and not spec.tokens:
            raise PolicyError("a modifier needs literals, patterns or tokens", file=file, path=path)
        if spec.facts is not None and spec.except_facts is not None:
            raise PolicyError(
                "give `facts` or `except_facts`, not both", file=file, path=f"{path}.facts"
            )
        for key, listed in (("facts", spec.facts), ("except_facts", spec.except_facts)):
            for fact in listed or ():
                if fact not in policy.facts:
                    raise PolicyError(f"unknown fact {fact!r}", file=file, path=f"{path}.{key}")
        allowed = frozenset(f.upper() for f in spec.facts) if spec.facts is not None else None
        excluded = (
            frozenset(f.upper() for f in spec.except_facts)
            if spec.except_facts is not None
            else None
        )
        terminated = frozenset(spec.terminated_by)
        for literal in spec.literals:
            out.append(
                ModifierRule(
                    spec.category,
                    spec.direction,
                    literal,
                    None,
                    spec.max_scope,
                    allowed,
                    excluded,
                    terminated,
                )
            )
        for j, pattern in enumerate(spec.patterns):
            _compile(pattern, file, f"{path}.patterns[{j}]")
        for j, tokens in enumerate(spec.tokens):
            out.append(
                ModifierRule(
                    spec.category,
                    spec.direction,
                    f"{path}.tokens[{j}]",
                    list(tokens),
                    spec.max_scope,
                    allowed,
                    excluded,
                    terminated,
                )
            )
        if spec.patterns:
            # One expression per modifier: medspaCy reads the note's text once per expression.
            joined = "(?i)" + "|".join(f"(?:{p})" for p in spec.patterns)
            out.append(
                ModifierRule(
                    spec.category,
                    spec.direction,
                    f"{path}.patterns",
                    joined,
                    spec.max_scope,
                    allowed,
                    excluded,
                    terminated,
                )
            )
    return tuple(out)


def _fact_rules(
    policy: Policy,
    fact_id: Any,
    raw: Any,
    *,
    kinds: Mapping[str, str],
    section_categories: set[str],
    file: str,
) -> FactRules:
    fact = policy.facts.get(str(fact_id))
    if fact is None:
        raise PolicyError(
            f"{fact_id!r} is not a fact of {policy.id}; accepted: {', '.join(policy.facts)}",
            file=file,
            path=str(fact_id),
        )
    spec = _validate(_FactSpec, raw, file, prefix=fact.id)
    known = set(kinds.values())
    for kind in spec.keeps:
        if kind not in known:
            raise PolicyError(
                f"unknown kind {kind!r}; accepted: {', '.join(sorted(known))}",
                file=file,
                path=f"{fact.id}.keeps",
            )
    codes = {s.code for s in policy.services}
    rules: list[TargetRule] = []
    for i, rule in enumerate(spec.rules):
        path = f"{fact.id}.rules[{i}]"
        for kind in rule.keeps:
            if kind not in known:
                raise PolicyError(
                    f"unknown kind {kind!r}; accepted: {', '.join(sorted(known))}",
                    file=file,
                    path=f"{path}.keeps",
                )
        for category in rule.sections or ():
            if category not in section_categories:
                raise PolicyError(
                    f"unknown section {category!r}; accepted: "
                    f"{', '.join(sorted(section_categories))}",
                    file=file,
                    path=f"{path}.sections",
                )
        rules.extend(_target_rules(fact, rule, path, codes, file))
    only_with = _only_with(policy, fact.id, spec.only_with or {}, file)
    return FactRules(fact, tuple(rules), frozenset(spec.keeps), spec.conflict, only_with)


def _only_with(
    policy: Policy, fact_id: str, given: Mapping[str, list[Any]], file: str
) -> dict[str, tuple[Any, ...]]:
    for other, values in given.items():
        definition = policy.facts.get(other)
        if definition is None or other == fact_id:
            raise PolicyError(f"unknown fact {other!r}", file=file, path=f"{fact_id}.only_with")
        for value in values:
            if not definition.accepts(value):
                raise PolicyError(
                    f"{value!r} is not a value of {other}",
                    file=file,
                    path=f"{fact_id}.only_with.{other}",
                )
    return {other: tuple(values) for other, values in given.items()}


def _target_rules(
    fact: FactDef, spec: _TargetSpec, path: str, codes: set[str], file: str
) -> list[TargetRule]:
    if sum((spec.number is not None, spec.value is not None, spec.mention)) != 1:
        raise PolicyError(
            "a rule gives a `value`, a `number`, or is a `mention`", file=file, path=path
        )
    if spec.number is not None and fact.type != "number":
        raise PolicyError(
            f"only a number fact reads a number; {fact.id} is {fact.type}", file=file, path=path
        )
    for key, value in (("value", spec.value), ("negated", spec.negated)):
        if value is not None and not fact.accepts(value):
            accepted = ", ".join(fact.values) if fact.values else fact.type
            raise PolicyError(
                f"{value!r} is not a value of {fact.id}; accepted: {accepted}",
                file=file,
                path=f"{path}.{key}",
            )
    for code in spec.services or ():
        if code not in codes:
            raise PolicyError(
                f"{code!r} is not a service of the policy", file=file, path=f"{path}.services"
            )
    if not spec.patterns and not spec.exact_case:
        raise PolicyError("a rule needs patterns or exact_case", file=file, path=path)
    services = frozenset(spec.services) if spec.services is not None else None
    sentence = _compile(spec.sentence, file, f"{path}.sentence") if spec.sentence else None
    out: list[TargetRule] = []
    sources = [(p, True, "patterns") for p in spec.patterns]
    sources += [(p, False, "exact_case") for p in spec.exact_case]
    for j, (text, ignore_case, key) in enumerate(sources):
        where = f"{path}.{key}"
        pattern = _compile(text, file, where, ignore_case=ignore_case)
        if spec.number is not None and "n" not in pattern.groupindex:
            raise PolicyError(
                "a number rule's pattern names its number (?P<n>...)", file=file, path=where
            )
        out.append(
            TargetRule(
                id=f"{path}#{j}",
                fact=fact.id,
                pattern=pattern,
                value=spec.value,
                number=spec.number,
                mention=spec.mention,
                negated=spec.negated,
                specificity=spec.specificity,
                services=services,
                sections=frozenset(spec.sections) if spec.sections is not None else None,
                sentence=sentence,
                keeps=frozenset(spec.keeps),
            )
        )
    return out


def rules_directory(policy: Policy) -> Path:
    """Where a policy keeps its extraction rules."""
    return policy.directory / "extraction"
