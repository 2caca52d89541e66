"""Analysis by synthesis: the stage parameters whose rendering of the source films looks,
in :mod:`.statistics`, most like the reference films.

Each knob (one stage parameter) is tuned in turn, holding the others: a coarse grid over its
range, then a golden-section refinement around the best grid point; two sweeps. Every
candidate renders the same source films with the same noise seed, so the search is
deterministic and the noise of one candidate is never mistaken for a better fit.

Example:
    >>> [f"{k.stage}.{k.key}" for k in KNOBS][:3]
    ['mtf.sigma', 'edge.amount', 'noise.photons']
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

from .._fit import matching_curve
from .._stage_table import STAGES
from .statistics import FilmStatistics, film_statistics, statistics_distance

_GRID, _REFINE, _SWEEPS = 5, 4, 2
_GOLDEN = (math.sqrt(5.0) - 1.0) / 2.0


@dataclass(frozen=True)
class Knob:
    """One searched stage parameter, over ``[low, high]`` (log-spaced if ``log``)."""

    stage: str
    key: str
    low: float
    high: float
    log: bool = False

    def value(self, t: float) -> float:
        """The parameter at position ``t`` in ``[0, 1]`` of the range."""
        if self.log:
            return math.exp(math.log(self.low) + t * (math.log(self.high) - math.log(self.low)))
        return self.low + t * (self.high - self.low)


#: Searched parameters. Photons from 10 (very noisy) to 1e5 (noise below 8-bit steps).
KNOBS = (
    Knob("mtf", "sigma", 0.0, 3.0),
    Knob("edge", "amount", 0.0, 3.0),
    Knob("noise", "photons", 10.0, 1e5, log=True),
    Knob("noise", "read_std", 0.0, 0.03),
    Knob("noise", "correlation", 0.0, 3.0),
    Knob("resolution", "scale", 0.2, 1.0),
)
#: Where the search starts: every searched stage at (or next to) the identity.
START: dict[str, dict[str, Any]] = {
    "noise": {"photons": 1e5, "read_std": 0.0, "beta": 0.0, "correlation": 0.0},
    "mtf": {"sigma": 0.0},
    "edge": {"amount": 0.0, "sigma": 1.5},
    "resolution": {"scale": 1.0, "down": "area"},
}

Render = Callable[[dict[str, Any]], FilmStatistics]


def pixel_sample(batches: list[torch.Tensor], limit: int = 1 << 18) -> torch.Tensor:
    """Every k-th pixel of ``batches`` (at most about ``limit``), for histogram matching."""
    flat = torch.cat([x.flatten() for x in batches])
    return flat[::max(1, flat.numel() // limit)]


def render_matched(style_class: type, config: dict[str, Any], batches: list[torch.Tensor],
                   reference_pixels: torch.Tensor | None, knots: int, seed: int
                   ) -> tuple[list[torch.Tensor], dict[str, Any]]:
    """``batches`` rendered by ``config``, and the config used. With a ``tone`` stage and
    ``reference_pixels``, the tone curve is refitted first: histogram matching of the films
    rendered by the stages before it onto the references (so no candidate is judged with a
    curve fitted to other stages)."""
    if "tone" not in config or reference_pixels is None:
        style = style_class(**config)
        return [f for x in batches for f in style(x, generator=seed)], config
    order = list(STAGES)
    pre = style_class(**{k: v for k, v in config.items() if order.index(k) < order.index("tone")})
    post = {k: v for k, v in config.items() if order.index(k) > order.index("tone")}
    before = [pre(x, generator=seed) for x in batches]
    curve = matching_curve(reference_pixels, pixel_sample(before, 1 << 16), knots)
    config = {**config, "tone": {"kind": "lut", "curve": curve}}
    style = style_class(tone=config["tone"], **post)
    return [f for x in before for f in style(x, generator=seed)], config


def renderer(style_class: type, batches: list[torch.Tensor], reference_pixels: torch.Tensor
             | None, knots: int, seed: int) -> Render:
    """Statistics of ``batches`` rendered by a config (see :func:`render_matched`)."""
    def render(config: dict[str, Any]) -> FilmStatistics:
        films, _ = render_matched(style_class, config, batches, reference_pixels, knots, seed)
        return film_statistics(films)
    return render


def search_steps(knobs: int) -> int:
    """Candidates rendered by :func:`search` for ``knobs`` knobs (for a progress bar)."""
    return _SWEEPS * knobs * (_GRID + 2 + _REFINE)


def search(config: dict[str, Any], knobs: tuple[Knob, ...], render: Render,
           target: FilmStatistics, step: Callable[[], None] | None = None
           ) -> tuple[dict[str, Any], float]:
    """The config (a copy) with ``knobs`` tuned to bring ``render(config)`` near ``target``,
    and its distance. ``step`` is called once per rendered candidate (a progress bar)."""
    best = copy.deepcopy(config)

    def loss(knob: Knob, t: float) -> float:
        trial = copy.deepcopy(best)
        trial[knob.stage][knob.key] = knob.value(t)
        if step is not None:
            step()
        return statistics_distance(render(trial), target)

    for _ in range(_SWEEPS):
        for knob in knobs:
            grid = [i / (_GRID - 1) for i in range(_GRID)]
            losses = [loss(knob, t) for t in grid]
            i = min(range(_GRID), key=losses.__getitem__)
            t = golden(lambda u, k=knob: loss(k, u), max(grid[i] - 1 / (_GRID - 1), 0.0),
                       min(grid[i] + 1 / (_GRID - 1), 1.0), grid[i], losses[i])
            best[knob.stage][knob.key] = knob.value(t)
    return best, statistics_distance(render(best), target)


def golden(f: Callable[[float], float], lo: float, hi: float, t0: float, f0: float) -> float:
    """Golden-section refinement of ``f`` on ``[lo, hi]``; ``t0`` (with value ``f0``) is kept
    unless a point beats it.

    Example:
        >>> round(golden(lambda t: (t - 0.3) ** 2, 0.0, 1.0, 0.5, 0.04), 2)
        0.29
    """
    best_t, best_f = t0, f0
    a, b = lo, hi
    c, d = b - _GOLDEN * (b - a), a + _GOLDEN * (b - a)
    fc, fd = f(c), f(d)
    for _ in range(_REFINE):
        for t, v in ((c, fc), (d, fd)):
            if v < best_f:
                best_t, best_f = t, v
        if fc < fd:
            b, d, fd = d, c, fc
            c = b - _GOLDEN * (b - a)
            fc = f(c)
        else:
            a, c, fc = c, d, fd
            d = a + _GOLDEN * (b - a)
            fd = f(d)
    for t, v in ((c, fc), (d, fd)):
        if v < best_f:
            best_t, best_f = t, v
    return best_t
