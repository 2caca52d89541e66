"""Film rim: a film's border profile per edge, and moving a film's rim toward a target profile.

Films often carry a rim at their border: the collimator's shadow or the edge of the film, a
step darker than what lies just inside, often uneven along the edge; others only darken
gradually toward the edge. A film's
border profile is ``(8, R)`` numbers, ``R`` = :data:`RINGS` rings (ring ``k``: the pixels ``k``
px from an edge, each pixel counted to its nearest edge), for the edges top, bottom, left,
right in that order:

- rows 0-3, the rim's *level*: the mean of ring ``k`` of that edge over the mean of the film's
  interior (the pixels at least ``2 R`` px from every edge);
- rows 4-7, its *drop*: how much that level would rise if the ring were lifted, at each
  position along the edge, up to the band just inside, ``max(band - ring, 0)`` (``ring`` the
  ring's value there, ``band`` the mean of the next ``R`` px inward there, both box-smoothed
  over :data:`SMOOTH` px along the edge), in the same units: near 0 for a film that darkens
  gradually toward its edge, large for a rim a step darker than its inside, in places or all
  along.

Ratios are in px, not in fractions of the film: the same ``R`` at every film size; a film
needs more than ``4 R`` px per side.

:func:`match_rim` moves a film's rim toward a target profile with a strength ``S`` in two
steps, per edge and ring:

1. lift, along the edge, where the film's drop is deeper than the target's: each pixel is
   raised by ``S * a * max(band - ring, 0)``, ``a = 1 - target_drop / film_drop`` (in [0, 1]),
   so the drop shrinks to the target's at ``S = 1``. An added offset, so a rim close to black
   lifts too, only where it is dark: an uneven rim is evened out (the box blurs the lift's own
   edges: a rim that breaks off abruptly along the edge is over-lifted next to the break). A
   film with a shallower drop than the target's is not lifted.
2. darken, per edge: each ring brighter than the target's level (after the lift) is scaled
   by ``(target_level / film_level) ** S``, at least :data:`GAIN_FLOOR`. An evenly darker
   rim is not brightened.

Example:
    >>> x = torch.full((1, 1, 40, 40), 0.5)
    >>> x[..., :2, :] = 0.1  # a dark rim, 2 px, at the top edge: level and drop
    >>> profile = film_border(x, 4)[0]
    >>> [round(v, 2) for v in profile[0].tolist()], [round(v, 2) for v in profile[4].tolist()]
    ([0.2, 0.2, 1.0, 1.0], [0.8, 0.8, 0.0, 0.0])
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..errors import InputError

__all__ = ["EDGES", "GAIN_FLOOR", "RATIO_MAX", "RINGS", "SMOOTH", "film_border", "match_rim"]

#: The film's edges, in the order of a border profile's rows (levels, then drops).
EDGES = ("top", "bottom", "left", "right")
#: Rings (px) of a border profile; the lift's band is as wide, and the interior starts at 2 R.
RINGS = 8
#: Width (px) of the box along an edge over which the lift's ring and band are smoothed.
SMOOTH = 9
#: The darkening's smallest gain.
GAIN_FLOOR = 0.25
#: Largest number a border profile holds (a bright ring on a black film).
RATIO_MAX = 16.0


def _to_edge(v: torch.Tensor, edge: int) -> torch.Tensor:
    """``(N, H, W)`` turned so that ``edge`` is row 0 (rows run inward)."""
    return (v, v.flip(-2), v.transpose(-2, -1), v.transpose(-2, -1).flip(-2))[edge]


def _from_edge(t: torch.Tensor, edge: int) -> torch.Tensor:
    """The inverse of :func:`_to_edge`."""
    return (t, t.flip(-2), t.transpose(-2, -1), t.flip(-2).transpose(-2, -1))[edge]


def _rings(h: int, w: int, rings: int, device: torch.device
           ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(H, W)`` maps: each pixel's ring label ``edge * R + k`` (``4 R`` beyond the rings), its
    nearest edge's index (ties: the first in :data:`EDGES`), and whether it is interior."""
    i = torch.arange(h, device=device).view(-1, 1).expand(h, w)
    j = torch.arange(w, device=device).view(1, -1).expand(h, w)
    dist, side = torch.stack([i, h - 1 - i, j, w - 1 - j]).min(0)
    label = torch.where(dist < rings, side * rings + dist, torch.full_like(dist, 4 * rings))
    return label, side, dist >= 2 * rings


def _films(x: torch.Tensor, rings: int) -> torch.Tensor:
    """``(B * C, H, W)`` float64 values of ``x`` clamped to [0, 1]; the size checked."""
    if min(x.shape[-2:]) <= 4 * rings:
        raise InputError(f"rim: films need more than 4 x {rings} px per side, got "
                         f"{tuple(x.shape[-2:])}")
    return x.detach().reshape(-1, *x.shape[-2:]).clamp(0, 1).to(torch.float64)


