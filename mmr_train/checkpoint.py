"""Atomic, versioned training checkpoints that load with ``torch.load(weights_only=True)``.

Writing: the payload goes to a temporary file in the checkpoint's folder, is flushed and
``fsync``-ed, moved over the final name with ``os.replace`` (atomic on POSIX), and the folder is
``fsync``-ed; a crash at any point leaves either the old or the new file, never a half one.
A ``latest`` pointer file names the newest checkpoint; only the last ``keep_last`` are kept.
Payloads hold tensors and primitive containers only (no pickled objects), so loading never
executes code; a file that needs more is refused with :class:`CheckpointError`.

Example:
    >>> import tempfile
    >>> folder = tempfile.mkdtemp()
    >>> manager = CheckpointManager(folder, keep_last=2)
    >>> for step in (1, 2, 3):
    ...     _ = manager.save({"weights": torch.ones(2) * step}, step)
    >>> sorted(p.name for p in manager.checkpoints()), manager.latest().name
    (['step_00000002.pt', 'step_00000003.pt'], 'step_00000003.pt')
    >>> load_checkpoint(manager.latest())["weights"].tolist()
    [3.0, 3.0]
"""

from __future__ import annotations

import errno
import os
import pickle
import re
import signal
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

import torch

from mmr_augment.errors import MMRError

FORMAT = "mmr_train.checkpoint"
VERSION = 1
LATEST = "latest"
#: Fault injection for the crash tests: ``kill_after_checkpoint:STEP`` or
#: ``kill_during_checkpoint:STEP`` makes the process SIGKILL itself at that point.
FAULT_ENV = "MMR_TRAIN_FAULT"


class CheckpointError(MMRError, OSError):
    """A checkpoint could not be written or read; the message says what to do."""


def _serialize(obj: Any, stream: BinaryIO) -> None:
    torch.save(obj, stream)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_save(obj: Any, path: str | Path, before_replace: Callable[[], None] | None = None
                ) -> Path:
    """``torch.save(obj)`` to ``path`` atomically (temp file, fsync, ``os.replace``)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with open(tmp, "wb") as stream:
            _serialize(obj, stream)
            stream.flush()
            os.fsync(stream.fileno())
        if before_replace is not None:
            before_replace()
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    except BaseException as e:
        tmp.unlink(missing_ok=True)
        if isinstance(e, OSError) and e.errno == errno.ENOSPC:
            raise CheckpointError(errno.ENOSPC, f"no space left on the device while writing "
                                  f"{path}; the previous checkpoint is intact, free some "
                                  f"space (or lower train.keep_last) and resume") from e
        if isinstance(e, OSError) and not isinstance(e, CheckpointError):
            raise CheckpointError(e.errno, f"could not write checkpoint {path}: {e}") from e
        raise
    return path


def load_checkpoint(path: str | Path, map_location: str | torch.device = "cpu"
                    ) -> dict[str, Any]:
    """Read a checkpoint written by :class:`CheckpointManager` (tensors and primitives only)."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(errno.ENOENT, f"checkpoint not found: {path}")
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as e:
        if "weights only" in str(e).lower():
            raise CheckpointError(f"{path} holds pickled Python objects; refusing to load it "
                                  f"(checkpoints may hold only tensors and plain containers). "
                                  f"Load it only if you trust it, and re-save its tensors") \
                from None
        raise CheckpointError(f"{path} is truncated or corrupt ({e}); resume from an earlier "
                              f"checkpoint") from None
    except (RuntimeError, EOFError, zipfile.BadZipFile, ValueError) as e:
        raise CheckpointError(f"{path} is truncated or corrupt ({e}); resume from an earlier "
                              f"checkpoint") from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not an mmr_train checkpoint (no format tag)")
    if state.get("version") != VERSION:
        raise CheckpointError(f"{path} has checkpoint format version {state.get('version')}, "
                              f"this mmr_train reads version {VERSION}; use the mmr_train "
                              f"release that wrote it")
    return state


def _fault(kind: str, step: int) -> bool:
    return os.environ.get(FAULT_ENV, "") == f"{kind}:{step}"


def _kill_self() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


class CheckpointManager:
    """``step_XXXXXXXX.pt`` files plus a ``latest`` pointer in one folder (rank 0 writes)."""

    def __init__(self, folder: str | Path, keep_last: int = 3) -> None:
        self.folder = Path(folder)
        self.keep_last = max(1, int(keep_last))

    def path(self, step: int) -> Path:
        """File name of the checkpoint of ``step``."""
        return self.folder / f"step_{step:08d}.pt"

    def checkpoints(self) -> list[Path]:
        """Complete checkpoint files, oldest first."""
        return sorted(self.folder.glob("step_*.pt"))

    def latest(self) -> Path | None:
        """The checkpoint the ``latest`` pointer names (else the newest file), or None."""
        pointer = self.folder / LATEST
        if pointer.is_file():
            name = pointer.read_text(encoding="utf-8").strip()
            # only a checkpoint file of this folder: the pointer may come from elsewhere
            if re.fullmatch(r"step_\d+\.pt", name) and (self.folder / name).is_file():
                return self.folder / name
        files = self.checkpoints()
        return files[-1] if files else None

    def remove_stale(self) -> None:
        """Delete temporary files left by a process killed while writing."""
        for tmp in self.folder.glob(".*.tmp-*"):
            tmp.unlink(missing_ok=True)

    def save(self, state: dict[str, Any], step: int) -> Path:
        """Write ``state`` (tagged with format and version) for ``step``, move ``latest``
        and drop all but the last ``keep_last`` checkpoints."""
        self.folder.mkdir(parents=True, exist_ok=True)
        payload = {"format": FORMAT, "version": VERSION, **state}
        hook = _kill_self if _fault("kill_during_checkpoint", step) else None
        path = atomic_save(payload, self.path(step), before_replace=hook)
        pointer = self.folder / LATEST
        tmp = pointer.with_name(f".{LATEST}.tmp-{os.getpid()}")
        tmp.write_text(path.name, encoding="utf-8")
        os.replace(tmp, pointer)
        _fsync_dir(self.folder)
        for old in self.checkpoints()[: -self.keep_last]:
            old.unlink(missing_ok=True)
        if _fault("kill_after_checkpoint", step):
            _kill_self()
        return path
