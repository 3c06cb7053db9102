"""ICD-10-CM diagnosis codes, from the simple-icd-10-cm package's copy of the code set.

Codes arrive as people type them ("c92.02", "C9202 "). ``normalize`` gives the form used
everywhere inside medpolicy (upper case, no dot); ``lookup`` tells whether the code exists
and whether it is billable (a leaf) or only a category. Chapters and blocks ("C81-C96")
are not codes and do not validate. Everything is local and cached: no network, ever.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from functools import lru_cache

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import simple_icd_10_cm as _icd

__all__ = ["ICD10CM_RELEASE", "DiagnosisCode", "display", "lookup", "normalize"]

ICD10CM_RELEASE = "April 2026"
_SHAPE = re.compile(r"[A-Z][0-9][0-9A-Z][0-9A-Z]{0,4}")


@dataclass(frozen=True, slots=True)
class DiagnosisCode:
    """An ICD-10-CM code that exists: ``code`` without dot, whether billable, its title."""

    code: str
    billable: bool
    description: str

    @property
    def dotted(self) -> str:
        return display(self.code)


def normalize(text: str) -> str:
    """Upper-case a code and drop its dot and surrounding spaces ("c92.02" -> "C9202")."""
    return text.strip().upper().replace(".", "")


def display(code: str) -> str:
    """The conventional written form of a normalized code ("C9202" -> "C92.02")."""
    return code if len(code) <= 3 else f"{code[:3]}.{code[3:]}"


@lru_cache(maxsize=65536)
def lookup(code: str) -> DiagnosisCode | None:
    """The code if it exists in ICD-10-CM (given normalized), else None."""
    # The shape test keeps out chapters ("2") and blocks ("C81-C96"); a block that is also
    # a category, such as C7A, passes as the category it is.
    if not _SHAPE.fullmatch(code) or not _icd.is_valid_item(code):
        return None
    return DiagnosisCode(code, bool(_icd.is_leaf(code)), str(_icd.get_description(code)))
