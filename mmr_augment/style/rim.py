"""Film rim: a film's border profile per edge, and moving a film's rim toward a target profile.

Films often carry a rim at their border: the collimator's shadow or the edge of the film,
darker than what lies just inside, and often uneven along the edge. A film's border profile is
``(4, R)`` ratios, one row per edge (top, bottom, left, right) and one column per ring ``k =
0 .. R-1`` (``R`` = :data:`RINGS` px): the mean of the pixels ``k`` px from that edge over the
mean of the band of the next ``R`` px inward (rings ``R .. 2R-1``), both read away from the
corners (positions ``R .. L-R-1`` along an edge of length ``L``). A rimless film's profile is
about 1 everywhere; a dark rim shows as ratios well under 1. Ratios are in px, not in fractions
of the film: the same ``R`` at every film size.

:func:`match_rim` moves a film's rim toward a target profile with a strength ``S`` in two
steps, each pixel of the outer ``R`` rings counted to its nearest edge, and each ring of each
edge either lifted or darkened, as the film's ratio there lies under or over the target's:

1. lift, along the edge (rings darker than the target's on average): where such a ring is
   darker than its goal at a position along the edge, it is raised by
   ``S * max(goal - ring, 0)``, ``ring`` the ring's value at that position along the edge and
   ``goal`` the band's mean there times the target ratio (``lift="member"``) or times 1
   (``lift="flat"``: up to the level just inside), both box-smoothed over :data:`SMOOTH` px
   along the edge. An added offset, so a rim close to black lifts too, and only where it is
   dark: a rim that is uneven along its edge is evened out (the box blurs the lift's own
   edges: a rim that breaks off abruptly along the edge is over-lifted next to the break). A
   ring already as bright as the target's on average is not lifted, so the lift does not even
   out a rim that the target shares.
2. darken, per edge: where a ring of an edge is brighter than the target on average (after the
   lift), it is scaled by ``(target_k / film_k) ** S``, at least :data:`GAIN_FLOOR`.

Only the outer ``R`` rings change; a film needs at least ``4 R`` px per side.

Example:
    >>> x = torch.full((1, 1, 32, 32), 0.5)
    >>> x[..., :2, :] = 0.1  # a dark rim, 2 px, at the top edge
    >>> [round(v, 2) for v in film_border(x)[0, 0, :3].tolist()]
    [0.2, 0.2, 1.0]
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["EDGES", "GAIN_FLOOR", "LIFTS", "RATIO_MAX", "RINGS", "SMOOTH", "film_border",
           "match_rim"]

#: The film's edges, in the order of a border profile's rows.
EDGES = ("top", "bottom", "left", "right")
#: Rings (px) of a border profile, and the width of the band inside them.
RINGS = 8
#: Width (px) of the box along an edge over which the lift's ring and goal are smoothed.
SMOOTH = 9
#: The darkening's smallest gain.
GAIN_FLOOR = 0.25
#: Largest ratio a border profile holds (a bright ring over a black band).
RATIO_MAX = 16.0
LIFTS = ("member", "flat")


def _to_edge(v: torch.Tensor, edge: int) -> torch.Tensor:
    """``(N, H, W)`` turned so that ``edge`` is row 0 (rows run inward)."""
    return (v, v.flip(-2), v.transpose(-2, -1), v.transpose(-2, -1).flip(-2))[edge]


def _from_edge(t: torch.Tensor, edge: int) -> torch.Tensor:
    """The inverse of :func:`_to_edge`."""
    return (t, t.flip(-2), t.transpose(-2, -1), t.flip(-2).transpose(-2, -1))[edge]


def _nearest_edge(h: int, w: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """``(H, W)`` distance (px) of each pixel to its nearest edge, and that edge's index (ties:
    the first in :data:`EDGES`)."""
    i = torch.arange(h, device=device).view(-1, 1).expand(h, w)
    j = torch.arange(w, device=device).view(1, -1).expand(h, w)
    return torch.stack([i, h - 1 - i, j, w - 1 - j]).min(0)


def _films(x: torch.Tensor, rings: int) -> torch.Tensor:
    """``(B * C, H, W)`` float64 values of ``x`` clamped to [0, 1]; the size checked."""
    if min(x.shape[-2:]) < 4 * rings:
        raise ValueError(f"rim: films need at least 4 x {rings} px per side, got "
                         f"{tuple(x.shape[-2:])}")
    return x.detach().reshape(-1, *x.shape[-2:]).clamp(0, 1).to(torch.float64)


def _profile(v: torch.Tensor, rings: int) -> torch.Tensor:
    """``(N, 4, R)`` border profile of ``(N, H, W)`` float64 films."""
    rows = []
    for e in range(4):
        t = _to_edge(v, e)[..., rings:-rings]
        band = t[:, rings:2 * rings].mean((1, 2)).clamp_min(1e-6)
        rows.append(t[:, :rings].mean(-1) / band[:, None])
    return torch.stack(rows, 1).clamp(0.0, RATIO_MAX)


def film_border(x: torch.Tensor, rings: int = RINGS) -> torch.Tensor:
    """``(B, 4, R)`` float64 border profile of each film of ``x`` ``(B, C, H, W)`` (see the
    module doc; channels averaged; values clamped to [0, 1] first).

    Example:
        >>> film_border(torch.full((2, 1, 32, 32), 0.5), 4).unique().tolist()
        [1.0]
    """
    v = _films(x.mean(1, keepdim=True), rings)
    return _profile(v, rings)


def _smooth_along(v: torch.Tensor) -> torch.Tensor:
    """``(N, K, L)`` box mean over :data:`SMOOTH` positions along the last axis (fewer at the
    ends)."""
    n, k, length = v.shape
    out = F.avg_pool1d(v.reshape(n * k, 1, length), SMOOTH, 1, SMOOTH // 2,
                       count_include_pad=False)
    return out.reshape(n, k, length)


def match_rim(x: torch.Tensor, target: torch.Tensor, strength: float, lift: str = "member"
              ) -> torch.Tensor:
    """Move each film's rim toward ``target[b]`` (``(B, 4, R)`` border profiles), with
    ``strength`` in ``[0, 1]``: lift along the edge, then darken per edge (see the module doc).
    Batched; the values are not clamped; only the outer ``R`` rings change.

    Example:
        >>> x = torch.full((1, 1, 32, 32), 0.5)
        >>> x[..., -2:, 5:20] = 0.1  # a dark, uneven rim at the bottom edge
        >>> y = match_rim(x, torch.ones(1, 4, 4), 1.0)  # lifted toward ratio 1
        >>> [[round(v, 2) for v in film_border(f, 4)[0, 1, :2].tolist()] for f in (x, y)]
        [[0.5, 0.5], [0.98, 0.98]]
        >>> z = match_rim(torch.full((1, 1, 32, 32), 0.5), torch.full((1, 4, 4), 0.5), 1.0)
        >>> round(float(z[0, 0, 0, 16]), 3), round(float(z[0, 0, 16, 16]), 3)  # darkened
        (0.25, 0.5)
    """
    if lift not in LIFTS:
        raise ValueError(f"match_rim: lift must be one of {list(LIFTS)}, got {lift!r}")
    b, c, h, w = x.shape
    rings = target.shape[-1]
    v = _films(x, rings)
    goal_ratio = target.to(v).repeat_interleave(c, 0)
    darker = (_profile(v, rings) < goal_ratio).to(v)  # (N, 4, R): rings to lift
    dist, side = _nearest_edge(h, w, x.device)
    offset = torch.zeros_like(v)
    for e in range(4):
        t = _to_edge(v, e)
        ring = _smooth_along(t[:, :rings])
        band = _smooth_along(t[:, rings:2 * rings].mean(1, keepdim=True))
        goal = band if lift == "flat" else band * goal_ratio[:, e, :, None]
        full = torch.zeros_like(t)
        full[:, :rings] = strength * darker[:, e, :, None] * (goal - ring).clamp_min(0)
        offset = torch.where((side == e) & (dist < rings), _from_edge(full, e), offset)
    lifted = v + offset
    gain = ((goal_ratio / _profile(lifted.clamp(0, 1), rings).clamp_min(1e-6)) ** strength)
    gain = torch.cat([gain.clamp(GAIN_FLOOR, 1.0).flatten(1), gain.new_ones(b * c, 1)], 1)
    ring_of = torch.where(dist < rings, side * rings + dist, torch.full_like(dist, 4 * rings))
    field = gain[:, ring_of.flatten()].view(-1, h, w)
    out = x.reshape(-1, h, w) + offset.to(x.dtype)
    return (out * field.to(x.dtype)).view(b, c, h, w)
