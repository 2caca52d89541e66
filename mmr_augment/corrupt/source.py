"""The dataset to corrupt: a CSV / JSONL manifest (``id``, ``image``, ``report`` or
``report_path``, any other columns), the same format ``mmr_train`` reads.

Other columns (labels, domain, split, ...) are carried into every corrupted manifest as they
are. Image and report paths are relative to the manifest's folder and may not leave it.

Example:
    >>> import tempfile
    >>> from mmr_augment.synthetic import write
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     table = read_source(write(tmp, 2, 32))
    ...     len(table.rows), table.rows[1]["id"], table.report(table.rows[1])[:9]
    (2, '1', 'FINDINGS:')
"""

from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError


@dataclass
class SourceTable:
    """Rows of a manifest (``str`` values), its folder, column order and checksum."""

    rows: list[dict[str, str]]
    root: Path
    columns: list[str]
    sha256: str
    path: Path

    def image_path(self, row: dict[str, str]) -> Path:
        """The row's image file, checked to lie inside :attr:`root`."""
        return self._inside(row, "image")

    def report(self, row: dict[str, str]) -> str:
        """The row's report text (read from ``report_path`` when ``report`` is empty)."""
        if row.get("report"):
            return row["report"]
        if not row.get("report_path"):
            raise InputError(f"{self.path}: row {row['id']!r} has no report; fill report or "
                             f"report_path")
        return self._inside(row, "report_path").read_text(encoding="utf-8")

    def _inside(self, row: dict[str, str], column: str) -> Path:
        path = (self.root / row[column]).resolve()
        if not path.is_relative_to(self.root):
            raise InputError(f"{self.path}: row {row['id']!r}: {column} {row[column]!r} lies "
                             f"outside the manifest's folder {self.root}")
        if not path.is_file():
            raise InputError(f"{self.path}: row {row['id']!r}: {column} file {path} not found")
        return path


def _plain(value: Any) -> str:
    return "" if value is None else value if isinstance(value, str) else json.dumps(value)


def read_source(path: str | Path) -> SourceTable:
    """Read a ``.csv`` or ``.jsonl`` manifest; errors name the file and the row."""
    file = Path(path)
    if not file.is_file():
        raise InputError(f"manifest {file} not found; check the path")
    data = file.read_bytes()
    text = data.decode("utf-8-sig")
    if file.suffix.lower() == ".jsonl":
        rows, columns = [], {}
        for number, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as err:
                    raise InputError(f"{file} line {number}: not JSON ({err})") from None
                rows.append({k: _plain(v) for k, v in record.items()})
                columns.update(dict.fromkeys(record))
        columns = list(columns)
    elif file.suffix.lower() == ".csv":
        reader = csv.DictReader(text.splitlines(keepends=True))
        rows = [{k: v or "" for k, v in row.items()} for row in reader]
        columns = list(reader.fieldnames or [])
    else:
        raise InputError(f"{file}: a manifest is a .csv or .jsonl file")
    missing = {"id", "image"} - set(columns)
    if missing or not {"report", "report_path"} & set(columns):
        raise InputError(f"{file}: a manifest needs the columns id, image and report (or "
                         f"report_path); it has {columns}")
    seen: set[str] = set()
    for number, row in enumerate(rows, 1):
        if not row.get("id") or not row.get("image"):
            raise InputError(f"{file} row {number}: empty id or image")
        if row["id"] in seen:
            raise InputError(f"{file} row {number}: duplicate id {row['id']!r}")
        seen.add(row["id"])
    if not rows:
        raise InputError(f"{file} has no rows")
    return SourceTable(rows, file.parent.resolve(), columns, hashlib.sha256(data).hexdigest(),
                       file)
