"""Exact Poisson counts from per-sample seeds: NumPy's sampler, one generator per sample.

Sample ``i``'s counts come from ``numpy.random.default_rng([seed_i, stream])`` only, so a batch
slice reproduces exactly the counts of those samples and CPU and CUDA batches get the same
values (the counts are drawn on the CPU, then moved). NumPy's ``Generator.poisson`` is exact
(multiplication method below rate 10, Hormann's PTRS rejection above) and, measured here,
faster per element than a batched torch inverse CDF (several times), a Cornish-Fisher normal
approximation (about as fast, not exact) and ``torch.poisson`` with a per-sample generator
(exact, but slower). Samples run on a thread pool: NumPy releases the GIL while it draws.
"""

from __future__ import annotations

import numpy as np
import torch

from .threads import thread_pool


def _draw(rate: np.ndarray, seed: int, stream: int) -> np.ndarray:
    return np.random.default_rng([seed, stream]).poisson(rate).astype(rate.dtype)


@torch.library.custom_op("mmr_augment::poisson_counts_cpu", mutates_args=())
def poisson_counts_cpu(rates: torch.Tensor, seeds: torch.Tensor, stream: int) -> torch.Tensor:
    """Counts for CPU ``rates`` ``(B, ...)`` in ``[0, 2**50]``: one NumPy generator per sample
    on the thread pool. A custom operator: ``torch.compile`` sees one node, no graph break."""
    array = rates.numpy()
    seeds_list = [int(s) for s in seeds.tolist()]
    if len(seeds_list) == 1:
        counts = [_draw(array[0], seeds_list[0], stream)]
    else:
        counts = list(thread_pool().map(_draw, array, seeds_list, [stream] * len(seeds_list)))
    return torch.from_numpy(np.stack(counts))


@poisson_counts_cpu.register_fake
def _(rates: torch.Tensor, seeds: torch.Tensor, stream: int) -> torch.Tensor:
    return torch.empty_like(rates)


def poisson_counts(rate: torch.Tensor, seeds: torch.Tensor, stream: int = 0) -> torch.Tensor:
    """Poisson counts with per-element ``rate`` ``(B, ...)``, noise from one seed per sample.

    Rows are independent: a batch slice gives that sample's counts; a zero (or negative)
    rate gives a zero count.

    Args:
        rate: non-negative expected counts, float32 or float64.
        seeds: ``(B,)`` int64 seeds.
        stream: independent stream number for the same seeds.

    Returns:
        Counts with ``rate``'s shape, dtype and device.

    Example:
        >>> rate = torch.full((2, 4000), 3.0, dtype=torch.float64)
        >>> n = poisson_counts(rate, torch.tensor([5, 6]))
        >>> bool(torch.equal(n[1:], poisson_counts(rate[1:], torch.tensor([6]))))
        True
        >>> round(n.mean().item()), round(n.var().item())
        (3, 3)
    """
    # NumPy refuses rates near 2**63; such rates only come from out-of-range input, whose
    # output is clamped anyway
    rates = rate.detach().clamp(0.0, 2.0**50).cpu().contiguous()
    counts = poisson_counts_cpu(rates, seeds.cpu(), int(stream))
    return counts.to(rate.device, non_blocking=True)
