"""The shape of CPT and HCPCS Level II codes, to tell a typo from a code no policy covers.

Which policy decides a code is policy data (``policies/*/policy.yaml``); this module only
knows what a well-formed service code looks like.
"""

from __future__ import annotations

import re

__all__ = ["SERVICE_CODE_ACCEPTED", "is_service_code", "normalize_service_code"]

SERVICE_CODE_ACCEPTED = (
    "a CPT code (five digits, or four digits and F, T or U, e.g. '38242') "
    "or a HCPCS Level II code (a letter and four digits, e.g. 'Q2056')"
)
_SHAPE = re.compile(r"[0-9]{5}|[0-9]{4}[FTU]|[A-V][0-9]{4}")


def normalize_service_code(text: str) -> str:
    return text.strip().upper()


def is_service_code(code: str) -> bool:
    """Whether ``code`` (normalized) has the shape of a CPT or HCPCS Level II code."""
    return _SHAPE.fullmatch(code) is not None
