"""What a scanner style changes in a set of films, as a few averaged curves.

- ``histogram``: the intensity distribution (64 bins on ``[0, 1]``, a density).
- ``noise``: the noise level per intensity: a robust standard deviation
  (``1.4826 * median |r|``) of the high-pass residual ``r = x - blur(x)`` in 8 bins of the
  local mean; NaN where a bin holds too few pixels. Its rise with intensity is the Poisson
  (signal-dependent) part, its floor the Gaussian part.
- ``spectrum``: the radial power spectrum (log10 of the mean power of the Hann-windowed,
  mean-removed film in 24 rings of ``|f|``, cycles per pixel, so films of any size compare).
- ``nps``: the same radial spectrum of the residual ``r``, a noise power spectrum estimate.

Films are a ``(B, C, H, W)`` tensor or a sequence of ``(C, H, W)`` tensors of any sizes;
colour films are averaged to grey.

Example:
    >>> x = torch.rand(4, 1, 32, 32, generator=torch.Generator().manual_seed(0))
    >>> stats = film_statistics(x)
    >>> stats.histogram.shape, stats.spectrum.shape, round(float(stats.noise[4]), 2)
    (torch.Size([64]), torch.Size([24]), 0.34)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from ...errors import InputError
from ..texture import ROBUST_STD, residual

HIST_BINS = 64
NOISE_BINS = 8
RINGS = 24
#: Ring edges in cycles per pixel; the lowest ring starts above the DC term of a 64-px film.
RING_EDGES = torch.linspace(1.0 / 32, 0.5, RINGS + 1, dtype=torch.float64)
_MIN_PIXELS = 200

Films = torch.Tensor | Sequence[torch.Tensor]


@dataclass(frozen=True)
class FilmStatistics:
    """Averaged curves of a set of films (see the module doc); all float64 tensors."""

    histogram: torch.Tensor
    noise: torch.Tensor
    spectrum: torch.Tensor
    nps: torch.Tensor
    count: int

    @staticmethod
    def noise_levels() -> torch.Tensor:
        """Centres of the intensity bins of ``noise``."""
        return (torch.arange(NOISE_BINS, dtype=torch.float64) + 0.5) / NOISE_BINS

    @staticmethod
    def frequencies() -> torch.Tensor:
        """Centres of the rings of ``spectrum`` and ``nps``, cycles per pixel."""
        return (RING_EDGES[1:] + RING_EDGES[:-1]) / 2


def film_batches(films: Films, where: str) -> list[torch.Tensor]:
    """Films as float32 grey ``(B, 1, H, W)`` batches, one per distinct size.

    Example:
        >>> films = [torch.rand(1, 16, 16)] * 3 + [torch.rand(3, 20, 16)]
        >>> [b.shape for b in film_batches(films, "demo")]
        [torch.Size([3, 1, 16, 16]), torch.Size([1, 1, 20, 16])]
    """
    given = [films] if isinstance(films, torch.Tensor) else \
        list(films) if isinstance(films, (list, tuple)) else []
    # (B, C, H, W) tensors, alone or in a list (as this function returns them), are unbound
    items = [f for g in given for f in (
        g.unbind(0) if isinstance(g, torch.Tensor) and g.dim() == 4 else [g])]
    if not items or not all(isinstance(f, torch.Tensor) and f.dim() == 3 and f.shape[0] in (1, 3)
                            and min(f.shape[-2:]) >= 16 and f.is_floating_point()
                            for f in items):
        raise InputError(f"{where}: films must be a float (B, C, H, W) tensor or a non-empty "
                         f"list of float (C, H, W) tensors, C = 1 or 3, at least 16x16 px "
                         f"(read files with mmr_augment.io.read_image)")
    groups: dict[tuple[int, int], list[torch.Tensor]] = {}
    for f in items:
        groups.setdefault(tuple(f.shape[-2:]), []).append(
            f.detach().to("cpu", torch.float32).mean(0, keepdim=True))
    return [torch.stack(g) for g in groups.values()]


def _rings(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Sum of power and pixel count per ring over the batch ``x`` (B, 1, H, W)."""
    h, w = x.shape[-2:]
    window = torch.outer(torch.hann_window(h, periodic=False, dtype=torch.float64),
                         torch.hann_window(w, periodic=False, dtype=torch.float64))
    centred = x.to(torch.float64) - x.to(torch.float64).mean((-2, -1), keepdim=True)
    power = torch.fft.rfft2(centred * window).abs().square() / window.square().sum()
    f = torch.sqrt(torch.fft.fftfreq(h, dtype=torch.float64)[:, None] ** 2
                   + torch.fft.rfftfreq(w, dtype=torch.float64)[None, :] ** 2)
    ring = torch.bucketize(f, RING_EDGES, right=True) - 1
    inside = (ring >= 0) & (ring < RINGS)
    index = ring[inside]
    total = torch.zeros(RINGS, dtype=torch.float64).index_add_(
        0, index, power[..., inside].sum((0, 1)))
    count = torch.bincount(index, minlength=RINGS).to(torch.float64) * x.shape[0]
    return total, count


