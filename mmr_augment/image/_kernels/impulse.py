"""Sparse salt-and-pepper noise from per-sample seeds: one 32-bit random per hit unit.

Each sample draws one uint32 per unit (a pixel, or a pixel's channel) from
``numpy.random.default_rng([seed_i, stream])`` (its random bytes, read as the bit generator's
raw outputs: :func:`uint32_draws`, the cheapest draw NumPy has) and
maps it to an outcome by integer thresholds: ``r < 2**32 * P(hit)`` is a hit, and which hit
(salt, pepper, or for a grey image's three RGB channels one of the 26 hit combinations) by
where ``r`` falls below that. Only the hit units are then written, so past the draw the work
grows with the amount, not the image; from a hit probability of :data:`DENSE_HITS` a lookup
table of each unit's multiplier and offset updates every unit instead (no hit list, whose
building mispredicts a branch per hit), 1.3-2x faster there and the same values. Probabilities
are exact to ``2**-32``. A batch slice reproduces those samples' noise exactly; CPU and CUDA
batches get the same values (the work is done on the CPU, one contiguous slice of the batch per
thread of a pool: NumPy releases the GIL).
"""

from __future__ import annotations

import itertools
import sys

import numpy as np
import torch

from .pcg64 import pcg64_states, reusable_generator, seeded
from .threads import clamp_unit, run_in_slices

SCALE = 2**32
_SHIFT = 22  # the lookup table has one entry per 2**22-wide bucket of r: 1,024 entries
DENSE_HITS = 0.15  # hit probability from which every unit is updated through a table
_DENSE_SHIFT = 20  # that table: 4,096 buckets of r, 16 KB a column (in the core's L1 cache)
# the hit outcomes of 1 and of 3 channels (every combination with at least one hit)
_STATES = {n: np.array([s for s in itertools.product((0, 1, 2), repeat=n) if any(s)])
           for n in (1, 3)}


