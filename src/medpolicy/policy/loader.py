"""Load a policy folder strictly, or say exactly which file and path are wrong.

A policy folder holds ``policy.yaml`` (metadata, services, version list), the fact
dictionary, code derivations, one file per version and the evidence summary. Every check
a reviewer would otherwise do by eye is done here: unknown keys, duplicate keys, facts a
criterion names but nobody defined, values outside a fact's type, overlapping versions,
criteria without a citation.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from medpolicy.domain import LineOfBusiness
from medpolicy.errors import PolicyError, describe_given
from medpolicy.policy import schema
from medpolicy.policy.model import (
    Caution,
    CodeMatcher,
    Condition,
    CoverageBasis,
    Derivation,
    DerivationRule,
    Disagreement,
    EvidenceItem,
    FactDef,
    Node,
    OutOfScope,
    Policy,
    Section,
    Service,
    SourceInfo,
    Version,
)

__all__ = ["load_policy"]

_LINES_OF_BUSINESS = tuple(line.value for line in LineOfBusiness)
_OPERATORS = ("equals", "in_", "lt", "le", "gt", "ge")
_M = TypeVar("_M", bound=BaseModel)


try:
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # without libyaml the pure-Python loader reads the same, only slower
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]


class _UniqueKeyLoader(_BaseLoader):
    """A safe YAML loader (libyaml's when present) that refuses a key written twice."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    keys: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in keys:
            raise yaml.constructor.ConstructorError(
                None, None, f"key {key!r} is written twice", key_node.start_mark
            )
        keys.add(key)
    return dict(loader.construct_mapping(node))


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,
)


def _read_yaml(path: Path, root: Path) -> Any:
    name = _display(path, root)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyError(f"cannot be read ({exc.strerror})", file=name) from exc
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.YAMLError as exc:
        raise PolicyError(f"is not valid YAML: {exc}", file=name) from exc


def _display(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root.parent))
    except ValueError:
        return str(path)


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            name = part.rstrip("_") if part in ("all_", "any_", "not_", "in_") else part
            out += f".{name}" if out else name
    return out


def _validate(model: type[_M], data: Any, file: str, prefix: str = "") -> _M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = _path(tuple(first["loc"]))
        where = f"{prefix}.{loc}" if prefix and loc else (prefix or loc)
        if first["type"] == "extra_forbidden":
            message = "unknown key (the file format does not define it)"
        elif first["type"] == "missing":
            message = "required key is missing"
        else:
            message = f"{first['msg']} (given {describe_given(first.get('input'))})"
        raise PolicyError(message, file=file, path=where) from None


def load_policy(directory: Path | str) -> Policy:
    """Load and check the policy in ``directory``; raise ``PolicyError`` on the first problem."""
    root = Path(directory)
    meta_file = root / "policy.yaml"
    meta = _validate(schema.PolicySpec, _read_yaml(meta_file, root), _display(meta_file, root))
    facts = _load_facts(root, meta.facts)
    sections = {s.section for s in meta.services}
    compiler = _Compiler(facts)
    versions = tuple(compiler.version(root, name, sections) for name in meta.versions)
    _check_versions(versions)
    used = {name for v in versions for name in v.sections}
    for index, service in enumerate(meta.services):
        if service.section not in used:
            raise PolicyError(
                f"section {service.section!r} has criteria in no version",
                file=_display(meta_file, root),
                path=f"services[{index}].section",
            )
    return Policy(
        id=meta.id,
        title=meta.title,
        publisher=meta.publisher,
        source=SourceInfo(**meta.source.model_dump()),
        services=tuple(Service(**s.model_dump()) for s in meta.services),
        out_of_scope=tuple(
            OutOfScope(**{**o.model_dump(), "codes": tuple(c.upper() for c in o.codes)})
            for o in meta.out_of_scope
        ),
        coverage_basis=_coverage_basis(meta.coverage_basis, _display(meta_file, root)),
        versions=tuple(sorted(versions, key=lambda v: v.effective_from)),
        facts=facts,
        derivations=_load_derivations(root, meta.derivations, facts),
        evidence=_load_evidence(root, meta.evidence, sections),
        directory=root,
    )


