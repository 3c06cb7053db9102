"""ICD-10-CM diagnosis codes, from the code set shipped in the simple-icd-10-cm package.

Codes arrive as people type them ("c92.02", "C9202 "). ``normalize`` gives the form used
everywhere inside medpolicy (upper case, no dot); ``lookup`` tells whether the code exists
and whether it is billable (a leaf) or only a category. Chapters and blocks ("C81-C96")
are not codes and do not validate. Everything is local: no network, ever.

Existence, billability and titles come from two compact tables generated from the
package's data (``icd10cm_tables``) and shipped with medpolicy; reading one takes
milliseconds, where importing the package parses its whole tabular XML (seconds). The
package itself is needed only to regenerate the tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from medpolicy.memo import Memo
from medpolicy.terminology.table import CodeTable

__all__ = ["ICD10CM_RELEASE", "DiagnosisCode", "description", "display", "lookup", "normalize"]

ICD10CM_RELEASE = "April 2026"
RELEASE_TAG = "2026-04"
"""The release in the tables' file names (the package's ``code-list-April-2026``)."""
DATA_DIR = Path(__file__).resolve().parent / "data"


def codes_path() -> Path:
    """The table of every code, ``1`` when billable, written by ``icd10cm_tables``."""
    return DATA_DIR / f"icd10cm-codes-{RELEASE_TAG}.tsv.gz"


def titles_path() -> Path:
    """The table of every code's title, written by ``icd10cm_tables``."""
    return DATA_DIR / f"icd10cm-titles-{RELEASE_TAG}.tsv.gz"


@dataclass(frozen=True, slots=True)
class DiagnosisCode:
    """An ICD-10-CM code that exists: ``code`` without dot, and whether it is billable."""

    code: str
    billable: bool

    @property
    def description(self) -> str:
        return description(self.code)


def normalize(text: str) -> str:
    """Upper-case a code and drop its dot and surrounding spaces ("c92.02" -> "C9202")."""
    return text.strip().upper().replace(".", "")


def display(code: str) -> str:
    """The conventional written form of a normalized code ("C9202" -> "C92.02")."""
    return code if len(code) <= 3 else f"{code[:3]}.{code[3:]}"


@cache
def _codes() -> CodeTable:
    """Every code of the release, with ``1`` when it is billable (has no subdivision)."""
    return CodeTable.read(codes_path())


@cache
def _titles() -> CodeTable:
    return CodeTable.read(titles_path())


def lookup(code: str) -> DiagnosisCode | None:
    """The code if it exists in ICD-10-CM (given normalized), else None."""
    return _lookups[code]


def _lookup(code: str) -> DiagnosisCode | None:
    billable = _codes().get(code)
    return None if billable is None else DiagnosisCode(code, billable == "1")


def description(code: str) -> str:
    """The official title of an existing code, e.g. "Myeloid leukemia" for C92."""
    return _descriptions[code]


def _description(code: str) -> str:
    title = _titles().get(code)
    if title is None:
        raise KeyError(f"{code} is not an ICD-10-CM code")
    return " ".join(title.split())


_lookups: Memo[str, DiagnosisCode | None] = Memo(_lookup)
_descriptions: Memo[str, str] = Memo(_description)
