"""Claim-line and authorization files written the way a plan's extract would be."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

MEETS = {
    "prior_hsct": "allogeneic",
    "prior_hsct_medically_necessary": True,
    "cell_source": "original_donor",
    "dli_indication": "relapsed_refractory_persistent",
    "lymphocytes_genetically_modified": False,
}

CLAIM_SCHEMA = pa.schema(
    [
        ("claim_id", pa.string()),
        ("line", pa.int32()),
        ("member_id", pa.string()),
        ("line_of_business", pa.string()),
        ("service_code", pa.string()),
        ("date_of_service", pa.date32()),
        ("diagnoses", pa.string()),
        ("facts", pa.string()),
        ("paid_amount", pa.decimal128(12, 2)),
        ("provider", pa.string()),
    ]
)


def claim(
    claim_id: str | None,
    code: str,
    day: str | None = "2026-03-02",
    *,
    member: str = "M1",
    line: int = 1,
    diagnoses: str | None = "C92.02",
    facts: dict[str, Any] | str | None = None,
    paid: str | None = "1000.00",
    lob: str | None = "medicaid",
    provider: str = "P1",
) -> dict[str, Any]:
    """One claim line as a row of the documented layout."""
    return {
        "claim_id": claim_id,
        "line": line,
        "member_id": member,
        "line_of_business": lob,
        "service_code": code,
        "date_of_service": date.fromisoformat(day) if day else None,
        "diagnoses": diagnoses,
        "facts": json.dumps(facts) if isinstance(facts, dict) else facts,
        "paid_amount": Decimal(paid) if paid is not None else None,
        "provider": provider,
    }


def write_parquet(path: Path, rows: Sequence[dict[str, Any]], schema: pa.Schema | None) -> Path:
    table = pa.Table.from_pylist(list(rows), schema=schema)
    pq.write_table(table, path)
    return path


def write_csv(path: Path, rows: Sequence[dict[str, Any]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        for row in rows:
            writer.writerow({k: "" if v is None else str(v) for k, v in row.items()})
    return path


@pytest.fixture
def claims_file(tmp_path: Path) -> Callable[..., Path]:
    def make(rows: Sequence[dict[str, Any]], name: str = "claims.parquet") -> Path:
        path = tmp_path / name
        if name.endswith(".csv"):
            return write_csv(path, rows)
        return write_parquet(path, rows, CLAIM_SCHEMA)

    return make


@pytest.fixture
def auths_file(tmp_path: Path) -> Callable[..., Path]:
    def make(rows: Sequence[tuple[str, str, str, str, str, str]]) -> Path:
        columns = ["case_id", "member_id", "service_code", "start_date", "end_date", "status"]
        data = [dict(zip(columns, row, strict=True)) for row in rows]
        return write_csv(tmp_path / "auths.csv", data)

    return make
