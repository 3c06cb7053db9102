"""MCP-210 in GoRules ZEN beside medpolicy: do they agree, and how fast is each per core?

Issue 15 sets a target against "the best rule engine a payer would pick instead": GoRules
ZEN (a Rust engine with Python bindings, decisions written as JDM graphs of decision
tables and expressions). ``benchmarks/zen/mcp-210.json`` encodes MCP-210 version
2025-08-13 by hand as such a graph: facts derived from ICD-10-CM codes, the donor
lymphocyte infusion (38242) and stem cell boost (38243) criteria and exclusions in Kleene's
three-valued logic (1 met, 0.5 unknown, 0 not met; "all of" is ``min``, "any of" is
``max``, "applies when" an implication), the clinical cautions, and the outcome table of
MCP-210.md as a first-hit decision table. It answers only the outcome and the next step:
no checklist, citations, reasons or list of the facts to ask.

What it prints:

1. Agreement on the generated requests of ``engine_throughput.py`` (same seed, same mix)
   whose date of service falls in version 2025-08-13: outcome and next step from ZEN
   against medpolicy's engine, the reference, with every kind of disagreement counted and
   one example each. A Kleene encoding says ``insufficient_information`` whenever an
   unknown fact leaves a criterion unknown; medpolicy then checks every way of filling in
   the unknowns (``engine/program.py``) and decides when they all lead to one outcome.
2. Requests per second of one core (CPU seconds by ``time.process_time``, which counts
   every thread of the process, so a batch call that fans out is still charged in full),
   best of five warm passes, for ZEN's ways of evaluating many requests from Python
   (``ZenDecision.evaluate`` per request, ``ZenEngine.evaluate`` through a loader,
   ``ZenEngine.evaluate_batch``, ``async_evaluate`` gathered) on parsed dicts and on JSON
   lines (a str line in, ``msgspec`` JSON out), beside medpolicy's ``Engine.determine`` on
   parsed requests, ``medpolicy.evaluate`` on dicts, line in -> line out as ``medpolicy
   evaluate`` does it, and ``json.loads`` + ``json.dumps`` of the same lines.

ZEN is an optional extra (CI does not need it): ``pip install -e '.[bench]'``. Run pinned
to one core, on a quiet machine when the figures matter::

    taskset -c 0 python benchmarks/zen_comparison.py [N]

N is the number of 2025-08-13 requests (default 50,000; generated from 2N lines of the
throughput mix, about half of which fall in the earlier version).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from medpolicy import evaluate
from medpolicy.adapters.json_codec import DeterminationEncoder, Refusal, RequestDecoder
from medpolicy.api import default_engine
from medpolicy.domain import CoverageRequest, CriterionResult, Determination
from medpolicy.engine import Engine
from medpolicy.golden import load_cases

sys.path.insert(0, str(Path(__file__).parent))
from engine_throughput import generate

GRAPH = Path(__file__).parent / "zen" / "mcp-210.json"
KEY = "mcp-210.json"
IN_FORCE = "2025-08-13"
BASELINE = "json.loads+json.dumps baseline"
INSTALL = (
    "GoRules ZEN is not installed; this comparison needs its Python binding:\n"
    "    pip install -e '.[bench]'      (or: pip install zen-engine)\n"
    "then run: taskset -c 0 python benchmarks/zen_comparison.py"
)


def requests_in_force(count: int) -> list[str]:
    """``count`` lines of the throughput mix whose date of service is in version 2025-08-13."""
    lines: list[str] = []
    generated = 2 * count
    while len(lines) < count:
        lines = [
            line
            for line in generate(generated)
            if json.loads(line)["service"]["date_of_service"] >= IN_FORCE
        ]
        generated = generated * 3 // 2
    return lines[:count]


def _timed(work: Callable[[], Any]) -> tuple[float, float]:
    cpu, wall = time.process_time(), time.perf_counter()
    work()
    return time.process_time() - cpu, time.perf_counter() - wall


ROUNDS = 5


def best_of_rounds(ways: list[Way]) -> dict[str, tuple[float, float]]:
    """Per way, the least CPU seconds of ``ROUNDS`` passes, with that pass's wall seconds.
    Rounds take every way in turn, so a busy spell on a shared machine falls on one pass
    of each way rather than on every pass of one."""
    best: dict[str, tuple[float, float]] = {}
    for _ in range(ROUNDS):
        for name, work in ways:
            timing = _timed(work)
            best[name] = min(best.get(name, timing), timing)
    return best


Kind = tuple[str, str, str, tuple[str, ...]]
"""A kind of disagreement: ZEN's outcome/next step, ours, the service code, and the
criteria and exclusions a Kleene reading of our checklist leaves undecided."""


def _open(result: CriterionResult) -> bool:
    """Whether Kleene's logic leaves a checklist line undecided: the line is unknown, or
    some part of it is (the engine shows a line every completion settles as settled, but
    its unreported parts stay unknown)."""
    return result.status == "unknown" or any(_open(child) for child in result.children)


@dataclass
class Agreement:
    total: int = 0
    same_outcome: int = 0
    same_next_step: int = 0
    kinds: Counter[Kind] = field(default_factory=Counter)
    examples: dict[Kind, dict[str, Any]] = field(default_factory=dict)

    def add(self, zen_answer: dict[str, Any], determination: Determination, request: Any) -> None:
        self.total += 1
        self.same_outcome += zen_answer["outcome"] == determination.outcome
        self.same_next_step += zen_answer["next_step"] == determination.next_step
        theirs = f"{zen_answer['outcome']}/{zen_answer['next_step']}"
        mine = f"{determination.outcome}/{determination.next_step}"
        if theirs != mine:
            verdict = determination.verdict
            unknown = tuple(r.id for r in verdict.criteria + verdict.exclusions if _open(r))
            kind = (theirs, mine, str(request["service"]["code"]), unknown)
            self.kinds[kind] += 1
            self.examples.setdefault(kind, request)

    def unexplained(self) -> list[Kind]:
        """Disagreements that unknown facts do not explain: ZEN decided, or nothing was
        unknown. Each would be a mistake in one encoding or the other."""
        return [
            kind
            for kind in self.kinds
            if not kind[0].startswith("insufficient_information") or not kind[3]
        ]

    def show(self, title: str) -> None:
        total = self.total
        print(f"\nAgreement with medpolicy (the reference) on {total:,} {title}")
        print(f"  outcome   : {self.same_outcome:,} ({100 * self.same_outcome / total:.2f}%)")
        print(f"  next step : {self.same_next_step:,} ({100 * self.same_next_step / total:.2f}%)")
        if not self.kinds:
            return
        print(
            "  disagreements (ZEN -> medpolicy, service, criteria a Kleene reading leaves"
            " unknown: count, first example):"
        )
        unexplained = self.unexplained()
        for kind, count in self.kinds.most_common():
            theirs, mine, code, unknown = kind
            request = self.examples[kind]
            stated = json.dumps(request.get("facts", {}), sort_keys=True)
            print(
                f"    {theirs} -> {mine}, {code}, unknown {', '.join(unknown) or 'none'}:"
                f" {count:,}\n      e.g. {request.get('name', '')}diagnoses"
                f" {request.get('diagnoses')}, stated {stated}"
            )
            if kind in unexplained:
                print("      ^ not an effect of unknown facts: a mistake in an encoding")


def generated_agreement(zen_engine: Any, ours: Engine, w: Workload) -> Agreement:
    result = Agreement()
    for request, parsed in zip(w.requests, w.parsed, strict=True):
        result.add(zen_engine.evaluate(KEY, parsed)["result"], ours.determine(request), parsed)
    return result


def golden_agreement(zen_engine: Any, ours: Engine) -> Agreement:
    """The policy's golden cases (every criterion, branch and boundary) that version
    2025-08-13 decides, given to ZEN as medpolicy reads them (codes normalized, facts
    checked): a check of the hand encoding's logic, apart from input handling."""
    policy = ours.registry.policy("MCP-210")
    assert policy is not None
    decoder = RequestDecoder(ours.registry)
    result = Agreement()
    for case in load_cases(policy.directory):
        request = decoder.read(json.dumps(case.request).encode())
        if isinstance(request, Refusal):
            continue
        determination = ours.determine(request)
        if determination.policy is None or determination.policy.version != IN_FORCE:
            continue
        context = {
            "name": f"{case.file}: {case.name}; ",
            "service": {
                "code": request.service_code,
                "date_of_service": request.date_of_service.isoformat(),
            },
            "diagnoses": list(request.diagnoses),
            "facts": dict(request.facts or {}),
        }
        result.add(zen_engine.evaluate(KEY, context)["result"], determination, context)
    return result


