"""Where chunks run: local processes (default) or a Ray cluster through Ray Data.

Both engines hand the same :class:`~.cells.Chunk` objects to the same
:func:`~.cells.run_chunk`, and the caller writes each cell from the returned rows in sample
order, so the output files do not depend on the engine, the worker count or completion order.
"""

from __future__ import annotations

import functools
import json
import multiprocessing
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any

import numpy as np
import torch

from ..errors import ConfigError
from .cells import Chunk, CorruptionJob, run_chunk

ENGINES = ("local", "ray")
Rows = list[dict[str, Any]]


# The job of this worker process, sent once by _start_worker rather than with every chunk.
_WORKER_JOB: dict[str, CorruptionJob] = {}


def _start_worker(job: CorruptionJob) -> None:
    torch.set_num_threads(1)
    _WORKER_JOB["job"] = job


def _run_in_worker(chunk: Chunk) -> Rows:
    return run_chunk(_WORKER_JOB["job"], chunk)


def run_local(job: CorruptionJob, chunks: list[Chunk], workers: int
              ) -> Iterator[tuple[Chunk, Rows]]:
    """Run ``chunks`` in ``workers`` spawned processes (in this process for ``workers=1``);
    yields ``(chunk, rows)`` as they finish."""
    if workers <= 1 or len(chunks) <= 1:
        for chunk in chunks:
            yield chunk, run_chunk(job, chunk)
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(min(workers, len(chunks)), mp_context=context,
                             initializer=_start_worker, initargs=(job,)) as pool:
        futures = {pool.submit(_run_in_worker, c): c for c in chunks}
        for future in as_completed(futures):
            yield futures[future], future.result()


def _ray_batch(job: CorruptionJob, chunks: list[Chunk], batch: dict[str, np.ndarray]
               ) -> dict[str, np.ndarray]:
    torch.set_num_threads(1)
    numbers = [int(i) for i in batch["chunk"]]
    rows = [json.dumps(run_chunk(job, chunks[i])) for i in numbers]
    return {"chunk": np.array(numbers, dtype=np.int64), "rows": np.array(rows, dtype=object)}


def run_ray(job: CorruptionJob, chunks: list[Chunk]) -> Iterator[tuple[Chunk, Rows]]:
    """Run ``chunks`` as Ray Data ``map_batches`` tasks (one chunk per batch) on the cluster
    that ``ray.init()`` joins (``RAY_ADDRESS``, or a local one); an already initialised Ray is
    used as it is."""
    try:
        import ray
    except ImportError:
        raise ConfigError("--engine ray needs Ray Data: pip install 'mmr[ray]'") from None
    if not ray.is_initialized():
        ray.init()
    items = ray.data.from_items([{"chunk": i} for i in range(len(chunks))],
                                override_num_blocks=max(1, len(chunks)))
    work: Callable[..., Any] = functools.partial(_ray_batch, job, chunks)
    for row in items.map_batches(work, batch_size=1, num_cpus=1).iter_rows():
        yield chunks[int(row["chunk"])], json.loads(row["rows"])
