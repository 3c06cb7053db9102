"""The shape of policy data files, checked strictly: an unknown key is an error.

These models only check shape and scalar types; ``loader`` then checks meaning (that a
criterion names a defined fact, that a value fits the fact's type, that versions do not
overlap) and compiles the data into ``model`` objects.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr

__all__ = [
    "CautionSpec",
    "DerivationSpec",
    "EvidenceSpec",
    "FactSpec",
    "NodeSpec",
    "PolicySpec",
    "VersionSpec",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class SourceSpec(_Strict):
    document: StrictStr
    name: StrictStr
    last_approval: date
    next_review_due: StrictStr


class ServiceSpec(_Strict):
    code: StrictStr
    system: StrictStr
    section: StrictStr
    description: StrictStr


class OutOfScopeSpec(_Strict):
    name: StrictStr
    system: StrictStr
    codes: list[StrictStr] = Field(min_length=1)
    description: StrictStr
    reason: StrictStr
    citation: StrictStr


class CoverageBasisSpec(_Strict):
    default: StrictStr
    by_line_of_business: dict[StrictStr, StrictStr] = Field(default_factory=dict)
    explanations: dict[StrictStr, StrictStr]


class PolicySpec(_Strict):
    id: StrictStr
    title: StrictStr
    publisher: StrictStr
    source: SourceSpec
    services: list[ServiceSpec] = Field(min_length=1)
    out_of_scope: list[OutOfScopeSpec] = Field(default_factory=list)
    coverage_basis: CoverageBasisSpec
    versions: list[StrictStr] = Field(min_length=1)
    facts: StrictStr
    derivations: StrictStr | None = None
    evidence: StrictStr | None = None


class FactSpec(_Strict):
    label: StrictStr
    type: Literal["enum", "boolean", "number"]
    question: StrictStr
    documentation: StrictStr
    values: dict[StrictStr, StrictStr] | None = None
    minimum: float | None = None
    maximum: float | None = None
    unit: StrictStr | None = None


class NodeSpec(_Strict):
    """A criteria tree node: exactly one of all / any / not / a fact test."""

    id: StrictStr | None = None
    text: StrictStr | None = None
    citation: StrictStr | None = None
    applies_when: NodeSpec | None = None
    all_: list[NodeSpec] | None = Field(default=None, alias="all")
    any_: list[NodeSpec] | None = Field(default=None, alias="any")
    not_: NodeSpec | None = Field(default=None, alias="not")
    fact: StrictStr | None = None
    equals: Any = None
    in_: list[Any] | None = Field(default=None, alias="in")
    lt: float | None = None
    le: float | None = None
    gt: float | None = None
    ge: float | None = None


class CautionSpec(_Strict):
    code: StrictStr
    when: NodeSpec
    message: StrictStr
    citation: StrictStr


class SectionSpec(_Strict):
    title: StrictStr
    citation: StrictStr
    criteria: list[NodeSpec] = Field(min_length=1)
    exclusions: list[NodeSpec] = Field(default_factory=list)
    cautions: list[CautionSpec] = Field(default_factory=list)


class VersionSpec(_Strict):
    id: StrictStr
    title: StrictStr | None = None
    effective_from: date
    effective_to: date | None = None
    reconstructed: StrictBool
    basis: StrictStr
    sections: dict[StrictStr, SectionSpec]


class CharacterSpec(_Strict):
    position: StrictInt = Field(ge=1, le=7)
    equals: StrictStr = Field(min_length=1, max_length=1)


class CodesSpec(_Strict):
    categories: list[StrictStr] = Field(default_factory=list)
    prefixes: list[StrictStr] = Field(default_factory=list)
    exclude: list[StrictStr] = Field(default_factory=list)
    character: CharacterSpec | None = None


class RuleSpec(_Strict):
    value: Any
    why: StrictStr
    codes: CodesSpec


class DisagreementSpec(_Strict):
    warning: StrictStr
    message: StrictStr


class DerivationSpec(_Strict):
    fact: StrictStr
    system: Literal["ICD-10-CM"]
    rules: list[RuleSpec] = Field(min_length=1)
    when_codes_disagree: DisagreementSpec | None = None


class EvidenceSpec(_Strict):
    id: StrictStr
    kind: Literal["study", "guideline"]
    section: StrictStr
    authors: StrictStr
    year: StrictInt
    title: StrictStr
    design: StrictStr
    n: StrictInt | None
    population: StrictStr
    key_figures: list[StrictStr]
    summary: StrictStr
    reference: StrictStr
    discrepancies: list[StrictStr] = Field(default_factory=list)
