"""Running the offline HL7 FHIR Validator kit (``shared/fhir-validator``) and reading its report.

The kit prints, per validated file (or, for a CDS Hooks response, per resource inside it)
a ``==== FILE [ig X]`` line, one ``SEVERITY @ location : message`` line per issue and a
``---- FILE: ...`` line, then ``N errors, N warnings`` over everything.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

_HEADER = re.compile(r"^==== (?P<file>.+) \[ig (?P<ig>[^\]]+)\]$")
_ISSUE = re.compile(
    r"^(?P<severity>FATAL|ERROR|WARNING|INFORMATION) @ (?P<where>.*?) : (?P<text>.*)$"
)
_TOTAL = re.compile(r"^(?P<errors>\d+) errors, (?P<warnings>\d+) warnings$")


@dataclass(frozen=True)
class Issue:
    """One finding of the validator on one validated unit."""

    unit: str
    ig: str
    severity: str
    where: str
    text: str

    @property
    def file(self) -> Path:
        """The file the unit came from (a CDS Hooks resource is ``FILE#path``)."""
        return Path(self.unit.split("#", 1)[0])

    @property
    def is_error(self) -> bool:
        return self.severity in ("ERROR", "FATAL")

    def __str__(self) -> str:
        return f"{self.unit} [{self.ig}] {self.severity} @ {self.where} : {self.text}"


@dataclass
class Report:
    """Everything one validator run said."""

    units: dict[str, str] = field(default_factory=dict)
    """Each validated unit and the IG set it was validated with."""
    issues: list[Issue] = field(default_factory=list)
    errors: int = -1
    warnings: int = -1
    output: str = ""


def java_17_or_later() -> str | None:
    """Why the kit cannot run here (no Java, or one older than 17), or None when it can."""
    java = os.environ.get("JAVA") or shutil.which("java") or "/usr/bin/java"
    if not Path(java).exists():
        return f"no java at {java}"
    probe = subprocess.run([java, "-version"], capture_output=True, text=True, check=False)
    found = re.search(r'version "(\d+)', probe.stderr + probe.stdout)
    if found is None or int(found.group(1)) < 17:
        return f"java at {java} is not 17 or later: {probe.stderr.strip()[:200]}"
    return None


def validate(kit: Path, files: list[Path], *, timeout: float = 1500) -> Report:
    """Run ``validate.sh`` once over ``files`` (one JVM start for all of them)."""
    completed = subprocess.run(
        ["bash", str(kit / "validate.sh"), *[str(f) for f in files]],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if completed.returncode not in (0, 1):
        raise RuntimeError(
            f"validate.sh failed to run (exit {completed.returncode}): "
            f"{completed.stderr[-2000:]}{completed.stdout[-2000:]}"
        )
    return parse(completed.stdout)


def parse(output: str) -> Report:
    """The validator's stdout read into units and issues."""
    report = Report(output=output)
    unit, ig = "", ""
    for line in output.splitlines():
        header = _HEADER.match(line)
        if header:
            unit, ig = header["file"], header["ig"]
            report.units[unit] = ig
            continue
        issue = _ISSUE.match(line)
        if issue and unit:
            report.issues.append(Issue(unit, ig, issue["severity"], issue["where"], issue["text"]))
            continue
        total = _TOTAL.match(line)
        if total:
            report.errors, report.warnings = int(total["errors"]), int(total["warnings"])
    return report
