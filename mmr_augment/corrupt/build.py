"""``build_corruptions``: a corrupted copy of a dataset per family and severity (a "-C" set).

Example:
    >>> import tempfile
    >>> from mmr_augment.synthetic import write
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     source = write(f"{tmp}/src", 3, 32)
    ...     first = build_corruptions(source, f"{tmp}/c", ["jpeg"], (1, 5), progress=False)
    ...     again = build_corruptions(source, f"{tmp}/c", ["jpeg"], (1, 5), progress=False)
    >>> first.built, again.built, again.skipped
    (['clean', 'jpeg-s1', 'jpeg-s5'], [], ['clean', 'jpeg-s1', 'jpeg-s5'])
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ConfigError
from .cells import CLEAN, Cell, CorruptionJob
from .engines import ENGINES, run_local, run_ray
from .families import corruption_families
from .source import read_source
from .store import is_complete, write_cell


@dataclass
class CorruptionSummary:
    """Cells (named by their manifest's stem) built by this call and skipped as complete."""

    out: Path
    built: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def build_corruptions(manifest: str | Path, out: str | Path, families: Sequence[str],
                      severities: Sequence[int] = (1, 2, 3, 4, 5), *, seed: int = 0,
                      engine: str = "local", workers: int | None = None,
                      chunk_size: int = 32, progress: bool = True) -> CorruptionSummary:
    """Write the clean copy and every ``family`` x ``severity`` copy of ``manifest`` into
    ``out`` (layout in :mod:`mmr_augment.corrupt.store`), skipping verified complete cells.

    Args:
        manifest: source CSV / JSONL manifest (:mod:`mmr_augment.corrupt.source`).
        out: output folder.
        families: family names (:func:`~mmr_augment.corrupt.corruption_families`).
        severities: severities 1..5.
        seed: base seed; sample params come from ``(seed, family, severity, sample id)``.
        engine: ``"local"`` (processes on this machine) or ``"ray"`` (Ray Data).
        workers: local processes (default: CPU count); ignored by Ray.
        chunk_size: samples per task.
        progress: show a progress bar over samples.
    """
    from tqdm import tqdm

    if engine not in ENGINES:
        raise ConfigError(f"engine must be one of {ENGINES}, got {engine!r}")
    if chunk_size < 1:
        raise ConfigError(f"chunk_size must be >= 1, got {chunk_size}")
    known = corruption_families("all" if _needs_text(families) else "image")
    unknown = [f for f in families if f not in known]
    if unknown:
        raise ConfigError(f"unknown corruption families {unknown}; see corruption_families()")
    job = CorruptionJob(read_source(manifest), Path(out), int(seed),
                        {f: known[f] for f in families})
    cells = [Cell(CLEAN, 0)] + [Cell(f, int(s)) for f in families for s in severities]
    summary = CorruptionSummary(job.out)
    todo = []
    for cell in cells:
        done = is_complete(job, cell)
        (summary.skipped if done else summary.built).append(Path(cell.manifest).stem)
        if not done:
            todo.append(cell)
    chunks = job.chunks(todo, chunk_size)
    pending = {cell: sum(c.cell == cell for c in chunks) for cell in todo}
    rows: dict[Cell, list] = {cell: [] for cell in todo}
    runs = run_ray(job, chunks) if engine == "ray" else run_local(
        job, chunks, workers or os.cpu_count() or 1)
    with tqdm(total=sum(c.stop - c.start for c in chunks), unit="sample", desc="corrupt",
              disable=not progress) as bar:
        for chunk, chunk_rows in runs:
            rows[chunk.cell] += chunk_rows
            pending[chunk.cell] -= 1
            if pending[chunk.cell] == 0:
                write_cell(job, chunk.cell, rows.pop(chunk.cell))
            bar.update(chunk.stop - chunk.start)
    return summary


def _needs_text(families: Sequence[str]) -> bool:
    return not set(families) <= set(corruption_families("image"))
