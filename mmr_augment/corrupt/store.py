"""A finished cell on disk: its manifest, its per-sample params and a done-file of checksums.

``<out>/<family>-s<severity>.csv``: the source manifest with ``image`` pointing at the cell's
image (text cells: the clean copy's) and ``report`` holding the cell's report text
(``report_path`` dropped); every other column as in the source. Paths are relative to
``<out>``, so the manifest loads as it is.
``<out>/<family>/s<severity>/params.jsonl``: per sample ``{"id", "log"}``, where ``log`` is
the op's replayable record (:func:`mmr_augment.replay` of it on the clean sample gives the
corrupted one before PNG rounding).
``<out>/<family>/s<severity>/done.json``: the settings the cell was built with and the sha256 of
every file it wrote; :func:`is_complete` re-hashes them, so a rerun skips only cells whose
files are all there, intact and built from the same source, seed and op.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
from pathlib import Path
from typing import Any

from .cells import CLEAN, Cell, CorruptionJob

DONE_FILE = "done.json"


def cell_settings(job: CorruptionJob, cell: Cell) -> dict[str, Any]:
    """What a finished cell must have been built from to be reused."""
    op = None if cell.family == CLEAN else job.families[cell.family].op(cell.severity)
    return {"source_sha256": job.table.sha256, "seed": job.seed, "samples": len(job.table.rows),
            "op": None if op is None else op.to_config()}


def _sha(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


def is_complete(job: CorruptionJob, cell: Cell) -> bool:
    """True if ``cell``'s done-file matches the job's settings and every file verifies."""
    done = job.out / cell.folder / DONE_FILE
    try:
        record = json.loads(done.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return False
    if record.get("settings") != cell_settings(job, cell):
        return False
    return all(_sha(job.out / name) == digest for name, digest in record["files"].items())


def _atomic_write(path: Path, text: str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8", newline="")
    os.replace(tmp, path)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def write_cell(job: CorruptionJob, cell: Cell, samples: list[dict[str, Any]]) -> None:
    """Write the manifest, params and (last) the done-file of a cell from its sample rows."""
    table = job.table
    columns = [c for c in table.columns if c != "report_path"]
    columns += ["report"] if "report" not in columns else []
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore",
                            lineterminator="\n")
    writer.writeheader()
    files: dict[str, str] = {}
    params = []
    for sample in sorted(samples, key=lambda s: s["index"]):
        row = table.rows[sample["index"]]
        writer.writerow({**row, "image": sample["image"], "report": sample["report"]})
        if sample["sha256"] is not None:  # written by this cell (text cells reuse clean's)
            files[sample["image"]] = sample["sha256"]
        if sample["params"] is not None:
            params.append(json.dumps({"id": row["id"], "log": sample["params"]},
                                     sort_keys=True))
    if cell.family != CLEAN:
        params_file = f"{cell.folder}/params.jsonl"
        files[params_file] = _atomic_write(job.out / params_file, "\n".join(params) + "\n")
    files[cell.manifest] = _atomic_write(job.out / cell.manifest, buffer.getvalue())
    done = {"settings": cell_settings(job, cell), "files": files}
    _atomic_write(job.out / cell.folder / DONE_FILE, json.dumps(done, indent=1, sort_keys=True))