def outcome_table(amount: float, salt_ratio: float, channels: int,
                  weights: tuple[float, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Thresholds and values of the hit outcomes of one sample.

    ``channels`` (1 or 3) independent channels are hit per unit (3: the RGB copy of a grey
    pixel, mixed back by ``weights``). Outcome ``k`` turns a value ``x`` into
    ``x * keep[k] + add[k]``; it happens when the unit's random ``r`` lies in
    ``[edge[k - 1], edge[k])``, so ``r >= edge[-1]`` is no hit.

    Example:
        >>> edge, keep, add = outcome_table(0.25, 0.5, 1, (1.0,))
        >>> edge.tolist(), keep.tolist(), add.tolist()
        ([536870912, 1073741824], [0.0, 0.0], [1.0, 0.0])
    """
    states = _STATES[channels]  # (outcomes, channels): 0 not hit, 1 salt, 2 pepper
    state_p = np.array([1 - amount, amount * salt_ratio, amount * (1 - salt_ratio)])
    w = np.asarray(weights, dtype=np.float64)
    edge = np.minimum(np.rint(np.cumsum(state_p[states].prod(axis=1)) * SCALE), SCALE)
    return edge.astype(np.int64), ((states == 0) * w).sum(axis=1), ((states == 1) * w).sum(axis=1)


def _bucket_table(edge: np.ndarray) -> np.ndarray:
    """The outcome of each ``2**_SHIFT``-wide bucket of randoms, -1 where it straddles an edge
    (made once per distinct table of a batch)."""
    starts = np.arange(SCALE >> _SHIFT, dtype=np.int64) << _SHIFT
    first = np.searchsorted(edge, starts, side="right")
    last = np.searchsorted(edge, starts + ((1 << _SHIFT) - 1), side="right")
    return np.where(first == last, first, -1).astype(np.int8)


def _dense_table(edge: np.ndarray, keep: np.ndarray, add: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The multiplier and offset of each ``2**_DENSE_SHIFT``-wide bucket of randoms (1 and 0
    where nothing is hit; NaN multiplier where the bucket straddles an edge), and ``keep`` and
    ``add`` with the no-hit outcome appended (for the straddling randoms)."""
    starts = np.arange(SCALE >> _DENSE_SHIFT, dtype=np.int64) << _DENSE_SHIFT
    first = np.searchsorted(edge, starts, side="right")
    last = np.searchsorted(edge, starts + ((1 << _DENSE_SHIFT) - 1), side="right")
    keep_all, add_all = np.append(keep, keep.dtype.type(1)), np.append(add, add.dtype.type(0))
    alone = first == last
    return (np.where(alone, keep_all[first], np.nan).astype(keep.dtype),
            np.where(alone, add_all[first], 0).astype(add.dtype), keep_all, add_all)


def _outcomes(edge: np.ndarray, buckets: np.ndarray, r: np.ndarray) -> np.ndarray:
    """``searchsorted(edge, r, "right")`` for hit randoms ``r``: the :func:`_bucket_table` by
    the top bits, the buckets that straddle an edge by search."""
    kind = buckets[r >> _SHIFT]
    straddle = np.flatnonzero(kind < 0)
    kind[straddle] = np.searchsorted(edge, r[straddle], side="right")
    return kind


def uint32_draws(bit_generator: np.random.PCG64, count: int) -> np.ndarray:
    """``count`` uint32 randoms of a PCG64 ``bit_generator``: the words of its generator's
    ``bytes(4 * count)`` (PCG64 hands out each 64-bit output as its low, then its high half),
    read straight from its raw 64-bit outputs, 3-4x faster.

    Example:
        >>> bytes_way = np.random.default_rng([7, 0]).bytes(4 * 5)
        >>> words = uint32_draws(np.random.PCG64([7, 0]), 5)
        >>> words.tobytes() == np.frombuffer(bytes_way, np.uint32).tobytes()
        True
    """
    raw = bit_generator.random_raw((count + 1) // 2)
    if sys.byteorder == "little":
        return raw.view(np.uint32)[:count]
    return np.stack([raw & 0xFFFFFFFF, raw >> 32], axis=1).astype(np.uint32).reshape(-1)[:count]


def _one(x: np.ndarray, y: np.ndarray, bit_generator: np.random.PCG64, per_unit: int,
         edge: np.ndarray, buckets: np.ndarray | None, keep: np.ndarray, add: np.ndarray,
         dense: tuple | None) -> None:
    """Salt and pepper on one sample ``x`` ``(C, H, W)`` into ``y``, drawn from the sample's
    ``bit_generator``; units of ``per_unit`` channels (``C``: each channel its own unit; 1: a
    pixel hit in every channel). With a :func:`_dense_table` every unit is written as
    ``x * multiplier + offset`` (``x * 1 + 0`` is ``x``), else only the hit units."""
    rows = x.reshape(1, -1) if per_unit > 1 else x.reshape(len(x), -1)  # units per row
    units = rows.shape[1]
    r = uint32_draws(bit_generator, units)
    if dense is not None:
        bucket_keep, bucket_add, keep_all, add_all = dense
        index = (r >> np.uint32(_DENSE_SHIFT)).astype(np.intp)
        unit_keep, unit_add = bucket_keep.take(index), bucket_add.take(index)
        straddle = np.flatnonzero(np.isnan(unit_keep))
        if straddle.size:
            kind = np.searchsorted(edge, r[straddle], side="right")
            unit_keep[straddle], unit_add[straddle] = keep_all[kind], add_all[kind]
        out = y.reshape(rows.shape)
        np.multiply(rows, unit_keep, out=out)
        out += unit_add
        return
    y[...] = x  # copied here, in the slice, not by a torch copy (see salt_and_pepper)
    rows = y.reshape(rows.shape)
    where = np.flatnonzero(r < np.uint32(edge[-1]))  # below DENSE_HITS: edge[-1] < 2**32
    kind = ((r[where] >= np.uint32(edge[0])).astype(np.intp) if len(edge) == 2
            else _outcomes(edge, buckets, r[where]))  # one channel: salt, then pepper
    if not keep.any():  # every outcome replaces the value: x * 0 + add is add (x is finite)
        add = add[kind]
        for row in rows:
            row[where] = add
        return
    keep, add = keep[kind], add[kind]
    for row in rows:  # one channel, or all channels of a pixel hit at once
        row[where] = row[where] * keep + add


def salt_and_pepper(x: torch.Tensor, seeds: torch.Tensor, tables: list, per_channel: bool,
                    stream: int = 0) -> torch.Tensor:
    """A copy of ``x`` ``(B, C, H, W)`` with sample ``i``'s hit units set by ``tables[i]``
    (an :func:`outcome_table`) from ``seeds[i]``: each channel its own unit with
    ``per_channel``, else a pixel hit in all its channels at once; clamped to ``[0, 1]``.

    Example:
        >>> table = outcome_table(0.1, 0.5, 1, (1.0,))
        >>> y = salt_and_pepper(torch.full((1, 3, 100, 100), 0.5), torch.tensor([3]), [table],
        ...                     per_channel=False)
        >>> hit = y != 0.5
        >>> bool((hit.all(0) == hit.any(0)).all()), 0.08 < hit[0, 0].float().mean().item() < 0.12
        (True, True)
    """
    # the copy of x is made per sample in the slices: each thread copies the samples it then
    # corrupts, one pass instead of a torch copy of the whole batch first
    source = x.detach().cpu().contiguous()
    y = torch.empty_like(source)
    src, out = source.numpy(), y.numpy()
    per_unit = x.shape[1] if per_channel else 1
    states = pcg64_states(seeds.tolist(), stream)  # each sample's default_rng([seed, stream])
    distinct = {id(t): t for t in tables}
    ready = {}
    for key, (edge, keep, add) in distinct.items():  # once per distinct table, not per sample
        keep, add = keep.astype(out.dtype), add.astype(out.dtype)
        dense = edge[-1] >= DENSE_HITS * SCALE
        ready[key] = (edge, None if dense else _bucket_table(edge), keep, add,
                      _dense_table(edge, keep, add) if dense else None)
    jobs = [(src[i], out[i], states[i], ready[id(tables[i])]) for i in range(len(out))]

    def work(start: int, stop: int) -> None:
        rng = reusable_generator()
        for x_i, y_i, state, table in jobs[start:stop]:
            _one(x_i, y_i, seeded(rng, state).bit_generator, per_unit, *table)
        clamp_unit(out[start:stop])  # once per slice: each NumPy call hands the GIL over

    # each sample makes about fifteen NumPy calls that hand the GIL over: a second thread pays
    # from about a million values a slice (two threads were slower up to 64 images of 128 px)
    run_in_slices(work, len(jobs), src.size, weight=8)
    return y.to(x.device, non_blocking=True)


@torch.library.custom_op("mmr_augment::impulse_noise_cpu", mutates_args=())
def impulse_noise_cpu(x: torch.Tensor, seeds: torch.Tensor, amount: torch.Tensor,
                      salt_ratio: torch.Tensor, channels: int, weights: list[float],
                      per_channel: bool) -> torch.Tensor:
    """:func:`salt_and_pepper` of a CPU batch with each sample's :func:`outcome_table` built
    from its ``amount`` and ``salt_ratio``. A custom operator: ``torch.compile`` sees one
    node, no graph break."""
    pairs = list(zip(amount.tolist(), salt_ratio.tolist()))
    made = {pair: outcome_table(*pair, channels, tuple(weights)) for pair in set(pairs)}
    return salt_and_pepper(x, seeds, [made[pair] for pair in pairs], per_channel)


@impulse_noise_cpu.register_fake
def _(x: torch.Tensor, seeds: torch.Tensor, amount: torch.Tensor, salt_ratio: torch.Tensor,
      channels: int, weights: list[float], per_channel: bool) -> torch.Tensor:
    return torch.empty_like(x)
