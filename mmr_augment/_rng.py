"""Counter-based random numbers: dense noise regenerated from a per-sample seed.

Params store one int64 seed per sample instead of a B x C x H x W noise tensor. The noise is a
pure function of (seed, element index), computed with integer tensor ops, so it is batched,
identical on CPU and CUDA, and a batch slice reproduces exactly the noise of that sample alone.
"""

from __future__ import annotations

import torch

_MASK32 = 0xFFFFFFFF


def draw_seeds(batch_size: int, generator: torch.Generator) -> torch.Tensor:
    """``(B,)`` int64 seeds in ``[0, 2**31)`` from ``generator``."""
    return torch.randint(0, 2**31 - 1, (batch_size,), generator=generator, dtype=torch.int64)


def _hash32(x: torch.Tensor) -> torch.Tensor:
    # "lowbias32" integer hash (C. Wellons); int64 arithmetic, masked back to 32 bits.
    x = x & _MASK32
    x = x ^ (x >> 16)
    x = (x * 0x7FEB352D) & _MASK32
    x = x ^ (x >> 15)
    x = (x * 0x846CA68B) & _MASK32
    return x ^ (x >> 16)


def uniform(seeds: torch.Tensor, shape: tuple[int, ...], device: torch.device,
            stream: int = 0) -> torch.Tensor:
    """Uniform floats in ``(0, 1)`` of shape ``(B, *shape)``, float32, on ``device``.

    Example:
        >>> s = torch.tensor([1, 2])
        >>> a = uniform(s, (4,), torch.device("cpu"))
        >>> torch.equal(a[1:], uniform(s[1:], (4,), torch.device("cpu")))
        True
    """
    n = 1
    for d in shape:
        n *= d
    idx = torch.arange(n, device=device, dtype=torch.int64)
    key = _hash32(seeds.to(device=device, dtype=torch.int64) * 0x9E3779B1
                  + stream * 0x85EBCA77 + 0x2545F491)
    h = _hash32(key[:, None] ^ idx[None, :])
    h = _hash32(h + key[:, None])
    u = ((h >> 8).to(torch.float32) + 0.5) * (1.0 / 16777216.0)
    return u.view(len(seeds), *shape)


def normal(seeds: torch.Tensor, shape: tuple[int, ...], device: torch.device,
           stream: int = 0) -> torch.Tensor:
    """Standard normal floats of shape ``(B, *shape)`` (Box-Muller on two uniform streams)."""
    u1 = uniform(seeds, shape, device, stream=2 * stream + 1)
    u2 = uniform(seeds, shape, device, stream=2 * stream + 2)
    return torch.sqrt(-2.0 * torch.log(u1)) * torch.cos(6.283185307179586 * u2)
