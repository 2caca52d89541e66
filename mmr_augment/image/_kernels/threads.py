"""One shared thread pool for per-sample work in C libraries that release the GIL."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache


@lru_cache(maxsize=1)
def thread_pool() -> ThreadPoolExecutor:
    """The process-wide pool (one worker per CPU, at most 8), made on first use."""
    return ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1),
                              thread_name_prefix="mmr-image")
