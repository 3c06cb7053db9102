"""Read a clinical note into the policy's facts, each with the words that support it.

A finding is a phrase a target rule matched. ConText and the note's sections say what
kind of statement it is; a finding the member's own present, certain statement does not
make (a plan "if the marrow confirms relapse", a sister's cancer, a resolved GVHD, a
"possible" relapse, a T-cell-only chimerism) is set aside and reported as an assertion,
never used. A negated finding gives the rule's negative value when it has one ("no active
GVHD" -> none), else it too is set aside. Two findings of one fact that disagree are
settled toward the later dated, then the more specific, then the later written statement;
a fact whose rules say so stays unknown instead.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from medpolicy.extraction.dates import NoteDate, find_dates
from medpolicy.extraction.pipeline import SPAN_GROUP, build_pipeline
from medpolicy.extraction.rules import NEGATED, ExtractionRules, TargetRule

__all__ = ["Assertion", "Extraction", "Extractor", "Note"]

CONFLICT = "conflicting"
"""The kind of an assertion left out because the note disagrees with itself."""
HEDGED = "uncertain"
"""The kind of a hedged finding: written after a certain statement of the same fact ("no
GVHD" ... "addendum: gut GVHD is suspected"), it leaves the fact unknown."""


@dataclass(frozen=True, slots=True)
class Note:
    """One note to read: its text, an id to answer with, the service asked for if known."""

    text: str
    id: str | None = None
    service: str | None = None


@dataclass(frozen=True, slots=True)
class Assertion:
    """A finding set aside: what it would have said, why not, and where it is."""

    fact: str
    value: Any
    kind: str
    text: str
    start: int
    end: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "fact": self.fact,
            "value": self.value,
            "kind": self.kind,
            "text": self.text,
            "span": [self.start, self.end],
        }


