"""Training metrics: a JSON-lines log and a progress bar (rank 0 only).

Each line of ``metrics.jsonl`` is one logged step: ``step``, ``epoch``, ``lr``, the per-term
losses (``mim``, ``mlm``, ``itc``, ``consistency``, ``resilience``) and their weighted
``total`` (means over ranks), ``grad_norm``, ``step_time_s`` and ``samples_per_s``.

Example:
    >>> import tempfile
    >>> log = MetricsLog(Path(tempfile.mkdtemp()) / "metrics.jsonl")
    >>> for step in (1, 2, 3):
    ...     log.write({"step": step, "total": 1.0 / step})
    >>> log.truncate_after(2)
    >>> [row["step"] for row in log.read()]
    [1, 2]
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from tqdm import tqdm


class MetricsLog:
    """Append-only JSONL log; :meth:`truncate_after` drops steps a crash made stale."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def write(self, row: dict[str, Any]) -> None:
        """Append one row (flushed, so a killed run keeps what it logged)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps(row, sort_keys=False) + "\n")

    def read(self) -> list[dict[str, Any]]:
        """Every complete row."""
        if not self.path.is_file():
            return []
        rows = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                continue  # a line cut short by a crash
        return rows

    def truncate_after(self, step: int) -> None:
        """Keep only rows with ``step <= step`` (a resumed run logs the later ones again)."""
        if not self.path.is_file():
            return
        kept = [r for r in self.read() if int(r.get("step", 0)) <= step]
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text("".join(json.dumps(r) + "\n" for r in kept), encoding="utf-8")
        os.replace(tmp, self.path)


def progress_bar(total: int, initial: int, enabled: bool) -> tqdm:
    """A tqdm bar over optimizer steps, shown only when ``enabled`` and stderr is a TTY."""
    return tqdm(total=total, initial=initial, unit="step", dynamic_ncols=True,
                disable=not (enabled and sys.stderr.isatty()))
