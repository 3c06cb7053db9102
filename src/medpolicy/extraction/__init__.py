"""Clinical notes -> proposed facts, each with the exact words that support it.

``extract(text)`` reads one note with the rules of the policy that decides its service
(``policies/<policy>/extraction/``) and returns an ``Extraction``: every fact of the
policy's dictionary (``None`` when the note does not state it), the evidence substring and
its ``[start, end)`` offsets for each known fact, and the findings it set aside (negated,
hypothetical, historical, family, uncertain, lineage-only) with their spans.

The extractor proposes; it never decides. The service stores its output as proposals
that a nurse or physician accepts one at a time.
"""

from __future__ import annotations

from functools import cache

from medpolicy.errors import MedpolicyError
from medpolicy.extraction.extractor import Assertion, Extraction, Extractor, Note
from medpolicy.extraction.rules import ExtractionRules, load_rules
from medpolicy.policy.registry import Registry, default_registry

__all__ = [
    "Assertion",
    "Extraction",
    "ExtractionRules",
    "Extractor",
    "Note",
    "default_extractor",
    "extract",
    "extractor_for",
    "load_rules",
]


def extractor_for(registry: Registry, service: str | None = None) -> Extractor:
    """The extractor of the policy that decides ``service``; without a service, of the one
    policy that has extraction rules. Raises ``MedpolicyError`` when there is none."""
    if service is not None:
        target = registry.target(service)
        if target is None:
            codes = sorted({s.code for p in registry.policies for s in p.services})
            raise MedpolicyError(
                f"no policy decides service {service!r}; accepted: {', '.join(codes)}",
                code="unknown_service",
            )
        return _cached(registry, target.policy.id)
    with_rules = [p for p in registry.policies if (p.directory / "extraction").is_dir()]
    if len(with_rules) != 1:
        raise MedpolicyError(
            "say which service the note is about: "
            f"{len(with_rules)} policies have extraction rules",
            code="service_required",
        )
    return _cached(registry, with_rules[0].id)


_built: dict[tuple[int, str], Extractor] = {}


def _cached(registry: Registry, policy_id: str) -> Extractor:
    key = (id(registry), policy_id)
    found = _built.get(key)
    if found is None:
        policy = registry.policy(policy_id)
        assert policy is not None
        found = _built[key] = Extractor(load_rules(policy))
    return found


@cache
def default_extractor() -> Extractor:
    """The extractor over the default policies' only rule set, built once per process."""
    return extractor_for(default_registry())


def extract(text: str, *, service: str | None = None, note_id: str | None = None) -> Extraction:
    """Read one note with the default policies."""
    return extractor_for(default_registry(), service).extract(
        text, note_id=note_id, service=service
    )