def _levels(v: torch.Tensor, rings: int, maps: tuple[torch.Tensor, ...]) -> torch.Tensor:
    """``(N, 4 R)`` rim levels (profile rows 0-3, flattened) of ``(N, H, W)`` float64 films;
    ``maps``: their :func:`_rings`."""
    label, _, interior = maps
    flat, label = v.clamp(0, 1).flatten(1), label.flatten()
    sums = flat.new_zeros(flat.shape[0], 4 * rings + 1).index_add_(1, label, flat)
    counts = torch.bincount(label, minlength=4 * rings + 1).to(flat)
    inner = flat[:, interior.flatten()].mean(1).clamp_min(1e-6)
    return (sums[:, :-1] / counts[:-1] / inner[:, None]).clamp(0.0, RATIO_MAX)


def _smooth_along(v: torch.Tensor) -> torch.Tensor:
    """``(N, K, L)`` box mean over :data:`SMOOTH` positions along the last axis (fewer at the
    ends)."""
    n, k, length = v.shape
    out = F.avg_pool1d(v.reshape(n * k, 1, length), SMOOTH, 1, SMOOTH // 2,
                       count_include_pad=False)
    return out.reshape(n, k, length)


def _full_lift(v: torch.Tensor, rings: int, maps: tuple[torch.Tensor, ...]) -> torch.Tensor:
    """``(N, H, W)``: each ring pixel's ``max(band - ring, 0)`` along its nearest edge."""
    label, side, _ = maps
    lift = torch.zeros_like(v)
    for e in range(4):
        t = _to_edge(v, e)
        ring = _smooth_along(t[:, :rings])
        band = _smooth_along(t[:, rings:2 * rings].mean(1, keepdim=True))
        full = torch.zeros_like(t)
        full[:, :rings] = (band - ring).clamp_min(0)
        lift = torch.where((side == e) & (label < 4 * rings), _from_edge(full, e), lift)
    return lift


def _profile(v: torch.Tensor, rings: int, maps: tuple[torch.Tensor, ...]
             ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Of ``(N, H, W)`` float64 films: their levels and drops ``(N, 4 R)`` each (profile rows
    0-3 and 4-7, flattened) and the full lift ``(N, H, W)`` the drops are measured with."""
    full = _full_lift(v, rings, maps)
    levels = _levels(v, rings, maps)
    return levels, (_levels(v + full, rings, maps) - levels).clamp_min(0), full


def film_border(x: torch.Tensor, rings: int = RINGS) -> torch.Tensor:
    """``(B, 8, R)`` float64 border profile of each film of ``x`` ``(B, C, H, W)``: levels,
    then drops (see the module doc; channels averaged; values clamped to [0, 1] first).

    Example:
        >>> film_border(torch.full((2, 1, 20, 20), 0.5), 4).unique().tolist()
        [0.0, 1.0]
    """
    v = _films(x.mean(1, keepdim=True), rings)
    levels, drops, _ = _profile(v, rings, _rings(*v.shape[-2:], rings, v.device))
    return torch.cat([levels, drops], 1).view(-1, 8, rings)


def match_rim(x: torch.Tensor, target: torch.Tensor, strength: float) -> torch.Tensor:
    """Move each film's rim toward ``target[b]`` (``(B, 8, R)`` border profiles), with
    ``strength`` in ``[0, 1]``: lift along the edge, then darken per edge (see the module doc).
    Batched; the values are not clamped; only the outer ``R`` rings change.

    Example:
        >>> x = torch.full((1, 1, 40, 40), 0.5)
        >>> x[..., -2:, 5:25] = 0.1  # a rim dark in places, at the bottom edge
        >>> even = torch.cat([torch.ones(1, 4, 4), torch.zeros(1, 4, 4)], 1)
        >>> y = match_rim(x, even, 1.0)  # lifted: no drop, level 1
        >>> [[round(v, 2) for v in film_border(f, 4)[0, 1, :2].tolist()] for f in (x, y)]
        [[0.6, 0.58], [1.0, 1.0]]
        >>> z = match_rim(torch.full((1, 1, 40, 40), 0.5), even * 0.5, 1.0)
        >>> round(float(z[0, 0, 0, 20]), 3), round(float(z[0, 0, 20, 20]), 3)  # darkened
        (0.25, 0.5)
    """
    b, c, h, w = x.shape
    rings = target.shape[-1]
    v = _films(x, rings)
    goal = target.to(v).repeat_interleave(c, 0).flatten(1)
    level_goal, drop_goal = goal[:, :4 * rings], goal[:, 4 * rings:]
    maps = _rings(h, w, rings, x.device)  # once: every step below reads them
    label = maps[0].flatten()
    _, drop, full = _profile(v, rings, maps)
    share = (1 - drop_goal / drop.clamp_min(1e-6)).clamp(0.0, 1.0)
    share = torch.cat([share, share.new_zeros(b * c, 1)], 1)
    offset = strength * share[:, label].view(-1, h, w) * full
    lifted = _levels(v + offset, rings, maps).clamp_min(1e-6)
    gain = ((level_goal / lifted) ** strength).clamp(GAIN_FLOOR, 1.0)
    gain = torch.cat([gain, gain.new_ones(b * c, 1)], 1)
    field = gain[:, label].view(-1, h, w)
    out = x.reshape(-1, h, w) + offset.to(x.dtype)
    return (out * field.to(x.dtype)).view(b, c, h, w)
