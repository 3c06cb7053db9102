"""Engine throughput: determinations per second, and the ratio to plain JSON handling.

Decides N generated MCP-210 requests (a seeded mix of donor lymphocyte infusions and stem
cell boosts, complete and incomplete, with real ICD-10-CM codes on every request and many
distinct fact patterns: chimerism is any tenth of a percent) these ways:

- line in -> line out in process, as ``medpolicy evaluate`` does it: msgspec decodes and
  checks the line (``adapters/json_codec.py``), the engine decides, the answer is written
  as fragments joined per batch of 512; the first pass (every pattern new to the engine)
  and the best of three warm passes;
- ``medpolicy.evaluate`` on already parsed dicts (the Python API);
- the ``medpolicy evaluate`` command on a JSON Lines file, as a whole process.

The baseline does only ``json.loads`` + ``json.dumps`` of the same lines in the same run
(in process, and as a Python process reading the same file). Figures are CPU seconds of
one core (``time.process_time``), so a busy shared machine skews them less than wall time;
the commands are timed by the CPU time of the child process. Run:
``python benchmarks/engine_throughput.py [N]`` (default 100,000). Targets: line in -> line
out within 2x the baseline, in process and as a whole command.
"""

from __future__ import annotations

import gc
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from medpolicy import evaluate
from medpolicy.adapters.json_codec import DeterminationEncoder, Refusal, RequestDecoder
from medpolicy.api import default_engine

FACT_CHOICES: dict[str, list[Any]] = {
    "prior_hsct": ["allogeneic", "allogeneic", "autologous", "none"],
    "prior_hsct_medically_necessary": [True, True, False],
    "prior_car_t": [True, False],
    "cell_source": ["original_donor", "original_donor", "other_donor", "autologous"],
    "lymphocytes_genetically_modified": [False, False, True],
    "dli_indication": [
        "relapsed_refractory_persistent",
        "mixed_chimerism_conversion",
        "relapse_prophylaxis",
        "other",
    ],
    "relapse_confirmed": [True, False],
    "high_risk_of_relapse": [True, False],
    "hscb_indication": [
        "engraftment_promotion",
        "chimerism_enhancement",
        "car_t_cytopenias",
        "other",
    ],
    "donor_chimerism_percent": [],
    "diagnosis_category": ["hematologic_malignancy", "non_hematologic_malignancy", "non_malignant"],
    "gvhd_steroid_refractory": [False, True],
    "active_gvhd": ["none", "acute", "chronic"],
    "graft_failure": [False, True],
}
DIAGNOSES = [
    "C92.02",
    "C92.01",
    "C91.02",
    "C90.00",
    "C83.32",
    "D46.9",
    "Z94.84",
    "T86.09",
    "C50.911",
]


def generate(count: int, seed: int = 210) -> list[str]:
    rng = random.Random(seed)
    lines = []
    for i in range(count):
        facts = {k: _value(rng, k, v) for k, v in FACT_CHOICES.items() if rng.random() < 0.7}
        request = {
            "request_id": f"BENCH-{i}",
            "member": {
                "id": f"M{i:06d}",
                "line_of_business": rng.choice(["medicaid", "medicare", "commercial"]),
                "state": "OH",
            },
            "service": {
                "code": rng.choice(["38242", "38243"]),
                "date_of_service": rng.choice(["2024-06-01", "2026-03-02"]),
            },
            "diagnoses": rng.sample(DIAGNOSES, rng.randint(1, 3)),
            "facts": facts,
        }
        lines.append(json.dumps(request))
    return lines


def _value(rng: random.Random, fact: str, choices: list[Any]) -> Any:
    if fact == "donor_chimerism_percent":
        return round(rng.uniform(0, 100), 1) if rng.random() < 0.8 else 100
    return rng.choice(choices)


def best_of(runs: int, work: Any) -> float:
    return min(_timed(work) for _ in range(runs))


