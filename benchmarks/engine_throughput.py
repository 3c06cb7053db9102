"""Engine throughput: determinations per second, and the ratio to plain JSON handling.

Decides N generated MCP-210 requests (a seeded mix of donor lymphocyte infusions and stem
cell boosts, complete and incomplete, with real ICD-10-CM codes) three ways:

- in process through ``medpolicy.evaluate`` on parsed dicts;
- in process end to end: ``json.loads`` of the line, ``evaluate``, ``to_json``;
- through the ``medpolicy evaluate`` command on a JSON Lines file.

The baseline does only ``json.loads`` + ``json.dumps`` of the same lines (in process, and
as a Python process reading the same file). Run: ``python benchmarks/engine_throughput.py
[N]``. Figures are best of three runs on one core.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from medpolicy import evaluate

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
    "donor_chimerism_percent": [12.5, 49.9, 78, 99.9, 100],
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
        facts = {k: rng.choice(v) for k, v in FACT_CHOICES.items() if rng.random() < 0.8}
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


def best_of(runs: int, work: Any) -> float:
    return min(_timed(work) for _ in range(runs))


def _timed(work: Any) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    lines = generate(count)
    parsed = [json.loads(line) for line in lines]
    for request in parsed[:2000]:
        evaluate(request)

    def baseline() -> None:
        for line in lines:
            json.dumps(json.loads(line))

    def api_only() -> None:
        for request in parsed:
            evaluate(request)

    def end_to_end() -> None:
        for line in lines:
            evaluate(json.loads(line)).to_json()

    base = best_of(3, baseline)
    api = best_of(3, api_only)
    full = best_of(3, end_to_end)
    print(f"requests: {count}")
    print(f"baseline json.loads+dumps : {count / base:12,.0f} /s")
    print(
        f"evaluate(dict)            : {count / api:12,.0f} /s   "
        f"ratio to baseline {api / base:.2f}x (target 2x)"
    )
    print(
        f"loads+evaluate+to_json    : {count / full:12,.0f} /s   "
        f"ratio to baseline {full / base:.2f}x"
    )
    cli_seconds, base_seconds = _command_line(lines)
    print(
        f"medpolicy evaluate (CLI)  : {count / cli_seconds:12,.0f} /s   "
        f"ratio to baseline process {cli_seconds / base_seconds:.2f}x (target 3x)"
    )


def _command_line(lines: list[str]) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "requests.jsonl"
        path.write_text("\n".join(lines) + "\n")
        cli = [sys.executable, "-m", "medpolicy.cli", "evaluate", str(path)]
        baseline = [
            sys.executable,
            "-c",
            "import json,sys\n"
            "out=[json.dumps(json.loads(l)) for l in open(sys.argv[1]) if l.strip()]\n"
            "sys.stdout.write('\\n'.join(out)+'\\n')",
            str(path),
        ]
        cli_time = best_of(3, lambda: subprocess.run(cli, stdout=subprocess.DEVNULL, check=False))
        base_time = best_of(
            3, lambda: subprocess.run(baseline, stdout=subprocess.DEVNULL, check=True)
        )
    return cli_time, base_time


if __name__ == "__main__":
    main()
