"""One shared thread pool for per-sample work in C libraries that release the GIL."""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache

import torch


@lru_cache(maxsize=1)
def thread_pool() -> ThreadPoolExecutor:
    """The process-wide pool (one worker per CPU, at most 8), made on first use."""
    return ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1),
                              thread_name_prefix="mmr-image")


def run_in_slices(work: Callable[[int, int], None], count: int) -> None:
    """``work(start, stop)`` over ``range(count)`` cut into one contiguous slice per torch
    thread, on the pool (on the caller's thread when that is one slice). A task per slice, not
    per sample: fewer hand-overs, and each thread walks its samples in memory order.

    Example:
        >>> seen = []
        >>> run_in_slices(lambda start, stop: seen.extend(range(start, stop)), 5)
        >>> sorted(seen)
        [0, 1, 2, 3, 4]
    """
    step = -(-count // max(1, min(torch.get_num_threads(), count)))
    if step >= count:
        work(0, count)
        return
    list(thread_pool().map(work, range(0, count, step),
                           [min(start + step, count) for start in range(0, count, step)]))