def _coverage_basis(spec: schema.CoverageBasisSpec, file: str) -> CoverageBasis:
    for line in spec.by_line_of_business:
        if line not in _LINES_OF_BUSINESS:
            raise PolicyError(
                f"unknown line of business {line!r}; accepted: {', '.join(_LINES_OF_BUSINESS)}",
                file=file,
                path=f"coverage_basis.by_line_of_business.{line}",
            )
    for basis in {spec.default, *spec.by_line_of_business.values()}:
        if basis not in spec.explanations:
            raise PolicyError(
                f"basis {basis!r} has no explanation",
                file=file,
                path="coverage_basis.explanations",
            )
    return CoverageBasis(spec.default, dict(spec.by_line_of_business), dict(spec.explanations))


def _load_facts(root: Path, name: str) -> Mapping[str, FactDef]:
    path = root / name
    file = _display(path, root)
    data = _read_yaml(path, root)
    if not isinstance(data, dict):
        raise PolicyError("must be a mapping of fact ids to definitions", file=file)
    facts: dict[str, FactDef] = {}
    for fact_id, raw in data.items():
        spec = _validate(schema.FactSpec, raw, file, prefix=str(fact_id))
        if (spec.type == "enum") != bool(spec.values):
            raise PolicyError(
                "an enum fact needs `values`, and only an enum fact may have them",
                file=file,
                path=f"{fact_id}.values",
            )
        if spec.type != "number" and (spec.minimum is not None or spec.maximum is not None):
            raise PolicyError(
                "only a number fact has a minimum or maximum", file=file, path=fact_id
            )
        if spec.minimum is not None and spec.maximum is not None and spec.minimum > spec.maximum:
            raise PolicyError("minimum is above maximum", file=file, path=f"{fact_id}.minimum")
        values = spec.values or {}
        facts[fact_id] = FactDef(
            id=fact_id,
            label=spec.label,
            type=spec.type,
            question=spec.question,
            documentation=spec.documentation,
            values=tuple(values),
            value_labels=dict(values),
            minimum=spec.minimum,
            maximum=spec.maximum,
            unit=spec.unit,
        )
    return facts


