"""Film texture: a per-film noise level, and moving a film's noise level toward a target.

The noise level of a film is the robust standard deviation (``1.4826 * median |r|``) of its
high-pass residual ``r = x - blur(x)`` (Gaussian, sigma 1 px), the estimator the style fitting
uses per intensity (:mod:`mmr_augment.style.fitting.statistics`), here over the whole film.
:func:`match_texture` moves it toward a target. A smoother target blurs the film with the
Gaussian sigma, solved per film on a grid of sigmas, whose blurred film has the target level
(a blur cannot take away noise without also softening edges). A noisier target either
amplifies the film's own residual (``roughen="sharpen"``: ``x + a * r``, an unsharp mask whose
amount is solved the same way; flat regions stay flat and the noise keeps its spectrum) or
adds white Gaussian noise (``roughen="noise"``, regenerated from a per-sample seed as the
noise ops do, with the standard deviation that raises the level to the target).

Cost: each film's grid search takes a median of its residual per grid point, about 6 ms per
256 px film on two CPU threads (32 films: 177-189 ms, against 3-5 ms for one ``GaussianBlur``), so a
``StyleFamily`` with ``texture > 0`` is for offline restyling or small batches, not the hot
path of a training step.

Example:
    >>> g = torch.Generator().manual_seed(0)
    >>> x = 0.5 + 0.05 * torch.randn(2, 1, 64, 64, generator=g)
    >>> [round(v, 3) for v in film_noise(x).tolist()]  # white noise: 0.87 of its std
    [0.044, 0.044]
"""

from __future__ import annotations

import kornia
import torch

from .._rng import normal
from ..image.blur import gaussian_blur, largest_size_for_sigma, size_for_sigma
from ..image.noise import add_scaled_noise

__all__ = ["AMOUNTS", "ROBUST_STD", "ROUGHEN", "SIGMAS", "WHITE_RESPONSE", "film_noise",
           "high_pass", "match_texture", "on_grid", "residual", "sharpening_amount",
           "smoothing_sigma"]

#: Scale from the median absolute deviation to the standard deviation of a normal law.
ROBUST_STD = 1.4826
#: Blur sigmas (px) on which the sigma that reaches a smoother target is interpolated.
SIGMAS = (0.0, 0.3, 0.5, 0.7, 1.0, 1.4, 2.0, 3.0)
#: Unsharp-mask amounts on which the amount that reaches a rougher target is interpolated.
AMOUNTS = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0)
ROUGHEN = ("sharpen", "noise")
_FINE = ((5, 5), (1.0, 1.0))
_PIXELS = 1 << 16


def high_pass(x: torch.Tensor) -> torch.Tensor:
    """The residual ``x - blur(x)`` (Gaussian, sigma 1 px, reflected borders)."""
    return x - kornia.filters.gaussian_blur2d(x, *_FINE, border_type="reflect")


