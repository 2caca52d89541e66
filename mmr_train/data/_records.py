"""Stream manifest records from CSV (optionally ``.gz``) or JSONL, one dict at a time.

Both readers yield ``(row_number, record)``: for CSV the data record count from 1 (header
excluded; a quoted report with newlines is still one row), for JSONL the line number. Nothing
is held in memory beyond the current record, so huge manifests stream.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mmr_augment.errors import InputError

#: File suffixes read as CSV and as JSON Lines (each may end in ``.gz``).
CSV_SUFFIXES = (".csv",)
JSONL_SUFFIXES = (".jsonl", ".ndjson")


def manifest_format(path: Path) -> str:
    """``"csv"`` or ``"jsonl"`` from the file name.

    Example:
        >>> manifest_format(Path("train.csv.gz")), manifest_format(Path("a.jsonl"))
        ('csv', 'jsonl')
    """
    name = path.name.lower().removesuffix(".gz")
    if name.endswith(CSV_SUFFIXES):
        return "csv"
    if name.endswith(JSONL_SUFFIXES):
        return "jsonl"
    raise InputError(f"manifest {path}: unknown format; name it .csv or .jsonl (optionally "
                     f"followed by .gz)")


def open_text(path: Path) -> io.TextIOBase:
    """Open ``path`` (plain or ``.gz``) as UTF-8 text with universal newlines off (CSV-safe)."""
    if path.name.lower().endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8", newline="")
    return open(path, encoding="utf-8", newline="")


def csv_records(stream: io.TextIOBase, source: str) -> tuple[list[str], Iterator]:
    """The header and an iterator of ``(row, record)``; ragged rows raise naming the row."""
    reader = csv.reader(stream)
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise InputError(f"{source} is empty; a manifest needs a header row (id,image,report,"
                         f"...)") from None

    def records() -> Iterator[tuple[int, dict[str, Any]]]:
        for number, cells in enumerate(reader, 1):
            if not cells:
                continue
            if len(cells) != len(header):
                raise InputError(f"{source} row {number}: {len(cells)} cells but the header "
                                 f"has {len(header)}; quote cells that hold commas or newlines")
            yield number, dict(zip(header, cells))

    return header, records()


def jsonl_records(stream: io.TextIOBase, source: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(line, record)`` per non-blank line; invalid JSON or a non-object raises naming it."""
    for number, line in enumerate(stream, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            raise InputError(f"{source} row {number}: not valid JSON ({err.msg}); write one "
                             f"JSON object per line") from None
        if not isinstance(record, dict):
            raise InputError(f"{source} row {number}: expected a JSON object, got "
                             f"{type(record).__name__}")
        yield number, record
