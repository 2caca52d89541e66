"""Exact Poisson counts from per-sample seeds: NumPy's sampler, one generator per sample.

Sample ``i``'s counts come from ``numpy.random.default_rng([seed_i, stream])`` only, so a batch
slice reproduces exactly the counts of those samples and CPU and CUDA batches get the same
values (the counts are drawn on the CPU, then moved). NumPy's ``Generator.poisson`` is exact
(multiplication method below rate 10, Hormann's PTRS rejection above) and, measured here,
faster per element than a batched torch inverse CDF (several times), a Cornish-Fisher normal
approximation (about as fast, not exact) and ``torch.poisson`` with a per-sample generator
(exact, but slower). Samples run in slices on torch's threads (``threads.run_in_slices``):
NumPy releases the GIL while it draws.

Images stored in 8 bits take only 256 rates per photon count. :func:`poisson_scaled` uses that:
one uniform per pixel through a guide table of the exact Poisson CDF of its grey level (built
once per photon count and cached), 2-3x faster than ``Generator.poisson`` per element and the
same law; samples off that grid keep NumPy's sampler and its stream. Where at least
:data:`SHARED` samples of a batch share a photon count, most counts come straight from a table
of :data:`BUCKETS` uniform buckets per grey level (:func:`_bucket_counts`, 1 MB, cached per
photon count; the rest step up from their bucket's bound): the same counts, 8-10% less time
per sample (about 8 ms to build a table once), and runs of such samples go through the same
NumPy calls (:func:`_draw_run`), which lets the pool's two threads run 1.2-1.4x faster. That
path reads each uniform's bucket from the top bits of the raw PCG64 word it comes from and
makes the float uniform only where the bucket holds a CDF step (about 1 % of the draws): the
same counts, about a quarter less time per sample.
"""

from __future__ import annotations

import math
from collections import Counter
from functools import lru_cache

import numpy as np
import torch

from .luma import rgb_round_trip
from .pcg64 import pcg64_states, reusable_generator, seeded
from .threads import clamp_unit, run_in_slices


