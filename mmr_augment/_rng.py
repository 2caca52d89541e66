"""Dense noise regenerated from a per-sample seed.

Params store one int64 seed per sample instead of a B x C x H x W noise tensor. Sample ``i``'s
noise is drawn from a CPU ``torch.Generator`` seeded with ``(seed_i, stream)`` only, so a batch
slice reproduces exactly the noise of those samples, and CPU and CUDA batches get the same
values (the noise is drawn on the CPU, then moved). The loop over samples only seeds
generators; each draw is one vectorised call, as fast as a single ``torch.randn`` over the
whole batch (a counter-based integer hash in tensor ops was ~40x slower on CPU).

Samples are drawn on as many threads as torch may use (``torch.get_num_threads()``: torch's
own OpenMP team where it can be used, else mmr's thread pool), each a contiguous run of
samples; a sample's values depend only on its seed, so the split changes nothing but the
wall-clock time (the draw is serial inside torch).

The draw is the custom operator ``mmr_augment::seeded_draw``: ``torch.compile`` sees one opaque
node of known shape instead of Python generators it cannot trace (no graph break).
"""

from __future__ import annotations

import torch

_MASK32 = 0xFFFFFFFF


def draw_seeds(batch_size: int, generator: torch.Generator) -> torch.Tensor:
    """``(B,)`` int64 seeds in ``[0, 2**31)`` from ``generator``."""
    return torch.randint(0, 2**31 - 1, (batch_size,), generator=generator, dtype=torch.int64)


def hash32(x):
    """"lowbias32" integer hash (C. Wellons), masked to 32 bits: cheap per-element keys (e.g.
    per study and finding) where no dense draw is needed. Takes an int64 torch tensor or a
    uint64 numpy array (the same values either way) and returns the same type.

    Example:
        >>> import numpy as np
        >>> t = hash32(torch.tensor([1, 2**40 + 7]))
        >>> t.tolist() == hash32(np.array([1, 2**40 + 7], dtype=np.uint64)).tolist()
        True
    """
    x = x & _MASK32
    x = x ^ (x >> 16)
    x = (x * 0x7FEB352D) & _MASK32
    x = x ^ (x >> 15)
    x = (x * 0x846CA68B) & _MASK32
    return x ^ (x >> 16)


def draw_row(out: torch.Tensor, seed: int, stream: int = 0, gaussian: bool = True) -> None:
    """Fill the float32 CPU tensor ``out`` with the row that seed ``seed`` gets in
    :func:`normal` (``gaussian``) or :func:`uniform` of ``out``'s shape: for kernels that use
    a sample's noise while it is in cache instead of drawing the whole batch first.

    Example:
        >>> row = torch.empty(2, 3)
        >>> draw_row(row, 7)
        >>> torch.equal(row, normal(torch.tensor([7]), (2, 3), torch.device("cpu"))[0])
        True
    """
    g = torch.Generator().manual_seed(int(seed) * 1_000_003 + stream * 7_919 + 12_345)
    (torch.randn if gaussian else torch.rand)(tuple(out.shape), generator=g, out=out)


@torch.library.custom_op("mmr_augment::seeded_draw", mutates_args=())
def seeded_draw(seeds: torch.Tensor, shape: list[int], stream: int, gaussian: bool
                ) -> torch.Tensor:
    """``(B, *shape)`` float32 CPU draws, row ``i`` from a generator seeded by ``seeds[i]``
    and ``stream`` only: standard normal if ``gaussian``, else uniform in ``[0, 1)``."""
    out = torch.empty(len(seeds), *shape, dtype=torch.float32)
    values = seeds.tolist()

    def draw_rows(start: int, stop: int) -> None:
        for i in range(start, stop):
            draw_row(out[i], values[i], stream, gaussian)

    from .image._kernels.threads import run_in_slices  # late: the image package imports this

    run_in_slices(draw_rows, len(values), out.numel())  # small draws: on the caller's thread
    return out


@seeded_draw.register_fake
def _(seeds: torch.Tensor, shape: list[int], stream: int, gaussian: bool) -> torch.Tensor:
    return torch.empty(seeds.shape[0], *shape, dtype=torch.float32, device="cpu")


def _draw(gaussian: bool, seeds: torch.Tensor, shape: tuple[int, ...], device: torch.device,
          stream: int) -> torch.Tensor:
    out = seeded_draw(seeds.cpu(), list(shape), int(stream), gaussian)
    return out.to(device, non_blocking=True)


def uniform(seeds: torch.Tensor, shape: tuple[int, ...], device: torch.device,
            stream: int = 0) -> torch.Tensor:
    """Uniform floats in ``[0, 1)``, float32, shape ``(B, *shape)``, on ``device``.

    Prefix-stable: a longer draw starts with the values of a shorter one.

    Example:
        >>> s = torch.tensor([1, 2])
        >>> a = uniform(s, (4,), torch.device("cpu"))
        >>> torch.equal(a[1:], uniform(s[1:], (4,), torch.device("cpu")))
        True
        >>> torch.equal(a[:, :2], uniform(s, (2,), torch.device("cpu")))
        True
    """
    return _draw(False, seeds, shape, device, stream)


def normal(seeds: torch.Tensor, shape: tuple[int, ...], device: torch.device,
           stream: int = 0) -> torch.Tensor:
    """Standard normal floats, float32, shape ``(B, *shape)``, on ``device``."""
    return _draw(True, seeds, shape, device, stream)