@dataclass(frozen=True, slots=True)
class Extraction:
    """The facts a note states (every fact of the policy, ``None`` when unknown), the exact
    words behind each known one, and the findings set aside."""

    id: str | None
    facts: Mapping[str, Any]
    evidence: Mapping[str, str]
    spans: Mapping[str, tuple[int, int]]
    assertions: tuple[Assertion, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "facts": dict(self.facts),
            "evidence": dict(self.evidence),
            "spans": {fact: [s, e] for fact, (s, e) in self.spans.items()},
            "assertions": [a.to_dict() for a in self.assertions],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class _Finding:
    fact: str
    value: Any
    rule: TargetRule
    start: int
    end: int
    date: NoteDate | None
    kinds: frozenset[str]


class Extractor:
    """A compiled pipeline for one policy's rules; build once, read many notes."""

    def __init__(self, rules: ExtractionRules) -> None:
        self.rules = rules
        self._nlp = build_pipeline(rules)
        self._by_id = {r.id: r for fr in rules.fact_rules.values() for r in fr.rules}

    def extract(
        self, text: str, *, note_id: str | None = None, service: str | None = None
    ) -> Extraction:
        """Read one note."""
        return self._read(Note(text, note_id, service), self._nlp(text))

    def extract_many(self, notes: Iterable[Note], *, batch_size: int = 32) -> Iterator[Extraction]:
        """Read notes in order, batched through spaCy for speed."""
        pending = iter(notes)
        while True:
            batch = [note for _, note in zip(range(batch_size), pending, strict=False)]
            if not batch:
                return
            docs = self._nlp.pipe([n.text for n in batch])
            for note, doc in zip(batch, docs, strict=True):
                yield self._read(note, doc)

    def _read(self, note: Note, doc: Any) -> Extraction:
        service = note.service or self._service_of(note.text)
        dates = find_dates(note.text)
        sections = _Sections(doc, self.rules)
        findings: list[_Finding] = []
        assertions: list[Assertion] = []
        spans = list(doc.spans.get(SPAN_GROUP, ()))
        owned = self._owned_modifiers(spans)
        for span in spans:
            finding = self._finding(
                span, note.text, service=service, dates=dates, sections=sections, owned=owned
            )
            if finding is None:
                continue
            value, aside = _value_of(finding, self.rules.fact_rules[finding.fact].keeps)
            if aside is not None:
                assertions.append(_assertion(finding, aside, note.text))
            elif not finding.rule.mention:
                findings.append(_with_value(finding, value))
        return self._settle(note, findings, assertions)

    def _service_of(self, text: str) -> str | None:
        named = [
            code for code, cues in self.rules.services.items() if any(c.search(text) for c in cues)
        ]
        return named[0] if len(named) == 1 else None

    def _owned_modifiers(self, spans: list[Any]) -> set[tuple[int, int]]:
        """Modifiers that are part of a phrase stating its own value ("no" in "no GVHD",
        "prior" in "no prior CAR T"): they belong to that phrase and modify nothing else."""
        owned: set[tuple[int, int]] = set()
        for span in spans:
            rule = self._by_id.get(span._.target_rule.literal)
            if rule is None:
                continue
            keeps = rule.keeps | self.rules.fact_rules[rule.fact].keeps
            for modifier in span._.modifiers:
                start, end = modifier.modifier_span
                inside = span.start <= start and end <= span.end
                if inside and self.rules.kinds.get(modifier.category) in keeps:
                    owned.add((start, end))
        return owned

    def _finding(
        self,
        span: Any,
        text: str,
        *,
        service: str | None,
        dates: list[NoteDate],
        sections: _Sections,
        owned: set[tuple[int, int]],
    ) -> _Finding | None:
        rule = self._by_id.get(span._.target_rule.literal)
        if rule is None:
            return None
        if rule.services is not None and service not in rule.services:
            return None
        category, section_kind = sections.at(span.start_char)
        if rule.sections is not None and category not in rule.sections:
            return None
        match = rule.pattern.search(text, span.start_char, span.end_char)
        if match is None:
            return None
        start, end = _trimmed(text, *match.span())
        sentence = _sentence_at(span, start)
        if rule.sentence is not None and not rule.sentence.search(
            text, sentence.start_char, sentence.end_char
        ):
            return None
        value = _read_number(rule, match) if rule.number else rule.value
        if value is None and not rule.mention:
            return None
        kinds = {
            self.rules.kinds[m.category]
            for m in span._.modifiers
            if m.category in self.rules.kinds
            and m.modifier_span not in owned
            and not (span.start <= m.modifier_span[0] and m.modifier_span[1] <= span.end)
        }
        if section_kind is not None:
            kinds.add(section_kind)
        date = _date_near(text, dates, start, end, low=sentence.start_char, high=sentence.end_char)
        return _Finding(rule.fact, value, rule, start, end, date, frozenset(kinds))

    def _settle(
        self, note: Note, findings: list[_Finding], assertions: list[Assertion]
    ) -> Extraction:
        facts: dict[str, Any] = dict.fromkeys(self.rules.facts)
        evidence: dict[str, str] = {}
        spans: dict[str, tuple[int, int]] = {}
        title_end = note.text.find("\n")
        by_fact: dict[str, list[_Finding]] = {}
        for finding in findings:
            by_fact.setdefault(finding.fact, []).append(finding)
        hedged: dict[str, int] = {}
        for aside in assertions:
            if aside.kind == HEDGED:
                hedged[aside.fact] = max(aside.start, hedged.get(aside.fact, -1))
        for fact, found in by_fact.items():
            chosen = _choose(found, self.rules.fact_rules[fact].conflict, title_end)
            if chosen is not None and hedged.get(fact, -1) > chosen.start:
                chosen = None
            if chosen is None:
                assertions.extend(_assertion(f, CONFLICT, note.text) for f in found)
                continue
            facts[fact] = chosen.value
            evidence[fact] = note.text[chosen.start : chosen.end]
            spans[fact] = (chosen.start, chosen.end)
        for fact, fact_rules in self.rules.fact_rules.items():
            if facts[fact] is None or not fact_rules.only_with:
                continue
            if any(facts[o] not in allowed for o, allowed in fact_rules.only_with.items()):
                start, end = spans.pop(fact)
                assertions.append(
                    Assertion(fact, facts[fact], "unsupported", evidence.pop(fact), start, end)
                )
                facts[fact] = None
        assertions.sort(key=lambda a: (a.start, a.fact))
        return Extraction(note.id, facts, evidence, spans, tuple(assertions))


class _Sections:
    """Which section (and the kind of statement it holds) a character offset falls in."""

    def __init__(self, doc: Any, rules: ExtractionRules) -> None:
        kinds = {s.category: s.kind for s in rules.sections}
        self._starts: list[int] = []
        self._info: list[tuple[str | None, str | None]] = []
        for section in doc._.sections:
            if section.category is None:
                continue
            self._starts.append(doc[section.title_start].idx)
            self._info.append((section.category, kinds.get(section.category)))

    def at(self, offset: int) -> tuple[str | None, str | None]:
        i = bisect.bisect_right(self._starts, offset) - 1
        return self._info[i] if i >= 0 else (None, None)


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    """``start:end`` without surrounding whitespace (a pattern may begin at a line break)."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _sentence_at(span: Any, offset: int) -> Any:
    """The sentence holding the first token of ``span`` at or after ``offset``."""
    for token in span:
        if token.idx + len(token.text) > offset and not token.is_space:
            return token.sent
    return span.sent


def _read_number(rule: TargetRule, match: Any) -> float | None:
    try:
        number = float(match.group("n"))
    except (TypeError, ValueError):
        return None
    if rule.number == "complement":
        number = round(100.0 - number, 4)
    if not 0.0 <= number <= 100.0:
        return None
    return int(number) if number.is_integer() else number


def _value_of(finding: _Finding, fact_keeps: frozenset[str]) -> tuple[Any, str | None]:
    """The value the finding states, or the kind of statement it is set aside as."""
    kinds = finding.kinds - fact_keeps - finding.rule.keeps
    others = sorted(kinds - {NEGATED})
    if others:
        return None, others[0]
    if NEGATED in kinds:
        if finding.rule.negated is None:
            return None, NEGATED
        return finding.rule.negated, None
    return finding.value, None


def _with_value(finding: _Finding, value: Any) -> _Finding:
    if value == finding.value:
        return finding
    return _Finding(
        finding.fact, value, finding.rule, finding.start, finding.end, finding.date, finding.kinds
    )


def _assertion(finding: _Finding, kind: str, text: str) -> Assertion:
    return Assertion(
        finding.fact,
        finding.value,
        kind,
        text[finding.start : finding.end],
        finding.start,
        finding.end,
    )


def _date_near(
    text: str, dates: list[NoteDate], start: int, end: int, *, low: int, high: int
) -> NoteDate | None:
    """The date closest to ``start:end`` in its clause (the sentence ``low:high`` cut at
    semicolons: "12/2025 donor 97%; 02/2026 donor 100%"), else in its sentence."""
    clause_low = max(low, text.rfind(";", low, start) + 1)
    semicolon = text.find(";", end, high)
    clause_high = semicolon if semicolon >= 0 else high
    in_clause = _closest(dates, start, end, clause_low, clause_high)
    return in_clause or _closest(dates, start, end, low, high)


def _closest(dates: list[NoteDate], start: int, end: int, low: int, high: int) -> NoteDate | None:
    best: NoteDate | None = None
    best_distance = high - low + 1
    for date in dates:
        if date.end <= low or date.start >= high:
            continue
        distance = max(date.start - end, start - date.end, 0)
        if distance < best_distance:
            best, best_distance = date, distance
    return best


def _choose(found: list[_Finding], conflict: str, title_end: int) -> _Finding | None:
    """The finding that states the fact; ``None`` when the note disagrees with itself and the
    fact's rules say to leave it unknown then. Of several findings that agree, the evidence
    is the most specific, first written below the title line."""
    values = {repr(f.value) for f in found}
    if len(values) > 1 and conflict == "unknown":
        return None
    if len(values) > 1 and conflict == "dated":
        return _latest_dated(found)
    if len(values) == 1:
        return max(found, key=lambda f: (f.rule.specificity, f.start > title_end, -f.start))
    best = found[0]
    for finding in found[1:]:
        if _wins(finding, best, specific_first=conflict == "specific"):
            best = finding
    return best


def _latest_dated(found: list[_Finding]) -> _Finding | None:
    """The later dated of disagreeing findings, when every one has a date (on different
    clocks, the later written); ``None`` when one is undated, since it may be older or newer,
    or when two values disagree on the same date (two samples of one day: which is the
    unsorted one is for a reader to say)."""
    if any(f.date is None for f in found):
        return None
    best = found[0]
    for finding in found[1:]:
        if _wins(finding, best, specific_first=False):
            best = finding
    for finding in found:
        same_day = (
            finding.date is not None
            and best.date is not None
            and finding.date.clock == best.date.clock
            and finding.date.key == best.date.key
        )
        if same_day and repr(finding.value) != repr(best.value):
            return None
    return best


def _comparable(first: NoteDate | None, second: NoteDate | None) -> bool:
    """Two dates on one clock that differ."""
    return (
        first is not None
        and second is not None
        and first.clock == second.clock
        and first.key != second.key
    )


def _wins(a: _Finding, b: _Finding, *, specific_first: bool) -> bool:
    """Whether ``a`` should win over ``b``: later dated (on one clock), then more specific,
    then written later; or the more specific first, when the fact's rules say so."""
    if specific_first and a.rule.specificity != b.rule.specificity:
        return a.rule.specificity > b.rule.specificity
    if _comparable(a.date, b.date):
        return a.date.key > b.date.key  # type: ignore[union-attr]
    if a.rule.specificity != b.rule.specificity:
        return a.rule.specificity > b.rule.specificity
    return a.start > b.start
