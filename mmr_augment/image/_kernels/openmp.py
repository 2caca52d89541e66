"""torch's own OpenMP team as the thread pool of mmr's per-sample kernels.

After every parallel torch op, OpenMP's idle workers spin-wait for the next parallel region
(libgomp: for up to a few milliseconds). Work handed to a separate thread pool right after such
an op competes with that spinning worker for the cores: on two cores, a JPEG batch coded 1.5x
slower after a parallel ``torch.aminmax`` of it than alone. Run as an OpenMP parallel region of
torch's own libgomp instead (``GOMP_parallel`` through ctypes), the work lands on the spinning
worker itself. Each slice runs Python code that acquires the GIL and releases it in the C
library calls (NumPy, Pillow), as on a thread pool. On the team's other threads that Python
runs in a new thread state each time, so ``threading.local`` values do not last from one call
to the next: key per-thread resources by ``threading.get_native_id()`` (as the JPEG codec's
scratch file is).

The team is used where torch's parallel backend is OpenMP on libgomp (Linux wheels) in the
process that loaded it; :func:`openmp_team` is ``None`` elsewhere (another OpenMP runtime, no
``/proc``, a forked child, whose copy of the team has no threads) and the caller falls back to
its thread pool.

Example:
    >>> seen = []
    >>> if openmp_team() is not None:
    ...     run_on_team(lambda start, stop: seen.extend(range(start, stop)), [(0, 2), (2, 5)])
    ... else:
    ...     seen = [0, 1, 2, 3, 4]
    >>> sorted(seen)
    [0, 1, 2, 3, 4]
"""

from __future__ import annotations

import ctypes
import itertools
import os
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path

import torch

__all__ = ["openmp_team", "run_on_team"]

_REGION = ctypes.CFUNCTYPE(None, ctypes.c_void_p)
_PROCESS = os.getpid()  # the process that imported this; a forked child differs
_jobs: dict[int, tuple[Callable[[int, int], None], Sequence[tuple[int, int]], list]] = {}
_tokens = itertools.count(1)


def _torch_libgomp() -> Path | None:
    """The libgomp this process's torch runs its parallel regions on, if it is one."""
    if "ATen parallel backend: OpenMP" not in torch.__config__.parallel_info():
        return None
    try:
        maps = Path("/proc/self/maps").read_text().splitlines()
    except OSError:
        return None
    loaded = {Path(line.split()[-1]) for line in maps if "/libgomp" in line}
    bundled = [path for path in loaded if Path(torch.__file__).parent in path.parents]
    if len(bundled) == 1:
        return bundled[0]
    return next(iter(loaded)) if len(loaded) == 1 else None


@lru_cache(maxsize=1)
def _load() -> tuple[ctypes.CDLL, object] | None:
    path = _torch_libgomp()
    if path is None:
        return None
    try:
        lib = ctypes.CDLL(str(path))
        lib.GOMP_parallel.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_uint,
                                      ctypes.c_uint]
        lib.GOMP_parallel.restype = None
        lib.omp_get_thread_num.restype = lib.omp_get_num_threads.restype = ctypes.c_int
    except (OSError, AttributeError):
        return None
    return lib, _REGION(_region)


def openmp_team() -> ctypes.CDLL | None:
    """torch's libgomp, loaded once per process, or ``None`` where the team cannot be used
    (see the module doc)."""
    if os.getpid() != _PROCESS:
        return None  # a forked child: its libgomp may think it still has the parent's threads
    loaded = _load()
    return None if loaded is None else loaded[0]


def _region(token: int) -> None:
    """The body of the parallel region: this thread's share of the slices, strided by the
    team's size (which may be smaller than asked for)."""
    work, slices, errors = _jobs[token]
    lib = _load()[0]
    try:
        for start, stop in slices[lib.omp_get_thread_num()::lib.omp_get_num_threads()]:
            work(start, stop)
    except BaseException as error:  # noqa: BLE001 (re-raised on the caller's thread)
        errors.append(error)


def run_on_team(work: Callable[[int, int], None], slices: Sequence[tuple[int, int]]) -> None:
    """``work(start, stop)`` for each slice, one slice per thread of an OpenMP team of
    ``len(slices)`` threads; the first error raised in a slice is raised here once all have
    finished. Requires :func:`openmp_team`."""
    lib, region = _load()
    token = next(_tokens)
    errors: list[BaseException] = []
    _jobs[token] = (work, slices, errors)
    try:
        lib.GOMP_parallel(ctypes.cast(region, ctypes.c_void_p), token, len(slices), 0)
    finally:
        del _jobs[token]
    if errors:
        raise errors[0]