def residual(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """High-pass residual ``x - blur(x)`` (Gaussian, sigma 1) and local mean (sigma 2)."""
    local = kornia.filters.gaussian_blur2d(x, (9, 9), (2.0, 2.0), border_type="reflect")
    return high_pass(x), local


def _white_response() -> float:
    """The residual's standard deviation for white noise of standard deviation 1."""
    kernel = kornia.filters.get_gaussian_kernel2d(*_FINE)[0].to(torch.float64)
    kernel = -kernel
    kernel[2, 2] += 1.0
    return float(kernel.square().sum().sqrt())


#: :func:`film_noise` of white Gaussian noise of standard deviation 1 (about 0.87).
WHITE_RESPONSE = _white_response()


def film_noise(x: torch.Tensor, residual_x: torch.Tensor | None = None) -> torch.Tensor:
    """``(B,)`` noise level of each film of ``x`` ``(B, C, H, W)`` (see the module doc), read
    from at most about 65,536 of its residual's pixels (every k-th); ``residual_x``: its
    :func:`high_pass`, when the caller has it already.

    Example:
        >>> round(float(film_noise(torch.full((1, 1, 16, 16), 0.5))), 6)
        0.0
    """
    flat = (high_pass(x) if residual_x is None else residual_x).reshape(x.shape[0], -1)
    flat = flat[:, ::max(1, flat.shape[1] // _PIXELS)]
    return ROBUST_STD * flat.abs().median(dim=1).values.to(torch.float64)


def on_grid(levels: list[torch.Tensor], goal: torch.Tensor, grid: tuple[float, ...],
            rising: bool = False) -> torch.Tensor:
    """``(B,)`` the grid setting at which each film's level (``levels[k]``: ``(B,)`` levels at
    ``grid[k]``, ``grid[0]`` the unchanged film; falling along the grid, or ``rising``)
    reaches ``goal``, linear between grid points in log level; 0 where the goal lies on the
    other side of the unchanged level, the last grid setting where it lies beyond the grid.

    Example:
        >>> levels = [torch.tensor([4.0, 4.0]), torch.tensor([2.0, 2.0]), torch.tensor([1.0, 1.0])]
        >>> on_grid(levels, torch.tensor([2.0, 8.0]), (0.0, 1.0, 2.0)).tolist()
        [1.0, 0.0]
    """
    log_level = torch.stack(levels, 1).clamp_min(1e-12).log()
    log_goal = goal.to(log_level).clamp_min(1e-12).log().view(-1, 1)
    if rising:
        log_level, log_goal = -log_level, -log_goal
    # the running minimum keeps the grid monotone where an estimate wobbles
    log_level = log_level.cummin(1).values
    above = (log_level > log_goal).sum(1, keepdim=True)
    hi = above.clamp(1, len(grid) - 1)
    lo_level, hi_level = log_level.gather(1, hi - 1), log_level.gather(1, hi)
    step = lo_level - hi_level
    t = torch.where(step > 0, (lo_level - log_goal) / step.clamp_min(1e-12),
                    torch.ones_like(step)).clamp(0.0, 1.0)
    settings = torch.tensor(grid, dtype=log_level.dtype, device=log_level.device)
    value = torch.lerp(settings[hi - 1], settings[hi], t).flatten()
    return torch.where(above.flatten() > 0, value, torch.zeros_like(value))


def smoothing_sigma(x: torch.Tensor, goal: torch.Tensor, level: torch.Tensor | None = None
                    ) -> torch.Tensor:
    """``(B,)`` Gaussian sigma (px) that brings each film's :func:`film_noise` (``level``,
    when the caller has it) down to ``goal`` (0 where the film is already at or below it; at
    most ``SIGMAS[-1]``).

    Example:
        >>> x = 0.5 + 0.05 * torch.randn(1, 1, 64, 64, generator=torch.Generator().manual_seed(0))
        >>> sigma = smoothing_sigma(x, torch.tensor([0.01]))
        >>> y = gaussian_blur(x, size_for_sigma(sigma), sigma)
        >>> round(float(sigma), 2), round(float(film_noise(y)), 3)
        (0.76, 0.01)
    """
    levels = [film_noise(x) if level is None else level]
    for s in SIGMAS[1:]:
        sigma = torch.full((x.shape[0],), s, dtype=torch.float64, device=x.device)
        levels.append(film_noise(gaussian_blur(x, size_for_sigma(sigma), sigma,
                                               bound=largest_size_for_sigma(s))))
    return on_grid(levels, goal, SIGMAS)


def sharpening_amount(x: torch.Tensor, goal: torch.Tensor, level: torch.Tensor | None = None,
                      residual_x: torch.Tensor | None = None) -> torch.Tensor:
    """``(B,)`` unsharp-mask amount ``a`` that raises each film's :func:`film_noise` to
    ``goal`` in ``x + a * high_pass(x)`` (0 where the film is already at or above it; at most
    ``AMOUNTS[-1]``). ``level`` and ``residual_x``: the film's noise level and
    :func:`high_pass`, when the caller has them.

    Example:
        >>> x = 0.5 + 0.01 * torch.randn(1, 1, 64, 64, generator=torch.Generator().manual_seed(0))
        >>> a = sharpening_amount(x, torch.tensor([0.02]))
        >>> round(float(a), 2), round(float(film_noise(x + float(a) * high_pass(x))), 3)
        (1.37, 0.02)
    """
    residual_x = high_pass(x) if residual_x is None else residual_x
    levels = [film_noise(x, residual_x) if level is None else level]
    levels += [film_noise(x + a * residual_x) for a in AMOUNTS[1:]]
    return on_grid(levels, goal, AMOUNTS, rising=True)


def _solved_for(solve, x: torch.Tensor, goal: torch.Tensor, needed: torch.Tensor,
                **per_film: torch.Tensor) -> torch.Tensor:
    """``solve(x, goal, **per_film)`` evaluated on the films that ``needed`` marks only, 0
    for the others (what ``solve`` gives a film already on the goal's side; each grid search
    is most of :func:`match_texture`'s cost, and a film needs one of the two). While
    ``torch.compile`` traces, every film is evaluated (no data-dependent shapes)."""
    if torch.compiler.is_compiling() or bool(needed.all()):
        return solve(x, goal, **per_film)
    setting = torch.zeros_like(goal)
    rows = needed.nonzero().flatten()
    if len(rows):
        setting[rows] = solve(x[rows.to(x.device)], goal[rows],
                              **{k: v[rows.to(v.device)] for k, v in per_film.items()})
    return setting


def match_texture(x: torch.Tensor, target: torch.Tensor, strength: float,
                  roughen: str = "sharpen", seeds: torch.Tensor | None = None) -> torch.Tensor:
    """Move each film's :func:`film_noise` toward ``target[b]`` (``(B,)``), with ``strength``
    in ``[0, 1]`` (the goal is ``level ** (1 - strength) * target ** strength``): a smoother
    goal blurs the film (:func:`smoothing_sigma`); a noisier one, with ``roughen="sharpen"``,
    amplifies its residual (:func:`sharpening_amount`) or, with ``roughen="noise"``, adds
    white Gaussian noise drawn from ``seeds[b]`` (levels add in quadrature). Batched; the
    values are not clamped.

    Example:
        >>> g = torch.Generator().manual_seed(0)
        >>> x = 0.5 + 0.02 * torch.randn(2, 1, 64, 64, generator=g)
        >>> target = torch.tensor([0.005, 0.05])
        >>> [round(v, 3) for v in film_noise(match_texture(x, target, 1.0)).tolist()]
        [0.005, 0.05]
        >>> y = match_texture(x, target, 1.0, "noise", seeds=torch.tensor([1, 2]))
        >>> [round(v, 3) for v in film_noise(y).tolist()]
        [0.005, 0.049]
    """
    if roughen not in ROUGHEN or (roughen == "noise" and seeds is None):
        raise ValueError(f"match_texture: roughen must be one of {list(ROUGHEN)} (\"noise\" "
                         f"with seeds), got {roughen!r}")
    residual_x = high_pass(x)  # once: the level, the sharpening search and the sharpening
    level = film_noise(x, residual_x)
    goal = level.clamp_min(1e-12) ** (1.0 - strength) \
        * target.to(level).clamp_min(1e-12) ** strength
    sigma = _solved_for(smoothing_sigma, x, goal, goal < level, level=level)
    y = gaussian_blur(x, size_for_sigma(sigma), sigma, bound=largest_size_for_sigma(SIGMAS[-1]))
    if roughen == "sharpen":
        amount = _solved_for(sharpening_amount, x, goal, goal > level, level=level,
                             residual_x=residual_x)
        return add_scaled_noise(y, residual_x, amount.to(x.dtype))
    std = (goal.square() - level.square()).clamp_min(0.0).sqrt() / WHITE_RESPONSE
    noise = normal(seeds, tuple(x.shape[1:]), x.device).to(x.dtype)
    return add_scaled_noise(y, noise, std.to(x.dtype), out=noise)