class _Compiler:
    """Turns version files into criteria trees, checking every fact reference."""

    def __init__(self, facts: Mapping[str, FactDef]) -> None:
        self.facts = facts
        self.file = ""
        self.ids: set[str] = set()

    @contextmanager
    def _in_file(self, file: str) -> Iterator[None]:
        self.file, self.ids = file, set()
        yield

    def fail(self, message: str, path: str) -> PolicyError:
        return PolicyError(message, file=self.file, path=path)

    def version(self, root: Path, name: str, services: set[str]) -> Version:
        path = root / name
        file = _display(path, root)
        spec = _validate(schema.VersionSpec, _read_yaml(path, root), file)
        with self._in_file(file):
            if spec.effective_to is not None and spec.effective_to < spec.effective_from:
                raise self.fail("ends before it begins", "effective_to")
            sections = {}
            for section_name, section in spec.sections.items():
                where = f"sections.{section_name}"
                if section_name not in services:
                    raise self.fail(
                        f"no service in policy.yaml uses section {section_name!r}; "
                        f"defined: {', '.join(sorted(services))}",
                        where,
                    )
                sections[section_name] = self.section(section_name, section, where)
        return Version(
            id=spec.id,
            effective_from=spec.effective_from,
            effective_to=spec.effective_to,
            reconstructed=spec.reconstructed,
            basis=spec.basis,
            sections=sections,
            file=file,
            title=spec.title,
        )

    def section(self, name: str, spec: schema.SectionSpec, where: str) -> Section:
        criteria = tuple(
            self.top(node, f"{where}.criteria[{i}]") for i, node in enumerate(spec.criteria)
        )
        exclusions = tuple(
            self.top(node, f"{where}.exclusions[{i}]") for i, node in enumerate(spec.exclusions)
        )
        cautions = tuple(
            Caution(
                code=c.code,
                when=self.node(c.when, f"{where}.cautions[{i}].when"),
                message=c.message,
                citation=c.citation,
            )
            for i, c in enumerate(spec.cautions)
        )
        return Section(name, spec.title, spec.citation, criteria, exclusions, cautions)

    def top(self, spec: schema.NodeSpec, path: str) -> Node:
        for key in ("id", "text", "citation"):
            if getattr(spec, key) is None:
                raise self.fail(f"a top-level criterion or exclusion needs `{key}`", path)
        return self.node(spec, path)

    def node(self, spec: schema.NodeSpec, path: str) -> Node:
        if spec.id is not None:
            if spec.id in self.ids:
                raise self.fail(f"id {spec.id!r} is used twice in this version", f"{path}.id")
            self.ids.add(spec.id)
            if spec.text is None:
                raise self.fail("a criterion with an id needs `text`", path)
        applies = None
        if spec.applies_when is not None:
            applies = self.node(spec.applies_when, f"{path}.applies_when")
        forms = [
            name for name in ("all_", "any_", "not_", "fact") if getattr(spec, name) is not None
        ]
        if len(forms) != 1:
            raise self.fail(
                f"needs exactly one of `all`, `any`, `not` or `fact` (given {len(forms)})",
                path,
            )
        form = forms[0]
        if form in ("all_", "any_"):
            items = getattr(spec, form)
            if not items:
                raise self.fail("needs at least one item", f"{path}.{form[:-1]}")
            children = tuple(
                self.node(child, f"{path}.{form[:-1]}[{i}]") for i, child in enumerate(items)
            )
            return Node(
                kind=form[:-1], children=children, applies_when=applies, **self._labels(spec)
            )
        if form == "not_":
            assert spec.not_ is not None
            child = self.node(spec.not_, f"{path}.not")
            return Node(kind="not", children=(child,), applies_when=applies, **self._labels(spec))
        return Node(
            kind="condition",
            condition=self.condition(spec, path),
            applies_when=applies,
            **self._labels(spec),
        )

    @staticmethod
    def _labels(spec: schema.NodeSpec) -> dict[str, Any]:
        return {"id": spec.id, "text": spec.text, "citation": spec.citation}

    def condition(self, spec: schema.NodeSpec, path: str) -> Condition:
        fact_id = spec.fact
        assert fact_id is not None
        fact = self.facts.get(fact_id)
        if fact is None:
            raise self.fail(
                f"fact {fact_id!r} is not defined in the fact dictionary", f"{path}.fact"
            )
        given = {
            op: getattr(spec, op)
            for op in _OPERATORS
            if getattr(spec, op) is not None
            or (op == "equals" and "equals" in spec.model_fields_set)
        }
        if len(given) != 1:
            raise self.fail("a fact test needs exactly one of equals, in, lt, le, gt, ge", path)
        op, operand = next(iter(given.items()))
        op = op.rstrip("_")
        if op in ("lt", "le", "gt", "ge"):
            if fact.type != "number":
                raise self.fail(f"{op} compares numbers, but {fact_id!r} is {fact.type}", path)
            return Condition(fact_id, op, operand)
        values = operand if op == "in" else [operand]
        for index, value in enumerate(values):
            if not fact.accepts(value):
                where = f"{path}.in[{index}]" if op == "in" else f"{path}.equals"
                raise self.fail(
                    f"{describe_given(value)} is not a value of {fact_id!r}, "
                    f"which accepts {fact.accepted()}",
                    where,
                )
        return Condition(fact_id, op, tuple(values) if op == "in" else operand)


def _check_versions(versions: tuple[Version, ...]) -> None:
    ordered = sorted(versions, key=lambda v: v.effective_from)
    seen: set[str] = set()
    for version in ordered:
        if version.id in seen:
            raise PolicyError(
                f"version id {version.id!r} is used twice", file=version.file, path="id"
            )
        seen.add(version.id)
    for before, after in pairwise(ordered):
        if before.effective_to is None or before.effective_to >= after.effective_from:
            raise PolicyError(
                f"overlaps version {after.id!r}, which begins {after.effective_from}; "
                f"this version must end by {after.effective_from - timedelta(days=1)}",
                file=before.file,
                path="effective_to",
            )