@dataclass
class Workload:
    """The same requests in every form a way of deciding takes them."""

    lines: list[str]
    raw: list[bytes]
    parsed: list[dict[str, Any]]
    requests: list[CoverageRequest]


def workload(lines: list[str], read: Callable[[bytes], CoverageRequest | Refusal]) -> Workload:
    read_all = [(line, read(line.encode())) for line in lines]
    kept = [(line, r) for line, r in read_all if not isinstance(r, Refusal)]
    if len(kept) < len(lines):
        print(f"medpolicy refused {len(lines) - len(kept)} generated requests; left out")
    return Workload(
        lines=[line for line, _ in kept],
        raw=[line.encode() for line, _ in kept],
        parsed=[json.loads(line) for line, _ in kept],
        requests=[r for _, r in kept],
    )


Way = tuple[str, Callable[[], object]]


CHUNK = 1_000
"""Requests per ``evaluate_batch`` call and per ``asyncio.gather`` (zen-engine 2.1.3: a
batch of 1,000 ran about a quarter faster per request than one of 10,000)."""


def zen_ways(zen_engine: Any, decision: Any, w: Workload) -> list[Way]:
    """ZEN's ways of deciding many requests from Python, on dicts and on JSON lines.
    Every way drops each answer once made (no list of 50,000 answers for the garbage
    collector to walk), as ours do."""
    encode = msgspec.json.Encoder().encode
    evaluate_key = zen_engine.evaluate
    dict_chunks = _chunks([{"key": KEY, "context": r} for r in w.parsed])
    line_chunks = _chunks([{"key": KEY, "context": line} for line in w.lines])

    def decision_dicts() -> None:
        for request in w.parsed:
            decision.evaluate(request)

    def engine_dicts() -> None:
        for request in w.parsed:
            evaluate_key(KEY, request)

    def batch_dicts() -> None:
        for chunk in dict_chunks:
            zen_engine.evaluate_batch(chunk)

    def async_dicts() -> None:
        async def run() -> None:
            for start in range(0, len(w.parsed), CHUNK):
                chunk = w.parsed[start : start + CHUNK]
                await asyncio.gather(*(zen_engine.async_evaluate(KEY, r) for r in chunk))

        asyncio.run(run())

    def decision_lines() -> None:
        for line in w.lines:
            encode(decision.evaluate(line)["result"])

    def engine_lines() -> None:
        for line in w.lines:
            encode(evaluate_key(KEY, line)["result"])

    def batch_lines() -> None:
        for chunk in line_chunks:
            for answer in zen_engine.evaluate_batch(chunk):
                encode(answer["data"]["result"])

    return [
        ("zen decision.evaluate(dict)", decision_dicts),
        ("zen engine.evaluate(key, dict)", engine_dicts),
        ("zen engine.evaluate_batch(dicts)", batch_dicts),
        ("zen engine.async_evaluate(key, dict)", async_dicts),
        ("zen decision.evaluate(line)+encode", decision_lines),
        ("zen engine.evaluate(key, line)+encode", engine_lines),
        ("zen engine.evaluate_batch(lines)+encode", batch_lines),
    ]


