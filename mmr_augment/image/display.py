"""Display-mapping families: random window / level, and inversion (MONOCHROME1 mix-ups)."""

from __future__ import annotations

import kornia.enhance
import torch

from ..core import Params
from .base import ImagePerturbation, per_sample


def window_level(x: torch.Tensor, center: torch.Tensor, width: torch.Tensor) -> torch.Tensor:
    """Map ``[center - width/2, center + width/2]`` linearly onto ``[0, 1]``, clipping outside.

    ``center`` and ``width`` are ``(B,)`` tensors (``width > 0``), in the image's units.

    Example:
        >>> x = torch.tensor([[[[0.0, 0.25, 0.5, 0.75, 1.0]]]])
        >>> window_level(x, torch.tensor([0.5]), torch.tensor([0.5]))
        tensor([[[[0.0000, 0.0000, 0.5000, 1.0000, 1.0000]]]])
    """
    c, w = per_sample(center, x), per_sample(width, x)
    return ((x - c) / w + 0.5).clamp(0.0, 1.0)


class WindowLevel(ImagePerturbation):
    """Random re-windowing, as a radiologist (or a site's default VOI LUT) would window.

    Each sample gets a window of ``width`` (a fraction of the value range) centred at
    ``0.5 +- shift`` (the sign is drawn per sample); the window maps linearly onto the full
    range and everything outside clips. ``width=1, shift=0`` is the identity.

    Severity (ImageNet-C has no such corruption; defined here): narrower windows with larger
    centre shifts, so more of the range saturates. The window is absolute, so the same window
    saturates different films differently: a dark film's lungs sit at 0.05-0.2, a bright CR
    film's mediastinum above 0.9. The table is the strongest that keeps the added clipped
    fraction at severity 5 within 0.2 on dark, normal and bright films (``docs/severity.md``);
    the former 0.5-wide window saturated up to 91% of a real film.

    ======== ===== ===== ===== ===== =====
    severity   1     2     3     4     5
    ======== ===== ===== ===== ===== =====
    width     0.97  0.94  0.91  0.88  0.85
    shift     0.01  0.02  0.03  0.04  0.05
    ======== ===== ===== ===== ===== =====

    Args:
        width: window width as a fraction of the value range, in ``(0, 2]``.
        shift: distance of the window centre from the middle of the range, in ``[0, 0.5]``.
        p: probability that a sample is changed.
        severity: 1..5 for the fixed evaluation strengths above (replaces both).
        value_range: the images' value range.

    Example:
        >>> op = WindowLevel(width=0.5, shift=0.0)
        >>> op(torch.tensor([[[[0.25, 0.5, 0.6, 0.9]]]]), generator=0)
        tensor([[[[0.0000, 0.5000, 0.7000, 1.0000]]]])
    """

    family = "window_level"
    severity_table = {"width": (0.97, 0.94, 0.91, 0.88, 0.85),
                      "shift": (0.01, 0.02, 0.03, 0.04, 0.05)}

    def __init__(self, width=(0.5, 1.0), shift=(0.0, 0.15), *, p: float = 1.0,
                 severity: int | None = None, value_range=(0.0, 1.0)) -> None:
        super().__init__(p=p, severity=severity, value_range=value_range)
        self.width = self.spec("width", width, low=1e-3, high=2.0)
        self.shift = self.spec("shift", shift, low=0.0, high=0.5)

    def _sample(self, batch_size: int, generator: torch.Generator) -> Params:
        width = self.width.sample(batch_size, generator)
        shift = self.shift.sample(batch_size, generator)
        sign = torch.randint(0, 2, (batch_size,), generator=generator) * 2 - 1
        return {"center": 0.5 + sign * shift, "width": width}

    def _apply(self, x: torch.Tensor, params: Params) -> torch.Tensor:
        return window_level(x, params["center"], params["width"])


class Invert(ImagePerturbation):
    """Intensity inversion ``1 - x``: a MONOCHROME1 image read as MONOCHROME2 (or back).

    ``strength`` blends ``x`` and ``1 - x`` per sample (``lerp``); 1 is the plain inversion,
    values below 1 also flatten contrast (0.5 gives a uniform grey), so a real mix-up is
    ``strength=1``, the default. The inversion itself is kornia's ``enhance.invert``. There is
    no severity table: an inversion has no graded strength.

    Args:
        strength: blend weight towards ``1 - x``, in ``[0, 1]``.
        p: probability that a sample is changed.
        value_range: the images' value range.

    Example:
        >>> Invert()(torch.tensor([[[[0.0, 0.25, 1.0]]]]), generator=0)
        tensor([[[[1.0000, 0.7500, 0.0000]]]])
    """

    family = "invert"

    def __init__(self, strength=1.0, *, p: float = 1.0, severity: int | None = None,
                 value_range=(0.0, 1.0)) -> None:
        super().__init__(p=p, severity=severity, value_range=value_range)
        self.strength = self.spec("strength", strength, low=0.0, high=1.0)

    def _apply(self, x: torch.Tensor, params: Params) -> torch.Tensor:
        return torch.lerp(x, kornia.enhance.invert(x), per_sample(params["strength"], x))
