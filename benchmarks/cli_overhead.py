"""What the ``medpolicy evaluate`` command costs beyond deciding: start-up and I/O.

Two measures, each beside a Python process that does no medpolicy work:

- one request: wall time of ``medpolicy evaluate FILE`` for the README's example, for the
  same request with a category diagnosis (C92.0, whose warning needs an ICD-10-CM title)
  and as a text checklist; beside ``python -c pass``. Target: under 0.3 s each.
- a batch: ``medpolicy evaluate`` on N JSON Lines (default 100,000, generated as in
  ``engine_throughput.py``) beside a process that only ``json.loads`` + ``json.dumps`` the
  same lines. Target: within 2x.

Run: ``python benchmarks/cli_overhead.py [N] [--runs R]``. Figures are the best and the
median of R runs (default 7 for one request, 3 for the batch); on a shared machine the
best is the least disturbed. The policy snapshot (``medpolicy.policy.snapshot``) is warmed
first, as it is after the first run on any machine.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from engine_throughput import generate

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "dli-relapsed-aml.json"
BASELINE = (
    "import json,sys\n"
    "out=sys.stdout.write\n"
    "for l in open(sys.argv[1],'rb'):\n"
    "    if l.strip(): out(json.dumps(json.loads(l))+'\\n')\n"
)


INSTALLED = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
"""The environment of an installed medpolicy: Python keeps the compiled bytecode of its
modules (an installation from a wheel ships it; with PYTHONDONTWRITEBYTECODE set, as on
some development machines, every run would compile ~40 modules again). The warm-up run
writes it."""


def command() -> list[str]:
    script = Path(sys.executable).with_name("medpolicy")
    found = script if script.is_file() else shutil.which("medpolicy")
    return [str(found)] if found else [sys.executable, "-m", "medpolicy.cli"]


def wall(argv: Sequence[str], runs: int) -> tuple[float, float]:
    """Best and median wall seconds of ``argv`` (output discarded)."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(
            argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, env=INSTALLED
        )
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def one_request(runs: int, tmp: Path) -> None:
    category = tmp / "category.json"
    request = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    request["diagnoses"] = ["C92.0", "Z94.84"]
    category.write_text(json.dumps(request), encoding="utf-8")
    medpolicy = command()
    subprocess.run(
        [*medpolicy, "evaluate", str(EXAMPLE)], capture_output=True, check=False, env=INSTALLED
    )
    print(f"one request ({runs} runs)                        best     median")
    rows = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "medpolicy evaluate example": [*medpolicy, "evaluate", str(EXAMPLE)],
        "... category code C92.0": [*medpolicy, "evaluate", str(category)],
        "... --format text": [*medpolicy, "evaluate", str(EXAMPLE), "--format", "text"],
    }
    for name, argv in rows.items():
        best, median = wall(argv, runs)
        print(f"  {name:<42} {best:6.3f} s  {median:6.3f} s")


def batch(count: int, runs: int, tmp: Path) -> None:
    path = tmp / "requests.jsonl"
    path.write_text("\n".join(generate(count)) + "\n", encoding="utf-8")
    warm = [*command(), "evaluate", str(path)]
    subprocess.run(warm, check=False, capture_output=True, env=INSTALLED)
    # The two commands run in turn, so that each pair sees the host at the same moment:
    # a shared virtual machine drifts by up to 20% over seconds.
    pairs = [
        (
            wall([sys.executable, "-c", BASELINE, str(path)], 1)[0],
            wall([*command(), "evaluate", str(path)], 1)[0],
        )
        for _ in range(runs)
    ]
    base_times, cli_times = [p[0] for p in pairs], [p[1] for p in pairs]
    base_best, base_median = min(base_times), statistics.median(base_times)
    cli_best, cli_median = min(cli_times), statistics.median(cli_times)
    paired = statistics.median(cli / base for base, cli in pairs)
    print(f"{count:,} JSON Lines ({runs} runs in turn)      best     median")
    print(f"  python json.loads+json.dumps               {base_best:6.2f} s  {base_median:6.2f} s")
    print(f"  medpolicy evaluate                         {cli_best:6.2f} s  {cli_median:6.2f} s")
    print(
        f"  ratio (best / best)                        {cli_best / base_best:6.2f}x  "
        f"{paired:6.2f}x (median of the runs' own ratios)   target 2x"
    )
    print(f"  rate                                       {count / cli_best:9,.0f} requests/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", nargs="?", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=None)
    parser.add_argument("--only", choices=("one", "batch"), default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        if args.only != "batch":
            one_request(args.runs or 7, tmp)
        if args.only != "one":
            batch(args.count, args.runs or 5, tmp)


if __name__ == "__main__":
    main()
