"""Histogram matching: the tone curve that maps one intensity distribution onto another."""

from __future__ import annotations

import torch


def matching_curve(reference: torch.Tensor, source: torch.Tensor | None = None,
                   knots: int = 65) -> list[float]:
    """Outputs at ``knots`` evenly spaced inputs of the curve ``F_ref^-1(F_src(v))``.

    ``F_src`` and ``F_ref`` are the empirical intensity CDFs of all pixels of ``source`` and
    ``reference`` (any shapes, values in ``[0, 1]``). ``source=None`` stands for a generic,
    uniformly distributed input (``F_src(v) = v``). Reference quantiles are interpolated
    linearly; the curve is non-decreasing, and flat outside the source's range.

    Example:
        >>> ref = torch.linspace(0, 1, 1001) ** 2
        >>> [round(v, 2) for v in matching_curve(ref, torch.linspace(0, 1, 1001), knots=5)]
        [0.0, 0.06, 0.25, 0.56, 1.0]
    """
    levels = torch.linspace(0.0, 1.0, knots, dtype=torch.float64)
    ref = reference.detach().flatten().to("cpu", torch.float64).sort().values
    if source is None:
        cdf = levels
    else:
        src = source.detach().flatten().to("cpu", torch.float64).sort().values
        cdf = torch.searchsorted(src, levels, right=True).to(torch.float64) / src.numel()
    position = cdf * (ref.numel() - 1)
    lo = position.floor().long().clamp(max=ref.numel() - 1)
    hi = (lo + 1).clamp(max=ref.numel() - 1)
    curve = torch.lerp(ref[lo], ref[hi], position - lo).clamp(0.0, 1.0)
    return curve.tolist()