def _read_list(root: Path, name: str, what: str) -> tuple[str, list[Any]]:
    """A policy file that must hold a YAML list, with its name for error messages."""
    path = root / name
    file = _display(path, root)
    data = _read_yaml(path, root)
    if not isinstance(data, list):
        raise PolicyError(f"must be {what}", file=file)
    return file, data


def _load_derivations(
    root: Path, name: str | None, facts: Mapping[str, FactDef]
) -> tuple[Derivation, ...]:
    if name is None:
        return ()
    file, data = _read_list(root, name, "a list of derivations")
    out = []
    for index, raw in enumerate(data):
        spec = _validate(schema.DerivationSpec, raw, file, prefix=f"[{index}]")
        fact = facts.get(spec.fact)
        if fact is None:
            raise PolicyError(
                f"fact {spec.fact!r} is not defined in the fact dictionary",
                file=file,
                path=f"[{index}].fact",
            )
        rules = []
        for r_index, rule in enumerate(spec.rules):
            where = f"[{index}].rules[{r_index}]"
            if not fact.accepts(rule.value):
                raise PolicyError(
                    f"{describe_given(rule.value)} is not a value of {spec.fact!r}, "
                    f"which accepts {fact.accepted()}",
                    file=file,
                    path=f"{where}.value",
                )
            rules.append(DerivationRule(rule.value, rule.why, _matcher(rule.codes, file, where)))
        disagreement = None
        if spec.when_codes_disagree is not None:
            disagreement = _disagreement(spec.when_codes_disagree, rules, file, f"[{index}]")
        out.append(Derivation(spec.fact, spec.system, tuple(rules), disagreement))
    return tuple(out)


def _disagreement(
    spec: schema.DisagreementSpec, rules: list[DerivationRule], file: str, where: str
) -> Disagreement:
    """The warning for codes that disagree; its message may name only the rules' values."""
    values = {str(rule.value): "" for rule in rules}
    try:
        spec.message.format_map(values)
    except (KeyError, IndexError, ValueError) as exc:
        raise PolicyError(
            f"the message may use only {{value}} placeholders of the rules' values "
            f"({', '.join(values)}); it has a problem with {exc}",
            file=file,
            path=f"{where}.when_codes_disagree.message",
        ) from None
    return Disagreement(spec.warning, spec.message)


def _matcher(spec: schema.CodesSpec, file: str, where: str) -> CodeMatcher:
    categories = []
    for index, text in enumerate(spec.categories):
        low, _, high = text.upper().partition("-")
        high = high or low
        if len(low) != 3 or len(high) != 3 or low > high:
            raise PolicyError(
                f"category range {text!r} must look like 'C81-C96' or 'C81'",
                file=file,
                path=f"{where}.codes.categories[{index}]",
            )
        categories.append((low, high))
    if not categories and not spec.prefixes:
        raise PolicyError("needs categories or prefixes", file=file, path=f"{where}.codes")
    return CodeMatcher(
        categories=tuple(categories),
        prefixes=tuple(p.upper().replace(".", "") for p in spec.prefixes),
        exclude=tuple(p.upper().replace(".", "") for p in spec.exclude),
        character=(spec.character.position, spec.character.equals.upper())
        if spec.character
        else None,
    )


def _load_evidence(root: Path, name: str | None, sections: set[str]) -> tuple[EvidenceItem, ...]:
    if name is None:
        return ()
    file, data = _read_list(root, name, "a list of studies and guidelines")
    items: list[EvidenceItem] = []
    seen: set[str] = set()
    for index, raw in enumerate(data):
        spec = _validate(schema.EvidenceSpec, raw, file, prefix=f"[{index}]")
        if spec.section not in sections:
            raise PolicyError(
                f"section {spec.section!r} is not a service section; "
                f"defined: {', '.join(sorted(sections))}",
                file=file,
                path=f"[{index}].section",
            )
        if spec.id in seen:
            raise PolicyError(f"id {spec.id!r} is used twice", file=file, path=f"[{index}].id")
        seen.add(spec.id)
        items.append(
            EvidenceItem(
                **{
                    **spec.model_dump(),
                    "key_figures": tuple(spec.key_figures),
                    "discrepancies": tuple(spec.discrepancies),
                }
            )
        )
    return tuple(items)
