"""Validate manifest records one at a time into :class:`ManifestRow` objects.

All state is O(1) per row (an id dict for duplicates, a domain table), so loading is linear.
"""

from __future__ import annotations

import difflib
import math
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mmr_augment.errors import InputError

from ._fields import MISSING_CODE, domain_key, inside_root, label_code, resolved_inside, split_name

_CORE = frozenset({"id", "image", "report", "report_path", "domain", "split"})
_SHOWN = 10  # ids listed in a duplicate / dropped message


@dataclass(slots=True)
class ManifestRow:
    """One validated sample. Paths are absolute, normalised, inside the data root.

    Attributes:
        id: sample id.
        image: image path.
        report: report text, or None when it lives in ``report_path``.
        report_path: report file, or None.
        labels: one signed byte per observation of the manifest (1, 0, -1, or 2 = not
            mentioned, which is also the value of every observation without a column).
        domain: domain index.
        split: ``train`` / ``val`` / ``test`` or None.
        row: row number in the manifest, for messages.
    """

    id: str
    image: str
    report: str | None
    report_path: str | None
    labels: bytes
    domain: int
    split: str | None
    row: int

    def label_values(self) -> tuple[float, ...]:
        """Labels as floats: 1, 0, -1, or NaN when not mentioned."""
        return tuple(math.nan if c == MISSING_CODE else float(c)
                     for c in np.frombuffer(self.labels, dtype=np.int8).tolist())


def _near_observation(column: str, observations: tuple[str, ...]) -> str | None:
    """The observation a column name is a likely misspelling of (case-insensitive), or None."""
    lowered = {o.lower(): o for o in observations}
    near = difflib.get_close_matches(column.lower(), list(lowered), n=1, cutoff=0.85)
    return lowered[near[0]] if near else None


def _listing(items: list[str]) -> str:
    more = f" and {len(items) - _SHOWN} more" if len(items) > _SHOWN else ""
    return ", ".join(items[:_SHOWN]) + more


class RowReader:
    """Accumulates validated rows; :meth:`finish` builds the manifest or raises."""

    def __init__(self, source: str, root: Path, observations: tuple[str, ...],
                 check_files: bool, drop_empty: bool, per_row_columns: bool) -> None:
        self.source, self.root, self.observations = source, root, observations
        self.check_files, self.drop_empty = check_files, drop_empty
        self.per_row_columns = per_row_columns  # JSONL: each line has its own keys
        self.rows: list[ManifestRow] = []
        self.first_row: dict[str, int] = {}
        self.duplicates: dict[str, list[int]] = {}
        self.domains: dict[str, int] = {}
        self.dropped: list[str] = []
        self.unknown: set[str] = set()
        self.known = _CORE | set(observations)
        self.label_columns: set[str] = set()
        self.real_dirs: dict[str, str] = {}  # folder -> resolved folder, for check_files

    def check_columns(self, columns: Iterable[str], metadata: frozenset[str],
                      number: int | None) -> None:
        """Required columns present, unknown ones remembered for one warning at the end."""
        columns = set(columns)
        where = self.source if number is None else f"{self.source} row {number}"
        missing = [c for c in ("id", "image") if c not in columns]
        if missing or not {"report", "report_path"} & columns:
            need = missing + ([] if {"report", "report_path"} & columns else ["report"])
            raise InputError(f"{where}: missing column(s) {need}; a manifest needs id, image "
                             f"and report (or report_path)")
        self.label_columns |= columns.intersection(self.observations)
        self.unknown |= columns - self.known - metadata

    def add(self, number: int, record: dict[str, Any], metadata: frozenset[str]) -> None:
        """Validate one record (``number`` is its row in the file)."""
        if self.per_row_columns:
            self.check_columns(record, metadata, number)
        sample_id = record.get("id")
        if isinstance(sample_id, bool) or not isinstance(sample_id, str | int):
            sample_id = ""
        sample_id = str(sample_id).strip()
        where = f"{self.source} row {number} (id {sample_id!r})"
        if not sample_id:
            raise InputError(f"{self.source} row {number}: id is empty (or not text / an int); "
                             f"give every row an id")
        image = inside_root(self.root, record.get("image"), where, "image")
        report, report_path = self._report(record, where)
        if not report and not report_path:
            if not self.drop_empty:
                raise InputError(f"{where}: the report is empty; fill it, or pass "
                                 f"drop_empty=True to drop such rows with a warning")
            self.dropped.append(repr(sample_id))
            return
        if self.check_files:
            if len(self.real_dirs) > 100_000:
                self.real_dirs.clear()
            resolved_inside(self.root, image, where, "image", self.real_dirs)
        codes = [MISSING_CODE] * len(self.observations)
        for k, name in enumerate(self.observations):
            if name in record:
                codes[k] = label_code(record[name], where, name)
        domain = 0
        if "domain" in record:
            key = domain_key(record["domain"], where)
            domain = self.domains.setdefault(key, len(self.domains))
        if sample_id in self.first_row:
            self.duplicates.setdefault(sample_id, [self.first_row[sample_id]]).append(number)
        else:
            self.first_row[sample_id] = number
        self.rows.append(ManifestRow(sample_id, image, report or None, report_path,
                                     bytes(c % 256 for c in codes),
                                     domain, split_name(record.get("split"), where), number))

    def _report(self, record: dict[str, Any], where: str) -> tuple[str, str | None]:
        text = record.get("report")
        if text is not None and not isinstance(text, str):
            raise InputError(f"{where}: report must be text, got {type(text).__name__}")
        if text and text.strip():
            return text, None
        if not record.get("report_path"):
            return "", None
        path = inside_root(self.root, record["report_path"], where, "report_path")
        if self.check_files:
            real = resolved_inside(self.root, path, where, "report_path", self.real_dirs)
            if not real.read_text(encoding="utf-8", errors="replace").strip():
                return "", None
        return "", path

    def finish(self, manifest_type: type) -> Any:
        """Raise for duplicates, warn for unknown columns / dropped rows, build the manifest."""
        if self.duplicates:
            listed = [f"{k!r} (rows {', '.join(map(str, v))})" for k, v in self.duplicates.items()]
            raise InputError(f"{self.source}: duplicate ids {_listing(listed)}; ids must be "
                             f"unique (e.g. use the image file name)")
        misspelt = {c: near for c in sorted(self.unknown)
                     if (near := _near_observation(c, self.observations))}
        if misspelt:
            listed = ", ".join(f"{c!r} (did you mean {near!r}?)" for c, near in misspelt.items())
            raise InputError(f"{self.source}: column(s) {listed} look like misspelt label "
                             f"columns, whose labels would be lost; rename them to the "
                             f"observation names, or pass observations= with the names used")
        if self.unknown:
            warnings.warn(f"{self.source}: ignoring unknown column(s) {sorted(self.unknown)}",
                          stacklevel=3)
        if self.dropped:
            warnings.warn(f"{self.source}: dropped {len(self.dropped)} row(s) with an empty "
                          f"report: {_listing(self.dropped)}", stacklevel=3)
        domains = self.domains
        if domains and all(k.isdigit() for k in domains):
            table = {index: int(key) for key, index in domains.items()}
            for row in self.rows:
                row.domain = table[row.domain]
            domains = {key: int(key) for key in domains}
        labels = tuple(o for o in self.observations if o in self.label_columns)
        return manifest_type(self.rows, self.root, self.observations, labels, domains,
                             self.source)
