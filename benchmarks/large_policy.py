"""Exact missing information on a generated policy of 40 facts: time per unseen request.

Every request here has a fact pattern the engine has not seen before, so each one pays
for its whole analysis (checklist, outcome, and which unknown facts could still change
it). The policy comes from ``tests/engine/synthetic.py`` (seeded), the requests know a
random part of its facts, mostly with values that pass, so most stay undecided and ask
for the rest. Also prints the time to compile the policy's section once, and the size of
its decision diagram. Run: ``python benchmarks/large_policy.py [FACTS] [REQUESTS]``.
Target: under 5 ms per unseen request at 40 facts. Wall and CPU time are both shown:
on a shared machine the wall-clock maximum mostly measures waiting for a core.
"""

from __future__ import annotations

import gc
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.engine.synthetic import CODE, DAY, synthetic_policy

from medpolicy import evaluate
from medpolicy.engine import Engine
from medpolicy.policy.model import FactDef, Policy
from medpolicy.policy.registry import Registry


def _values(fact: FactDef) -> list[Any]:
    if fact.type == "boolean":
        return [True, False]
    if fact.type == "enum":
        return list(fact.values)
    return [0, 10, 20, 35, 50, 65, 80, 90, 100]


def requests(policy: Policy, count: int, seed: int = 15) -> list[dict[str, Any]]:
    """Distinct requests, each knowing about half the facts, most values passing."""
    section = policy.versions[0].sections["synthetic"]
    conditions = [c for node in section.criteria for c in node.conditions()]
    rng = random.Random(seed)
    out, seen = [], set()
    while len(out) < count:
        facts = {}
        for name, fact in policy.facts.items():
            if rng.random() < 0.5:
                continue
            values = _values(fact)
            passing = [v for v in values if all(c.test(v) for c in conditions if c.fact == name)]
            facts[name] = (
                rng.choice(passing or values) if rng.random() < 0.8 else rng.choice(values)
            )
        key = tuple(sorted(facts.items()))
        if key not in seen:
            seen.add(key)
            out.append({"service": {"code": CODE, "date_of_service": str(DAY)}, "facts": facts})
    return out


def main() -> None:
    facts = int(sys.argv[1]) if len(sys.argv) > 1 else 40
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    policy = synthetic_policy(facts)
    start = time.perf_counter()
    engine = Engine(Registry((policy,)))
    version = policy.versions[0]
    program = engine.compiled(policy, version, version.sections["synthetic"]).program
    compile_ms = (time.perf_counter() - start) * 1000
    batch = requests(policy, count)
    evaluate(batch[0], engine)
    gc.collect()
    gc.freeze()
    times, cpu, undecided = [], [], 0
    for request in batch[1:]:
        begin, begin_cpu = time.perf_counter(), time.thread_time()
        result = evaluate(request, engine)
        cpu.append((time.thread_time() - begin_cpu) * 1000)
        times.append((time.perf_counter() - begin) * 1000)
        undecided += result.outcome == "insufficient_information"
    times.sort()
    cpu.sort()
    print(f"policy: {facts} facts, decision diagram of {program.diagrams.diagram.size} nodes")
    print(f"compile the section once : {compile_ms:8.2f} ms")
    print(f"unseen requests          : {len(times)} ({undecided} insufficient information)")
    print(f"per unseen request median: {statistics.median(times):8.3f} ms")
    print(f"per unseen request p99   : {times[int(len(times) * 0.99)]:8.3f} ms")
    print(f"per unseen request max   : {times[-1]:8.3f} ms   (target: under 5 ms)")
    print(
        f"CPU time, median/p99/max : {statistics.median(cpu):.3f} / {cpu[int(len(cpu) * 0.99)]:.3f}"
        f" / {cpu[-1]:.3f} ms   (wall time includes waiting for a busy machine)"
    )


if __name__ == "__main__":
    main()