def _draw(rate: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return rng.poisson(rate).astype(rate.dtype)


@torch.library.custom_op("mmr_augment::poisson_counts_cpu", mutates_args=())
def poisson_counts_cpu(rates: torch.Tensor, seeds: torch.Tensor, stream: int) -> torch.Tensor:
    """Counts for CPU ``rates`` ``(B, ...)`` in ``[0, 2**50]``: one NumPy generator per sample,
    one contiguous slice of samples per pool task. A custom operator: ``torch.compile`` sees
    one node, no graph break."""
    array, counts = rates.numpy(), torch.empty_like(rates)
    target, states = counts.numpy(), pcg64_states(seeds.tolist(), stream)

    def draw_slice(start: int, stop: int) -> None:
        rng = reusable_generator()
        for i in range(start, stop):
            target[i] = _draw(array[i], seeded(rng, states[i]))

    run_in_slices(draw_slice, len(states), array.size)
    return counts


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


LEVELS = 255  # rates on the grid photons * j / 255 (8-bit images) come straight from tables
TABLE_PHOTONS = 300.0  # above this many photons at full scale: NumPy's sampler per element
BUCKET_BITS = 11
BUCKETS = 1 << BUCKET_BITS  # uniform buckets per grey level of the direct table
SHARED = 4  # samples of a batch with one photon count that pay for its direct table
RUN_VALUES = 1 << 18  # values per run of samples drawn in the same NumPy calls


@lru_cache(maxsize=64)
def _level_tables(photons: float, dtype: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """The rates ``(float(j) / 255) * photons`` in ``dtype`` (as the op computes them for an
    8-bit image), their Poisson CDFs ``(256, K)`` (last column 1) and guide tables
    ``(256, K + 1)``: ``guide[j, b]`` is the first count whose CDF exceeds ``b / K``."""
    kind = np.dtype(dtype).type
    rate = ((np.arange(LEVELS + 1, dtype=kind) / kind(LEVELS)) * kind(photons)).astype(np.float64)
    top = float(rate[-1])
    width = int(top + 12 * math.sqrt(top) + 30)
    k = torch.arange(width, dtype=torch.float64)
    lam = torch.from_numpy(rate)[:, None]
    log_pmf = k * torch.log(lam) - lam - torch.lgamma(k + 1)
    pmf = torch.where(lam > 0, torch.exp(log_pmf), (k == 0).double())
    cdf = torch.cumsum(pmf, dim=1)
    cdf[:, -1] = 1.0  # the tail past 12 standard deviations (below 1e-20) joins the last count
    bounds = torch.arange(width + 1, dtype=torch.float64) / width
    guide = torch.searchsorted(cdf, bounds.expand(LEVELS + 1, width + 1).contiguous(), right=True)
    guide[:, -1] = width - 1  # u * width rounded up to width: the last count (its CDF is 1)
    return rate, cdf.numpy().ravel(), guide.numpy().ravel(), width


@lru_cache(maxsize=8)
def _bucket_counts(photons: float, dtype: str) -> np.ndarray:
    """Per grey level ``j`` and uniform bucket ``[b, b + 1) / BUCKETS``, flat
    ``(256 * BUCKETS,)`` int16: ``n``, the number of counts whose CDF is at most ``b /
    BUCKETS``, which is the first count whose CDF exceeds every ``u`` of the bucket, or
    ``-1 - n`` where a CDF value falls inside the bucket (the count then depends on ``u``, and
    is ``n`` or above). ``BUCKETS`` is a power of 2: ``floor(u * BUCKETS)`` is exact."""
    _, cdf, _, width = _level_tables(photons, dtype)
    # a CDF rounded past 1 (the cumulative sum) is never <= u: into the unused last column
    scaled = np.minimum(cdf.reshape(LEVELS + 1, width) * BUCKETS, BUCKETS)
    rows = np.arange(LEVELS + 1)[:, None] * (BUCKETS + 1)
    size = (LEVELS + 1) * (BUCKETS + 1)
    at_most = np.bincount((rows + np.ceil(scaled).astype(np.intp)).ravel(), minlength=size)
    floor = np.floor(scaled)
    inside = np.zeros(size, bool)
    inside[(rows + floor.astype(np.intp))[scaled != floor]] = True
    n = at_most.reshape(LEVELS + 1, -1).cumsum(axis=1)
    return np.where(inside.reshape(LEVELS + 1, -1), -1 - n, n)[:, :BUCKETS].astype(
        np.int16).ravel()


def _first_above(cdf: np.ndarray, row: np.ndarray, low: np.ndarray, high: int,
                 u: np.ndarray) -> np.ndarray:
    """The first count in ``[low, high]`` whose CDF (``cdf[row + count]``, non-decreasing, 1 at
    ``high``) exceeds ``u``, by bisection on all elements at once: what stepping up from
    ``low`` finds, in at most ``log2(high) + 1`` rounds."""
    high = np.full_like(low, high)
    while (low < high).any():  # where low == high, mid is it and its CDF exceeds u: no change
        mid = (low + high) >> 1
        above = cdf[row + mid] > u
        high = np.where(above, mid, high)
        low = np.where(above, low, mid + 1)
    return low


def _step_up(cdf: np.ndarray, width: int, row: np.ndarray, count: np.ndarray,
             u: np.ndarray) -> np.ndarray:
    """The first count whose CDF (``cdf[row + count]``) exceeds ``u``, from a ``count`` at or
    below it: two steps up, the few still short by bisection (u in a bucket whose counts spread
    wide: the lowest guide bucket starts at count 0, up to 90 steps below a 134-photon white)."""
    step = np.flatnonzero(cdf[row + count] <= u)
    for _ in range(2):
        count[step] += 1
        step = step[cdf[row[step] + count[step]] <= u[step]]
    if step.size:
        count[step] = _first_above(cdf, row[step], count[step] + 1, width - 1, u[step])
    return count


def _draw_levels(x: np.ndarray, photons: float, rng: np.random.Generator, out: np.ndarray,
                 direct: bool = False) -> None:
    """Counts of rate ``x * photons`` into ``out``, ``len(out) // len(x)`` independent copies
    of them (the same draws as for that many stacked copies of ``x``), from the sample's
    generator ``rng`` (:func:`~.pcg64.seeded`). ``direct`` reads most
    counts from the grey level's :func:`_bucket_counts` (made once per photon count, worth it
    when several samples share it): the same counts, about 2x faster than the guided search.
    """
    x = x.reshape(-1)
    copies = out.size // x.size
    out = out.reshape(copies, -1)
    rate = x * x.dtype.type(photons)
    if photons > TABLE_PHOTONS:  # tables too wide: NumPy's sampler (as poisson_counts)
        out[:] = _draw(np.clip(np.broadcast_to(rate, out.shape), 0.0, 2.0**50), rng)
        return
    rate_of, cdf, guide, width = _level_tables(photons, x.dtype.name)
    level = _grid_levels(x)
    off = np.flatnonzero(rate != rate_of[level].astype(x.dtype))  # none on an 8-bit image
    if off.size > x.size // 4:  # not an 8-bit image: NumPy's sampler is faster
        out[:] = _draw(np.clip(np.broadcast_to(rate, out.shape), 0.0, 2.0**50), rng)
        return
    extra, rest = off, np.zeros(0)
    if off.size:  # rates between the grid's: the level below, the rest counted apart
        near, exact = level[off], rate[off].astype(np.float64)
        rest = exact - rate_of[near]
        below = (rest < 0) & (near > 0)
        near[below] -= 1
        rest[below] = exact[below] - rate_of[near[below]]
        level[off] = near
        extra, rest = off[rest > 0], rest[rest > 0]
    if direct:  # the uniforms as the raw words they come from (the same stream)
        _table_counts(photons, x.dtype.name, level, rng.bit_generator.random_raw(out.shape),
                      out)
    else:  # the guide: the first count whose CDF exceeds the start of u's bucket
        u = rng.random(out.shape)
        out[:] = _step_up(cdf, width, np.tile(level * width, copies), guide[
            level * (width + 1) + (u * width).astype(np.intp)].reshape(-1),
            u.reshape(-1)).reshape(out.shape)
    if extra.size:  # Poisson(a) + Poisson(b) is Poisson(a + b): exact off the grid too
        out[:, extra] += rng.poisson(np.broadcast_to(rest, (copies, extra.size)))


def _draw_run(x: np.ndarray, photons: float, states: list[dict], rng: np.random.Generator,
              out: np.ndarray) -> bool:
    """:func:`_draw_levels` with ``direct`` for a run of samples ``x`` ``(n, ...)`` sharing
    ``photons`` (at most :data:`TABLE_PHOTONS`), in a few NumPy calls for the whole run (one
    generator per sample still draws its uniforms): each call hands the GIL between the pool's
    threads, so per-sample calls kept two threads from going much faster than one. The same
    counts. ``False`` (nothing written) when a rate lies off the 8-bit grid: the caller then
    draws each sample by :func:`_draw_levels`."""
    n = len(x)
    x = x.reshape(n, -1)
    raw = np.empty((n, out[0].size // x.shape[1], x.shape[1]), np.uint64)
    rate_of = _level_tables(photons, x.dtype.name)[0]
    level = _grid_levels(x)
    if (x * x.dtype.type(photons) != rate_of[level].astype(x.dtype)).any():
        return False
    for i, state in enumerate(states):
        raw[i] = seeded(rng, state).bit_generator.random_raw(raw.shape[1:])
    # out is a contiguous run of the batch (or of a slice's scratch): reshape is a view
    _table_counts(photons, x.dtype.name, level[:, None, :], raw, out.reshape(raw.shape))
    return True


def _grid_levels(x: np.ndarray) -> np.ndarray:
    """Each value's nearest grey level ``0..LEVELS`` of the 8-bit grid."""
    return np.clip(np.rint(x * x.dtype.type(LEVELS)), 0, LEVELS).astype(np.intp)


def _table_counts(photons: float, dtype: str, level: np.ndarray, raw: np.ndarray,
                  out: np.ndarray) -> None:
    """The counts of PCG64 words ``raw`` at grey levels ``level`` (broadcast to ``raw``'s
    shape) into ``out`` (``raw``'s shape). A word's uniform is ``Generator.random``'s, its top
    53 bits times ``2**-53``, so its bucket is its top ``log2(BUCKETS)`` bits: most words fall
    in a :func:`_bucket_counts` bucket of one count, the others step up from their bucket's
    bound (only those make their uniform)."""
    _, cdf, _, width = _level_tables(photons, dtype)
    bucket = (raw >> np.uint64(64 - BUCKET_BITS)).view(np.intp)
    np.add(bucket, level * BUCKETS, out=bucket)
    count = _bucket_counts(photons, dtype).take(bucket)
    out[...] = count
    near = np.flatnonzero(count < 0)
    if near.size:
        at = np.unravel_index(near, raw.shape)
        u = (raw[at] >> np.uint64(11)) * 2.0**-53
        out[at] = _step_up(cdf, width, np.broadcast_to(level, raw.shape)[at] * width,
                           -1 - count[at].astype(np.intp), u)


def _to_unit(counts: np.ndarray, photons: float, clamp: bool = True) -> None:
    """``counts / photons`` clamped to ``[0, 1]`` (unless ``clamp`` is false: the caller clamps),
    in place: the values of torch's ``div_`` by the photons in the counts' dtype and
    ``clamp_(0, 1)`` (both exact IEEE operations)."""
    np.divide(counts, counts.dtype.type(photons), out=counts)
    if clamp:
        clamp_unit(counts)


@torch.library.custom_op("mmr_augment::poisson_scaled_cpu", mutates_args=())
def poisson_scaled_cpu(samples: torch.Tensor, photons: torch.Tensor, seeds: torch.Tensor,
                       stream: int, copies: int, unit: bool, luma: bool) -> torch.Tensor:
    """:func:`poisson_scaled` on CPU tensors, one contiguous slice of samples per pool task. A
    custom operator: ``torch.compile`` sees one node, no graph break."""
    photons_list = [float(p) for p in photons.tolist()]
    array = samples.numpy()
    drawn = (copies * samples.shape[1], *samples.shape[2:])
    out = samples.new_empty(samples.shape if luma else (len(samples), *drawn))
    target = out.numpy()
    states = pcg64_states(seeds.tolist(), stream)
    shared = {p for p, n in Counter(photons_list).items() if n >= SHARED}
    per_run = max(1, RUN_VALUES // max(1, math.prod(drawn)))

    def draw_slice(start: int, stop: int) -> None:
        # with luma, each run's copies are drawn into a scratch while they are in cache
        scratch = np.empty((min(per_run, stop - start), *drawn), array.dtype) if luma else None
        rng = reusable_generator()
        i = start
        while i < stop:  # runs of samples sharing a tabled photon count, or one sample
            p = photons_list[i]
            end, tabled = i + 1, p in shared and p <= TABLE_PHOTONS
            while tabled and end < stop and end - i < per_run and photons_list[end] == p:
                end += 1
            counts = target[i:end] if scratch is None else scratch[:end - i]
            if end - i == 1 or not _draw_run(array[i:end], p, states[i:end], rng, counts):
                for k in range(i, end):
                    _draw_levels(array[k], p, seeded(rng, states[k]), counts[k - i],
                                 p in shared)
            if unit:  # the round trip clamps each copy itself
                _to_unit(counts, p, clamp=scratch is None)
            if scratch is not None:  # clamped in the round trip, and its luma after it
                rgb_round_trip(torch.from_numpy(counts), out=out[i:end]).clamp_(0.0, 1.0)
            i = end

    run_in_slices(draw_slice, len(states), math.prod(drawn) * len(states))
    return out


@poisson_scaled_cpu.register_fake
def _(samples: torch.Tensor, photons: torch.Tensor, seeds: torch.Tensor, stream: int,
      copies: int, unit: bool, luma: bool) -> torch.Tensor:
    if luma:
        return samples.new_empty(samples.shape)
    return samples.new_empty((samples.shape[0], copies * samples.shape[1], *samples.shape[2:]))


def poisson_scaled(x: torch.Tensor, photons: torch.Tensor, seeds: torch.Tensor,
                   stream: int = 0, copies: int = 1, unit: bool = False,
                   luma: bool = False) -> torch.Tensor:
    """Exact Poisson counts of rate ``x * photons`` (``x`` ``(B, ...)`` a float image in
    ``[0, 1]``, ``photons`` ``(B,)``; negative rates count 0), noise from one seed per sample.

    For ``photons`` up to :data:`TABLE_PHOTONS` each count is one uniform through a guide table
    of the Poisson CDF at the nearest rate ``photons * j / 255`` below (cached per photon
    count), plus NumPy's exact count of the small remainder where the rate lies off that grid
    (never, on an 8-bit image): several times faster than NumPy's sampler per element, and the
    same law. Samples with more photons get :func:`poisson_counts`'s counts. Rows are
    independent: a batch slice gives those samples' counts. ``copies`` draws that many
    independent counts per element, stacked on dimension 1 (``(B, copies * C, ...)``): the
    counts of ``x`` repeated ``copies`` times there, at one grid lookup per element. ``unit``
    returns ``counts / photons`` clamped to ``[0, 1]`` instead (the shot-noise image in ``x``'s
    dtype), computed in the pool's slices: no parallel torch pass after the draw. ``luma``
    (with ``unit``, three ``copies`` of a grey ``x``) returns MedMNIST-C's RGB round trip of
    them, :func:`~.luma.rgb_round_trip` clamped to ``[0, 1]``, ``x``'s shape, also in the
    slices: the three copies never make a batch.

    Example:
        >>> x = torch.full((2, 4000), 0.5)
        >>> n = poisson_scaled(x, torch.tensor([10.0, 10.0]), torch.tensor([5, 6]))
        >>> torch.equal(n[1:], poisson_scaled(x[1:], torch.tensor([10.0]), torch.tensor([6])))
        True
        >>> round(n.mean().item()), round(n.var().item())
        (5, 5)
    """
    if luma and not (unit and copies == 3 and x.shape[1] == 1):
        raise ValueError("poisson_scaled: luma takes a grey x, copies=3 and unit=True")
    out = poisson_scaled_cpu(x.detach().cpu().contiguous(), photons.cpu(), seeds.cpu(),
                             int(stream), int(copies), bool(unit), bool(luma))
    return out.to(x.device, non_blocking=True)
