"""Write the ICD-10-CM tables that ``icd10cm`` reads, from the simple-icd-10-cm package.

The package answers every question about a code, but only after parsing its 10 MB tabular
XML (several seconds). medpolicy asks two questions, so it ships the two answers as small
sorted tables (see ``table.CodeTable``), generated from the package by this module:

- ``icd10cm-codes-<release>.tsv.gz``: every code, ``1`` if billable (a leaf), else ``0``;
- ``icd10cm-titles-<release>.tsv.gz``: every code's title, exactly as the package gives it.

Chapters ("1") and blocks ("C81-C96") are not codes and are left out. Regenerate after
upgrading the package with ``python -m medpolicy.terminology.icd10cm_tables``; a test
fails while the shipped tables and the installed package disagree.
"""

from __future__ import annotations

import re
import sys
import warnings
from typing import Any

from medpolicy.terminology.icd10cm import DATA_DIR, codes_path, titles_path
from medpolicy.terminology.table import encode_table

__all__ = ["build_tables", "main"]

_SHAPE = re.compile(r"[A-Z][0-9A-Z]{2,6}")


def _package() -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import simple_icd_10_cm

    return simple_icd_10_cm


def build_tables() -> tuple[bytes, bytes]:
    """The codes table and the titles table, as gzip bytes, from the installed package."""
    icd = _package()
    codes = [c for c in icd.get_all_codes(with_dots=False) if _SHAPE.fullmatch(c)]
    billable = {c: "1" if icd.is_leaf(c) else "0" for c in codes}
    titles = {c: str(icd.get_description(c)) for c in codes}
    return encode_table(billable), encode_table(titles)


def main() -> int:
    codes, titles = build_tables()
    DATA_DIR.mkdir(exist_ok=True)
    codes_path().write_bytes(codes)
    titles_path().write_bytes(titles)
    print(f"wrote {codes_path()} and {titles_path()}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
