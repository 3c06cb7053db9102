"""The labelled development notes of tests/extraction/notes/, in the scorer's JSON format.

Each YAML file lists notes as ``../shared/notes/README.md`` describes them, except that a
fact left out is null (the scorer's format spells out all of them).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

NOTES_DIR = Path(__file__).parent / "notes"
FACTS = (
    "prior_hsct",
    "prior_hsct_medically_necessary",
    "prior_car_t",
    "diagnosis_category",
    "cell_source",
    "lymphocytes_genetically_modified",
    "dli_indication",
    "relapse_confirmed",
    "high_risk_of_relapse",
    "hscb_indication",
    "donor_chimerism_percent",
    "active_gvhd",
    "gvhd_steroid_refractory",
    "graft_failure",
)


def load_notes() -> list[dict[str, Any]]:
    """Every development note, with all fact ids present."""
    notes: list[dict[str, Any]] = []
    for path in sorted(NOTES_DIR.glob("*.yaml")):
        for raw in yaml.safe_load(path.read_text(encoding="utf-8")):
            note = dict(raw)
            note["facts"] = {fact: raw["facts"].get(fact) for fact in FACTS}
            notes.append(note)
    return notes


def write_gold(path: Path) -> Path:
    """Write the notes as the scorer's gold file."""
    path.write_text(json.dumps(load_notes(), ensure_ascii=False, indent=1), encoding="utf-8")
    return path


if __name__ == "__main__":
    import sys

    write_gold(Path(sys.argv[1]))