def _chunks(items: list[Any]) -> list[list[Any]]:
    return [items[start : start + CHUNK] for start in range(0, len(items), CHUNK)]


def line_in_line_out(ours: Engine, raw: list[bytes]) -> None:
    """As ``medpolicy evaluate`` does it: msgspec decodes and checks, the engine decides,
    msgspec encodes the determination."""
    read = RequestDecoder(ours.registry).read
    encode, determine = DeterminationEncoder().encode, ours.determine
    for line in raw:
        request = read(line)
        if not isinstance(request, Refusal):
            encode(determine(request))


def our_ways(ours: Engine, w: Workload) -> list[Way]:
    """medpolicy's ways, and the JSON round trip of the same lines."""
    determine = ours.determine

    def decide_parsed() -> None:
        for request in w.requests:
            determine(request)

    def evaluate_dicts() -> None:
        for request in w.parsed:
            evaluate(request, ours)

    def round_trip() -> None:
        for line in w.lines:
            json.dumps(json.loads(line))

    return [
        ("ours engine.determine(parsed)", decide_parsed),
        ("ours evaluate(dict)", evaluate_dicts),
        ("ours line in -> line out", lambda: line_in_line_out(ours, w.raw)),
        (BASELINE, round_trip),
    ]


def load(zen: Any) -> Any:
    """A ZEN engine whose loader serves the graph under ``KEY`` (it compiles it once)."""
    graph = json.loads(GRAPH.read_text())
    return zen.ZenEngine({"loader": {"type": "static", "content": {KEY: graph}}})


