"""CSV input made into Parquet with exact row numbers, read the same way by every engine.

A CSV reader that runs in parallel cannot say which row of the file a record was, and a row
with the wrong number of fields is either dropped silently or stops the run. Read once here,
in order, every record keeps its number (1-based, the header not counted) and a broken
record becomes a row whose ``_error`` says what is wrong, so that it reaches the errors
file like any other malformed line and the rest of the run goes on.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from medpolicy.errors import MedpolicyError

__all__ = ["csv_header", "is_csv", "stage_csv"]

_CHUNK = 100_000


def is_csv(path: str) -> bool:
    """Whether a claims or authorizations file is CSV (else it is read as Parquet)."""
    return path.lower().endswith((".csv", ".txt"))


def _rows(path: str) -> Iterator[list[str]]:
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    try:
        with open(path, encoding="utf-8", errors="replace", newline="") as handle:
            yield from csv.reader(handle)
    except OSError as exc:
        raise MedpolicyError(f"cannot read {path}: {exc.strerror}") from None
    except csv.Error as exc:
        raise MedpolicyError(f"{path}: not readable as CSV ({exc})") from None


def csv_header(path: str) -> list[str]:
    """The column names of a CSV file's header row."""
    for row in _rows(path):
        header = [name.strip().lstrip("\ufeff").strip() for name in row]
        if len(set(header)) != len(header):
            raise MedpolicyError(f"{path}: the header names a column twice: {', '.join(row)}")
        return header
    raise MedpolicyError(f"{path}: is empty; a CSV file of claim lines starts with a header row")


def stage_csv(path: str, target: Path) -> list[str]:
    """Write ``path`` as Parquet to ``target`` (every column text, plus ``_row`` and
    ``_error``) and return the header's column names."""
    rows = _rows(path)
    header = [name.strip().lstrip("\ufeff").strip() for name in next(rows)]
    schema = pa.schema(
        [(name, pa.string()) for name in header] + [("_row", pa.int64()), ("_error", pa.string())]
    )
    width = len(header)
    with pq.ParquetWriter(target, schema) as writer:
        columns: list[list[str | None]] = [[] for _ in range(width)]
        numbers: list[int] = []
        errors: list[str | None] = []
        for number, row in enumerate(rows, start=1):
            if not row:
                continue
            problem = _problem(row, width)
            if problem is None:
                for index, value in enumerate(row):
                    columns[index].append(value)
            else:
                for column in columns:
                    column.append(None)
            numbers.append(number)
            errors.append(problem)
            if len(numbers) >= _CHUNK:
                writer.write_table(_table(schema, columns, numbers, errors))
                columns, numbers, errors = [[] for _ in range(width)], [], []
        writer.write_table(_table(schema, columns, numbers, errors))
    return header


def _problem(row: list[str], width: int) -> str | None:
    if len(row) != width:
        return (
            f"record: has {len(row)} fields where the header has {width}; "
            "accepted: one field per header column"
        )
    if any("\ufffd" in value for value in row):
        return "record: is not UTF-8 text; accepted: a CSV file encoded as UTF-8"
    return None


def _table(
    schema: pa.Schema,
    columns: list[list[str | None]],
    numbers: list[int],
    errors: list[str | None],
) -> pa.Table:
    arrays = [pa.array(column, pa.string()) for column in columns]
    arrays += [pa.array(numbers, pa.int64()), pa.array(errors, pa.string())]
    return pa.Table.from_arrays(arrays, schema=schema)
