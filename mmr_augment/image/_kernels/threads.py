"""Where mmr's per-sample work in C libraries that release the GIL runs: torch's own OpenMP
team where it can be used (:mod:`.openmp`), else one shared thread pool.

A separate pool started right after a parallel torch op competes with OpenMP's spin-waiting
worker for the cores (JPEG coded 1.5x slower right after a parallel ``torch.aminmax`` of its
batch, on two cores); the team is that worker.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache

import numpy as np
import torch

from .openmp import openmp_team, run_on_team


def thread_pool() -> ThreadPoolExecutor:
    """The process-wide pool (one worker per CPU, at most 8), made on first use in each
    process: a forked child gets its own, not the parent's copy, whose threads it lacks."""
    return _process_pool(os.getpid())


@lru_cache(maxsize=1)
def _process_pool(pid: int) -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1),
                              thread_name_prefix=f"mmr-image-{pid}")


#: Values a slice should hold before a second thread is worth waking: below it, the hand-over
#: costs more than the work (two threads were slower than one for gamma, JPEG and shot noise
#: on 64 images of 28 px, about 50,000 values; faster from 64 px, 262,000).
SLICE_VALUES = 1 << 17


def slice_grain(values_per_item: int, weight: int = 1) -> int:
    """The fewest items a slice of :func:`run_in_slices` should hold, for items of
    ``values_per_item`` values each: ``weight`` times :data:`SLICE_VALUES` values (more for
    work that holds the GIL longer per value).

    Example:
        >>> slice_grain(28 * 28), slice_grain(224 * 224)
        (168, 3)
    """
    return max(1, -(-weight * SLICE_VALUES // max(1, values_per_item)))


def run_in_slices(work: Callable[[int, int], None], count: int, values: int = 0,
                  weight: int = 1) -> None:
    """``work(start, stop)`` over ``range(count)`` cut into one contiguous slice per torch
    thread, on torch's OpenMP team or else the pool (on the caller's thread when that is one
    slice). With ``values`` (all ``count`` items' values together), each slice holds at least
    :func:`slice_grain` items (``weight`` as there). A task per slice, not per sample: fewer
    hand-overs, and each thread walks its samples in memory order.

    Example:
        >>> seen = []
        >>> run_in_slices(lambda start, stop: seen.extend(range(start, stop)), 5)
        >>> sorted(seen)
        [0, 1, 2, 3, 4]
    """
    grain = slice_grain(values // max(count, 1), weight) if values else 1
    step = -(-count // max(1, min(torch.get_num_threads(), count // grain)))
    if step >= count:
        work(0, count)
        return
    slices = [(start, min(start + step, count)) for start in range(0, count, step)]
    if openmp_team() is not None:
        run_on_team(work, slices)
    else:
        list(thread_pool().map(work, *zip(*slices, strict=True)))


def eager_cpu_batch(x: torch.Tensor) -> bool:
    """Whether a kernel may take ``x`` apart in slices on torch's threads (NumPy, or torch calls
    per chunk of samples): a CPU batch outside autograd and ``torch.compile``, which need the
    batch ops.

    Example:
        >>> eager_cpu_batch(torch.zeros(1)), eager_cpu_batch(torch.zeros(1, requires_grad=True))
        (True, False)
    """
    return (x.device.type == "cpu" and not torch.compiler.is_compiling()
            and not (x.requires_grad and torch.is_grad_enabled()))


def clamp_unit(y: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``y`` clamped to ``[0, 1]`` as ``torch.clamp(0, 1)`` (inside a slice, while its samples
    are in cache, instead of a torch pass over the batch after it), written into ``out``
    (default: ``y`` itself, in place). When nothing is outside, the common case, nothing is
    written and ``y`` is returned as it is.

    Example:
        >>> y = np.array([-0.5, 0.25, 2.0], np.float32)
        >>> clamp_unit(y) is y, y.tolist()
        (True, [0.0, 0.25, 1.0])
    """
    if y.min() >= 0 and y.max() <= 1:  # NaN is "outside": np.clip keeps it, like torch
        return y
    return np.clip(y, 0, 1, out=y if out is None else out)
