"""Vendor-like tone curves: a per-sample sigmoid, or a jittered piecewise-linear LUT."""

from __future__ import annotations

import torch

from ..core import Params
from ..errors import ConfigError
from .base import ImagePerturbation, per_sample

KINDS = ("sigmoid", "piecewise")


def sigmoid_curve(x: torch.Tensor, slope: torch.Tensor, midpoint: torch.Tensor) -> torch.Tensor:
    """S-shaped curve ``sigmoid(slope * (x - midpoint))`` rescaled so 0 -> 0 and 1 -> 1.

    ``slope`` and ``midpoint`` are ``(B,)``; the curve is strictly increasing for any
    ``slope > 0`` and tends to the identity as ``slope -> 0``.

    Example:
        >>> x = torch.tensor([[[[0.0, 0.5, 1.0]]]])
        >>> sigmoid_curve(x, torch.tensor([8.0]), torch.tensor([0.5]))
        tensor([[[[0.0000, 0.5000, 1.0000]]]])
    """
    k, m = per_sample(slope, x), per_sample(midpoint, x)
    lo, hi = torch.sigmoid(-k * m), torch.sigmoid(k * (1.0 - m))
    return (torch.sigmoid(k * (x - m)) - lo) / (hi - lo)


def apply_lut(x: torch.Tensor, curve: torch.Tensor) -> torch.Tensor:
    """Piecewise-linear LUT with ``K`` knots evenly spaced on ``[0, 1]``, one curve per sample.

    ``curve`` is ``(B, K)``: the outputs at ``x = 0, 1/(K-1), ..., 1``. The knots are uniform,
    so the segment index is ``floor(x * (K-1))`` (no ``searchsorted`` needed) and the lookup is
    one batched ``gather``.

    Example:
        >>> x = torch.tensor([[[[0.0, 0.25, 0.75, 1.0]]]])
        >>> apply_lut(x, torch.tensor([[0.0, 0.8, 1.0]]))
        tensor([[[[0.0000, 0.4000, 0.9000, 1.0000]]]])
    """
    b, k = curve.shape
    curve = curve.to(device=x.device, dtype=x.dtype)
    pos = x.clamp(0.0, 1.0).reshape(b, -1) * (k - 1)
    idx = pos.floor().long().clamp(max=k - 2)
    left, right = curve.gather(1, idx), curve.gather(1, idx + 1)
    return torch.lerp(left, right, pos - idx).view_as(x)


class ToneCurve(ImagePerturbation):
    """A vendor's tone curve (detector response / look-up table), drawn per sample.

    - ``kind="sigmoid"``: the S-curve of :func:`sigmoid_curve` with per-sample ``slope`` and
      ``midpoint`` (film-like: more mid-tone contrast, compressed toe and shoulder).
    - ``kind="piecewise"``: the identity curve sampled at ``points`` evenly spaced knots, each
      interior knot moved by ``jitter * U(-1, 1)``, then clipped to ``[0, 1]`` and sorted, so
      the curve stays monotonic non-decreasing (0 -> 0, 1 -> 1). Applied by :func:`apply_lut`.

    Severity (defined here; ImageNet-C has none). ``slope`` applies to the sigmoid,
    ``jitter`` to the piecewise curve; the sigmoid midpoint is fixed at 0.5. Slopes above 8
    push a bright film's mediastinum and a dark film's lungs to white and black (slope 15
    saturated half of a CR film); 8 keeps the added clipped fraction at severity 5 within 0.2
    on dark, normal and bright films (``docs/severity.md``).

    ======== ===== ===== ===== ===== =====
    severity   1     2     3     4     5
    ======== ===== ===== ===== ===== =====
    slope      3     4     5    6.5    8
    midpoint  0.5   0.5   0.5   0.5   0.5
    jitter    0.02  0.04  0.06  0.08  0.10
    ======== ===== ===== ===== ===== =====

    Args:
        kind: ``"sigmoid"`` or ``"piecewise"``.
        slope: sigmoid steepness, in ``[1, 50]``.
        midpoint: sigmoid centre, in ``[0.1, 0.9]``.
        jitter: largest knot displacement of the piecewise curve, in ``[0, 0.5]``.
        points: number of knots of the piecewise curve (3..64, an int, not sampled).
        p: probability that a sample is changed.
        severity: 1..5 for the fixed evaluation strengths above.
        value_range: the images' value range.

    Example:
        >>> op = ToneCurve(kind="piecewise", jitter=0.1, points=5)
        >>> params = op.sample(2, torch.Generator().manual_seed(0))
        >>> params["curve"].shape
        torch.Size([2, 5])
        >>> bool((params["curve"].diff(dim=1) >= 0).all())
        True
    """

    family = "tone_curve"
    severity_table = {"slope": (3, 4, 5, 6.5, 8), "midpoint": (0.5,) * 5,
                      "jitter": (0.02, 0.04, 0.06, 0.08, 0.10)}

    def __init__(self, kind: str = "sigmoid", slope=(3.0, 10.0), midpoint=(0.4, 0.6),
                 jitter=(0.02, 0.08), points: int = 6, *, p: float = 1.0,
                 severity: int | None = None, value_range=(0.0, 1.0)) -> None:
        super().__init__(p=p, severity=severity, value_range=value_range)
        if kind not in KINDS:
            raise ConfigError(f"ToneCurve: kind must be one of {KINDS}, got {kind!r}")
        if isinstance(points, bool) or not isinstance(points, int) or not 3 <= points <= 64:
            raise ConfigError(f"ToneCurve: points must be an int in 3..64, got {points!r}")
        self.kind, self.points = kind, points
        self.slope = self.spec("slope", slope, low=1.0, high=50.0)
        self.midpoint = self.spec("midpoint", midpoint, low=0.1, high=0.9)
        self.jitter = self.spec("jitter", jitter, low=0.0, high=0.5)

    def _sample(self, batch_size: int, generator: torch.Generator) -> Params:
        if self.kind == "sigmoid":
            return {"slope": self.slope.sample(batch_size, generator),
                    "midpoint": self.midpoint.sample(batch_size, generator)}
        jitter = self.jitter.sample(batch_size, generator)
        u = torch.rand(batch_size, self.points - 2, generator=generator, dtype=torch.float64)
        knots = torch.linspace(0.0, 1.0, self.points, dtype=torch.float64)
        inner = (knots[1:-1] + jitter[:, None] * (2.0 * u - 1.0)).clamp(0.0, 1.0)
        curve = torch.cat([knots[:1].expand(batch_size, 1), inner.sort(dim=1).values,
                           knots[-1:].expand(batch_size, 1)], dim=1)
        return {"curve": curve}

    def _apply(self, x: torch.Tensor, params: Params) -> torch.Tensor:
        if self.kind == "sigmoid":
            return sigmoid_curve(x, params["slope"], params["midpoint"])
        return apply_lut(x, params["curve"])