def main() -> None:
    try:
        import zen
    except ImportError:
        print(INSTALL)
        return
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
    zen_engine = load(zen)
    decision = zen_engine.create_decision(GRAPH.read_text())
    ours = default_engine()
    lines = requests_in_force(count)
    raw = [line.encode() for line in lines]
    first_pass = _timed(lambda: line_in_line_out(ours, raw))  # every fact pattern new
    w = workload(lines, RequestDecoder(ours.registry).read)

    golden_agreement(zen_engine, ours).show(f"golden cases of version {IN_FORCE}")
    generated_agreement(zen_engine, ours, w).show(f"generated requests of version {IN_FORCE}")
    ways = zen_ways(zen_engine, decision, w) + our_ways(ours, w)
    runs = best_of_rounds(ways)
    report(len(w.lines), runs, first_pass)


def report(n: int, runs: dict[str, tuple[float, float]], first_pass: tuple[float, float]) -> None:
    def rate(name: str) -> float:
        return n / runs[name][0]

    print(
        f"\nRequests per second of one core (CPU time; best of {ROUNDS} warm passes;"
        f" {n:,} requests)"
    )
    print(
        "NB: ZEN answers {outcome, next_step}; medpolicy answers the full determination"
        " (checklist with citations, reasons, the exact list of facts to ask, fact"
        " evidence, warnings), so its output is far richer."
    )
    print(f"  {'way':<38} {'req/s (CPU)':>12} {'req/s (wall)':>13}")
    for name, (cpu, wall) in runs.items():
        print(f"  {name:<38} {n / cpu:>12,.0f} {n / wall:>13,.0f}")
    print(f"  {'ours line in -> line out, 1st pass':<38} {n / first_pass[0]:>12,.0f}")
    zen_dicts = max((k for k in runs if k.startswith("zen") and "dict" in k), key=rate)
    zen_lines = max((k for k in runs if k.startswith("zen") and "line" in k), key=rate)
    print("\nLike for like (ours / ZEN's best way; the issue wants at least 5x):")
    pairs = [
        ("parsed input, decision only", "ours engine.determine(parsed)", zen_dicts),
        ("dict in, answer object out", "ours evaluate(dict)", zen_dicts),
        ("JSON line in -> JSON out", "ours line in -> line out", zen_lines),
    ]
    for label, mine, theirs in pairs:
        print(f"  {label:<30} {rate(mine) / rate(theirs):5.2f}x   ({mine} / {theirs})")
    base = runs[BASELINE][0]
    print(
        f"  time of line in -> line out over the JSON round trip's: ours"
        f" {runs['ours line in -> line out'][0] / base:.2f}x, ZEN {runs[zen_lines][0] / base:.2f}x"
    )


if __name__ == "__main__":
    main()
