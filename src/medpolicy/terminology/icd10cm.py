"""ICD-10-CM diagnosis codes, from the code set shipped in the simple-icd-10-cm package.

Codes arrive as people type them ("c92.02", "C9202 "). ``normalize`` gives the form used
everywhere inside medpolicy (upper case, no dot); ``lookup`` tells whether the code exists
and whether it is billable (a leaf) or only a category. Chapters and blocks ("C81-C96")
are not codes and do not validate. Everything is local: no network, ever.

Existence and billability come from the package's code list, read directly (about 50 ms)
rather than through the package's import, which parses the whole tabular XML (over a
second); a command that decides one request should not wait for that. Titles, needed only
for the rare warning about a non-billable code, load the full package on first use.
"""

from __future__ import annotations

import importlib.util
import re
import warnings
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

__all__ = ["ICD10CM_RELEASE", "DiagnosisCode", "description", "display", "lookup", "normalize"]

ICD10CM_RELEASE = "April 2026"
_CODE_LIST = "code-list-April-2026.txt"
_SHAPE = re.compile(r"[A-Z][0-9A-Z]{2,6}")


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
def _codes() -> dict[str, bool]:
    """Every code of the release, mapped to whether it is billable (has no subdivision)."""
    spec = importlib.util.find_spec("simple_icd_10_cm")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the simple-icd-10-cm package is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / _CODE_LIST
    entries = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    codes = [e for e in entries if _SHAPE.fullmatch(e)]
    table: dict[str, bool] = {}
    for index, code in enumerate(codes):
        following = codes[index + 1] if index + 1 < len(codes) else ""
        subdivided = following.startswith(code) and following != code
        table[code] = table.get(code, True) and not subdivided
    return table


@lru_cache(maxsize=65536)
def lookup(code: str) -> DiagnosisCode | None:
    """The code if it exists in ICD-10-CM (given normalized), else None."""
    billable = _codes().get(code)
    return None if billable is None else DiagnosisCode(code, billable)


@cache
def _package() -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import simple_icd_10_cm

    return simple_icd_10_cm


@lru_cache(maxsize=4096)
def description(code: str) -> str:
    """The official title of an existing code, e.g. "Myeloid leukemia" for C92."""
    return str(_package().get_description(code))
