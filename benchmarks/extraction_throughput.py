"""Note extraction throughput: clinical notes read per second on one core.

Reads the labelled notes (the development notes of tests/extraction/notes and the 12
public ones of ../shared/notes, when present) repeated to N notes, on one CPU:

- batched through ``Extractor.extract_many`` (what `medpolicy extract FILE` does);
- one at a time through ``Extractor.extract`` (what the service does per document);
- through the ``medpolicy extract`` command on a JSON Lines file (process start included).

Also prints the one-time cost of building the pipeline. Run: ``python
benchmarks/extraction_throughput.py [N]``. Figures are the best of three runs; on a shared
machine they are noisy, so compare ratios rather than absolute numbers.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from medpolicy.extraction import Extractor, Note, load_rules
from medpolicy.policy.registry import default_registry

ROOT = Path(__file__).resolve().parent.parent


def _texts() -> list[dict[str, Any]]:
    notes: list[dict[str, Any]] = []
    for path in sorted((ROOT / "tests" / "extraction" / "notes").glob("*.yaml")):
        notes += yaml.safe_load(path.read_text(encoding="utf-8"))
    public = ROOT.parent / "shared" / "notes" / "public_sample.json"
    if public.is_file():
        notes += json.loads(public.read_text(encoding="utf-8"))
    return [{"id": n["id"], "text": n["text"], "service": n["service"]} for n in notes]


def _best(run: Any, repeats: int = 3) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 600
    base = _texts()
    notes = [base[i % len(base)] for i in range(count)]
    words = sum(len(n["text"].split()) for n in notes) / len(notes)

    start = time.perf_counter()
    policy = default_registry().policy("MCP-210")
    assert policy is not None
    extractor = Extractor(load_rules(policy))
    build = time.perf_counter() - start

    batch = [Note(n["text"], n["id"], n["service"]) for n in notes]
    batched = _best(lambda: list(extractor.extract_many(batch)))
    single = _best(lambda: [extractor.extract(n.text, service=n.service) for n in batch])

    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as fh:
        fh.writelines(json.dumps(n) + "\n" for n in notes)
    command = [sys.executable, "-m", "medpolicy.cli", "extract", fh.name]
    cli = _best(
        lambda: subprocess.run(command, check=False, capture_output=True, timeout=600), repeats=1
    )
    os.unlink(fh.name)

    print(f"notes: {count} ({len(base)} distinct, {words:.0f} words on average), one core")
    print(f"pipeline build (once per process): {build:.2f} s")
    for label, seconds in (
        ("extract_many (batched): ", batched),
        ("extract (one at a time):", single),
    ):
        print(f"{label}  {count / seconds:8.1f} notes/s  ({seconds / count * 1000:.1f} ms/note)")
    print(
        f"medpolicy extract FILE:   {count / cli:8.1f} notes/s  (process start and build included)"
    )
    print(f"ratio batched / single:   {single / batched:8.2f}")


if __name__ == "__main__":
    main()
