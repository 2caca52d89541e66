"""Batched, exact Poisson sampling from per-sample seeds (the counter-based RNG of ``_rng``).

``torch.poisson`` draws from one generator for the whole tensor, so a sample's counts would
depend on the rest of the batch and on the device. Here each count is the exact inverse CDF of
one uniform ``u`` per element, ``count = min{k : u <= F(k)}``, a pure function of (seed, element
index, rate). The search starts at the Cornish-Fisher quantile
``floor(m + sqrt(m) z + (z^2 - 1) / 6 + 1/2)`` with ``z = ndtri(u)``, which is within a step or
two of the answer for any rate, takes ``F`` there from ``torch.special.gammaincc`` and walks
down, then up, one step per pass (two or three passes in practice). Unlike an inverse-CDF loop
from zero, the cost does not grow with the rate, and no normal approximation is left in.
"""

from __future__ import annotations

import torch

from ..._rng import uniform


def poisson_quantile(rate: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """Exact Poisson quantile ``min{k : u <= F(k)}`` per element, for ``u`` in ``(0, 1)``.

    Returns float64 counts; a zero rate gives 0.

    Example:
        >>> rate, u = torch.tensor([0.0, 2.0, 2.0, 2.0]), torch.tensor([0.5, 0.1, 0.5, 0.99])
        >>> poisson_quantile(rate, u)
        tensor([0., 0., 2., 6.], dtype=torch.float64)
    """
    # above 2**50 a float64 count cannot step by one, so the walk below would never end;
    # such rates only come from out-of-range input, whose output is clamped anyway
    rate, u = rate.to(torch.float64).clamp(max=2.0**50), u.to(torch.float64)
    lit = rate > 0
    m = torch.where(lit, rate, 1.0)  # zero rates are zeroed at the end; 1 keeps log(m) finite
    z = torch.special.ndtri(u)
    k = torch.floor(m + m.sqrt() * z + (z * z - 1.0) / 6.0 + 0.5).clamp_min(0.0)
    cdf = torch.special.gammaincc(k + 1.0, m)  # F(k) = P(X <= k)
    pmf = torch.exp(k * m.log() - m - torch.lgamma(k + 1.0))  # P(X = k)
    while True:  # down while u <= F(k - 1); ends at k = 0 at the latest
        down = (k > 0) & (u <= cdf - pmf)
        if not down.any():
            break
        cdf = torch.where(down, cdf - pmf, cdf)
        pmf = torch.where(down, pmf * k / m, pmf)
        k = k - down.to(k.dtype)
    while True:  # up while u > F(k); ends as F(k) tends to 1 > u
        up = u > cdf
        if not up.any():
            break
        k = k + up.to(k.dtype)
        pmf = torch.where(up, pmf * m / k, pmf)
        cdf = torch.where(up, cdf + pmf, cdf)
    return torch.where(lit, k, 0.0)


def poisson_counts(rate: torch.Tensor, seeds: torch.Tensor, stream: int = 0) -> torch.Tensor:
    """Poisson counts with per-element ``rate`` ``(B, ...)``, noise from one seed per sample.

    Uses the uniform stream ``stream`` of :mod:`mmr_augment._rng`. Rows are independent: a
    batch slice gives that sample's counts, and a zero rate gives a zero count.

    Args:
        rate: non-negative expected counts.
        seeds: ``(B,)`` int64 seeds.
        stream: RNG stream to use.

    Returns:
        Float64 counts with ``rate``'s shape and device.

    Example:
        >>> rate = torch.full((2, 4000), 3.0, dtype=torch.float64)
        >>> n = poisson_counts(rate, torch.tensor([5, 6]))
        >>> bool(torch.equal(n[1:], poisson_counts(rate[1:], torch.tensor([6]))))
        True
        >>> round(n.mean().item()), round(n.var().item())
        (3, 3)
    """
    u = uniform(seeds, tuple(rate.shape[1:]), rate.device, stream).to(torch.float64)
    # the uniforms may touch 0 (torch.rand); a quantile needs u strictly inside (0, 1)
    return poisson_quantile(rate, u.clamp(2.0**-25, 1.0 - 2.0**-25))