def _timed(work: Any) -> float:
    start = time.process_time()
    work()
    return time.process_time() - start


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    lines = generate(count)
    raw = [line.encode() for line in lines]
    parsed = [json.loads(line) for line in lines]
    # The inputs are the benchmark's, not the engine's: keep the collector from walking
    # 300,000 of them again and again while the engine is timed (evaluate does the same
    # for what it loads before deciding).
    gc.freeze()
    engine = default_engine()
    decoder, write = RequestDecoder(engine.registry), DeterminationEncoder().write
    quick, read, determine = decoder.read_valid, decoder.read_checked, engine.determine

    def baseline(chunk: list[str] = lines) -> None:
        for line in chunk:
            json.dumps(json.loads(line))

    def line_in_line_out(chunk: list[bytes] = raw) -> None:
        # As ``medpolicy evaluate`` does it: the quick msgspec read, the checked read for a
        # line it refuses, answers as fragments joined 512 at a time.
        parts: list[bytes] = []
        waiting = 0
        for line in chunk:
            request = quick(line) or read(line)
            if not isinstance(request, Refusal):
                write(determine(request), parts)
            parts.append(b"\n")
            waiting += 1
            if waiting == 512:
                b"".join(parts)
                parts.clear()
                waiting = 0
        b"".join(parts)

    def api_only() -> None:
        for request in parsed:
            evaluate(request)

    first, first_base = _first_pass(lines, raw, baseline, line_in_line_out)
    base = best_of(3, baseline)
    warm = best_of(3, line_in_line_out)
    api = best_of(3, api_only)
    print(f"requests: {count}, {len(set(lines))} distinct lines (CPU time of one core)")
    print(f"baseline json.loads+dumps     : {count / base:10,.0f} /s")
    print(
        f"line in -> line out, 1st pass : {count / first:10,.0f} /s   "
        f"ratio to baseline {first / first_base:.2f}x (target 2x; each chunk of "
        f"{_CHUNK:,} lines timed beside the baseline on it)"
    )
    print(
        f"line in -> line out, warm     : {count / warm:10,.0f} /s   "
        f"ratio to baseline {warm / base:.2f}x (target 2x)"
    )
    print(
        f"evaluate(dict), warm          : {count / api:10,.0f} /s   "
        f"ratio to baseline {api / base:.2f}x"
    )
    cli_seconds, base_seconds = _command_line(lines)
    print(
        f"medpolicy evaluate (process)  : {count / cli_seconds:10,.0f} /s   "
        f"ratio to baseline process {cli_seconds / base_seconds:.2f}x (target 2x)"
    )


_CHUNK = 2_000


def _first_pass(
    lines: list[str], raw: list[bytes], baseline: Any, line_in_line_out: Any
) -> tuple[float, float]:
    """CPU seconds of the first pass and of the baseline on the same lines, taken chunk by
    chunk in turn (the baseline before and after each chunk, averaged): the host's speed
    drifts by up to 20% over seconds, and a first pass can only be run once, so timing
    it against a baseline taken at another moment would measure the drift."""
    ours = theirs = 0.0
    for start in range(0, len(raw), _CHUNK):
        text, data = lines[start : start + _CHUNK], raw[start : start + _CHUNK]
        before = _timed(lambda text=text: baseline(text))
        ours += _timed(lambda data=data: line_in_line_out(data))
        theirs += (before + _timed(lambda text=text: baseline(text))) / 2
    return ours, theirs


def _command_line(lines: list[str]) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "requests.jsonl"
        path.write_text("\n".join(lines) + "\n")
        cli = [sys.executable, "-m", "medpolicy.cli", "evaluate", str(path), "--quiet"]
        baseline = [
            sys.executable,
            "-c",
            "import json,sys\n"
            "out=[json.dumps(json.loads(l)) for l in open(sys.argv[1]) if l.strip()]\n"
            "sys.stdout.write('\\n'.join(out)+'\\n')",
            str(path),
        ]
        # In turn, so that both see the host in the same moods.
        times = [(_child_cpu(cli), _child_cpu(baseline)) for _ in range(3)]
    return min(t[0] for t in times), min(t[1] for t in times)


def _child_cpu(command: list[str]) -> float:
    """CPU seconds (user + system) the command's process used."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run(command, stdout=subprocess.DEVNULL, check=False, env=env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


if __name__ == "__main__":
    main()
