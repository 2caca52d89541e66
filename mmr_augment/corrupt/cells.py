"""The work of ``mmr-augment corrupt``: cells (family x severity), chunks, keyed params.

A :class:`Cell` is one corrupted copy (``clean`` / severity 0 is the unperturbed copy that text
cells point their images to); a :class:`Chunk` is a run of samples of one cell, the unit both
engines hand to a worker. Sample ``i`` of a cell gets params drawn from a generator seeded by
:func:`sample_seed` ``(seed, family, severity, id)`` alone, so they do not depend on chunking,
engine or worker; :func:`run_chunk` writes the chunk's images and returns one row per sample.

Example:
    >>> sample_seed(0, "jpeg", 3, "a") == sample_seed(0, "jpeg", 3, "a") != sample_seed(
    ...     0, "jpeg", 3, "b")
    True
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from ..io import read_image, write_png
from ..keyed import key_seed, keyed_params, stack_params
from .families import CorruptionFamily
from .source import SourceTable

CLEAN = "clean"


@dataclass(frozen=True)
class Cell:
    """One corrupted copy: a family at a severity (``clean`` at 0: the clean copy)."""

    family: str
    severity: int

    @property
    def folder(self) -> str:
        """Images, params and done-file, relative to the output folder."""
        return CLEAN if self.family == CLEAN else f"{self.family}/s{self.severity}"

    @property
    def manifest(self) -> str:
        """The cell's manifest, in the output folder (the data root of every path in it)."""
        return f"{CLEAN}.csv" if self.family == CLEAN else f"{self.family}-s{self.severity}.csv"


@dataclass(frozen=True)
class Chunk:
    """Samples ``start:stop`` of one cell."""

    cell: Cell
    start: int
    stop: int


@dataclass
class CorruptionJob:
    """What every worker needs (picklable): the table, output folder, seed and families."""

    table: SourceTable
    out: Path
    seed: int
    families: dict[str, CorruptionFamily]

    def chunks(self, cells: list[Cell], size: int) -> list[Chunk]:
        """Every cell cut into chunks of ``size`` samples, in cell order."""
        n = len(self.table.rows)
        return [Chunk(c, s, min(s + size, n)) for c in cells for s in range(0, n, size)]


def sample_seed(seed: int, family: str, severity: int, sample_id: str) -> int:
    """A 63-bit seed from ``(seed, family, severity, sample id)`` only."""
    return key_seed(seed, family, severity, sample_id)


def _image_file(cell: Cell, index: int) -> str:
    return f"{cell.folder}/images/{index:06d}.png"


def _write(out: Path, relative: str, image: torch.Tensor) -> str:
    path = out / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    write_png(path, image, bits=16 if image.shape[0] == 1 else 8)
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run_chunk(job: CorruptionJob, chunk: Chunk) -> list[dict[str, Any]]:
    """Corrupt one chunk: write its images, return ``{index, image, sha256, report, params}``
    per sample (``params``: the op's replayable log for that one sample, or None)."""
    cell, table = chunk.cell, job.table
    rows = table.rows[chunk.start:chunk.stop]
    index = list(range(chunk.start, chunk.stop))
    reports = [table.report(r) for r in rows]
    out = [{"index": i, "image": _image_file(Cell(CLEAN, 0), i), "sha256": None,
            "report": t, "params": None} for i, t in zip(index, reports)]
    if cell.family == CLEAN:
        for row, r in zip(out, rows):
            row["sha256"] = _write(job.out, row["image"], read_image(table.image_path(r)))
        return out
    family = job.families[cell.family]
    op = family.op(cell.severity)
    seeds = [sample_seed(job.seed, cell.family, cell.severity, r["id"]) for r in rows]
    per_sample = [keyed_params(op, [s]) for s in seeds]
    for row, p in zip(out, per_sample):
        row["params"] = op.log(p)
    if family.modality == "text":
        result = op.apply(reports, stack_params(per_sample))
        for row, text in zip(out, result.texts):
            row["report"] = text
        return out
    images = [read_image(table.image_path(r)) for r in rows]
    by_shape: dict[tuple[int, ...], list[int]] = {}
    for j, image in enumerate(images):
        by_shape.setdefault(tuple(image.shape), []).append(j)
    for group in by_shape.values():
        batch = op.apply(torch.stack([images[j] for j in group]),
                         stack_params([per_sample[j] for j in group]))
        for j, image in zip(group, batch):
            out[j]["image"] = _image_file(cell, index[j])
            out[j]["sha256"] = _write(job.out, out[j]["image"], image)
    return out