def film_statistics(films: Films) -> FilmStatistics:
    """The curves of the module doc, averaged over ``films``."""
    batches = film_batches(films, "film_statistics")
    hist = torch.zeros(HIST_BINS, dtype=torch.float64)
    spec_sum, spec_n, nps_sum = (torch.zeros(RINGS, dtype=torch.float64) for _ in range(3))
    residuals: list[torch.Tensor] = []
    levels: list[torch.Tensor] = []
    for x in batches:
        hist += torch.histc(x.clamp(0, 1).to(torch.float64), HIST_BINS, 0.0, 1.0)
        total, count = _rings(x)
        spec_sum, spec_n = spec_sum + total, spec_n + count
        r, local = residual(x)
        nps_sum += _rings(r)[0]
        # every 3rd pixel is plenty for the medians, and three times cheaper
        residuals.append(r.flatten()[::3].abs())
        levels.append(local.flatten()[::3])
    r, local = torch.cat(residuals), torch.cat(levels)
    bins = (local.clamp(0, 1) * NOISE_BINS).long().clamp(max=NOISE_BINS - 1)
    noise = torch.full((NOISE_BINS,), float("nan"), dtype=torch.float64)
    for b in range(NOISE_BINS):
        values = r[bins == b]
        if values.numel() >= _MIN_PIXELS:
            noise[b] = ROBUST_STD * float(values.median())
    n = sum(x.shape[0] for x in batches)
    return FilmStatistics(histogram=hist / hist.sum() * HIST_BINS,
                          noise=noise,
                          spectrum=torch.log10(spec_sum / spec_n.clamp_min(1) + 1e-20),
                          nps=torch.log10(nps_sum / spec_n.clamp_min(1) + 1e-20),
                          count=n)


def statistics_distance(a: FilmStatistics, b: FilmStatistics) -> float:
    """How far two sets of films look apart: spectrum, noise power spectrum,
    noise-per-intensity and histogram differences (log scales for the first three), each a root
    mean square, summed.

    Example:
        >>> x = torch.rand(2, 1, 32, 32, generator=torch.Generator().manual_seed(0))
        >>> statistics_distance(film_statistics(x), film_statistics(x))
        0.0
    """
    spectrum = (a.spectrum - b.spectrum).square().mean().sqrt() \
        + (a.nps - b.nps).square().mean().sqrt()
    both = ~(a.noise.isnan() | b.noise.isnan())
    noise = (torch.log(a.noise[both].clamp_min(1e-5) / b.noise[both].clamp_min(1e-5))
             .square().mean().sqrt()) if bool(both.any()) else torch.tensor(0.0)
    hist = (a.histogram - b.histogram).square().mean().sqrt()
    return float(spectrum + noise + 0.1 * hist)
