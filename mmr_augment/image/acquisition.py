"""Acquisition artefacts: anti-scatter grid lines and collimation borders."""

from __future__ import annotations

import math

import torch

from ..core import Params
from ..params import choice
from .base import ImagePerturbation, per_sample

#: Grid lines run along the detector rows or columns unless told otherwise.
AXIS_ANGLES = choice(0.0, 90.0)


def _centred_pixels(n: int, device: torch.device) -> torch.Tensor:
    """Pixel-centre coordinates ``0.5 .. n - 0.5`` shifted so the image centre is 0."""
    return torch.arange(n, device=device, dtype=torch.float32) + 0.5 - n / 2


def _column(t: torch.Tensor, device: torch.device) -> torch.Tensor:
    """A ``(B,)`` param as a float32 ``(B, 1, 1)`` tensor on ``device``."""
    return t.float().to(device).view(-1, 1, 1)


class GridLines(ImagePerturbation):
    """Anti-scatter grid artefact: a periodic line pattern multiplied into the image.

    ``y = x * (1 - contrast * ((1 + cos(2 pi f r + phase)) / 2) ** sharpness)`` where ``r`` is
    the pixel position along the direction ``angle`` (degrees from the column axis towards
    the row axis: 0 gives vertical lines, 90 horizontal ones) in units of the longer image
    side, so ``frequency`` is in cycles per image. ``sharpness`` 1 is a pure sinusoid; larger
    values give thin dark lines with the same period. Frequencies above half the image size
    alias into moiré, as real grids do on a detector. The phase is random per sample.

    Severity (no ImageNet-C / MedMNIST-C row; ours): contrast .04 .08 .12 .18 .25.

    Args:
        frequency: cycles per (longer) image side.
        angle: direction of the intensity variation, in degrees.
        contrast: depth of the dark lines, in ``[0, 1]``.
        sharpness: integer exponent; higher gives thinner lines.

    Example:
        >>> op = GridLines(frequency=8, angle=0.0, contrast=0.5)
        >>> y = op(torch.ones(1, 1, 16, 16), generator=0)
        >>> column_constant = bool((y[0, 0] == y[0, 0, :1]).all())  # vertical lines
        >>> column_constant, round(float(y.min()), 2), round(float(y.max()), 2)
        (True, 0.51, 0.99)
    """

    family = "grid_lines"
    severity_table = {"contrast": (0.04, 0.08, 0.12, 0.18, 0.25)}

    def __init__(self, frequency=(10.0, 60.0), angle=AXIS_ANGLES, contrast=(0.03, 0.2),
                 sharpness=1, *, p: float = 1.0, severity: int | None = None,
                 value_range=(0.0, 1.0)) -> None:
        super().__init__(p=p, severity=severity, value_range=value_range)
        self.frequency = self.spec("frequency", frequency, low=0.0)
        self.angle = self.spec("angle", angle, low=-360.0, high=360.0)
        self.contrast = self.spec("contrast", contrast, low=0.0, high=1.0)
        self.sharpness = self.spec("sharpness", sharpness, low=1, high=64, integer=True)

    def _sample(self, batch_size: int, generator: torch.Generator) -> Params:
        return {**super()._sample(batch_size, generator),
                "phase": 2 * math.pi * torch.rand(batch_size, generator=generator,
                                                  dtype=torch.float64)}

    def _apply(self, x: torch.Tensor, params: Params) -> torch.Tensor:
        h, w = x.shape[-2:]
        theta = torch.deg2rad(params["angle"])
        cycles = params["frequency"] / max(h, w)  # cycles per pixel, float64 on the CPU
        along_x = _column(cycles * torch.cos(theta), x.device)
        along_y = _column(cycles * torch.sin(theta), x.device)
        t = along_y * _centred_pixels(h, x.device)[:, None] + \
            along_x * _centred_pixels(w, x.device)[None, :]
        wave = torch.cos(2 * math.pi * torch.frac(t) + _column(params["phase"], x.device))
        lines = ((1 + wave) / 2) ** _column(params["sharpness"], x.device)
        return x * (1 - per_sample(params["contrast"], x) * lines[:, None].to(x.dtype))


class Collimation(ImagePerturbation):
    """Collimator shutters: everything outside a per-sample (rotated) rectangle is covered.

    The rectangle's sides sit at ``margin`` (fraction of the height or width, drawn per side)
    from the image edges and it is rotated by ``angle`` degrees about the image centre. Outside
    it, pixels are blended towards ``fill`` (0 dark, 1 bright) with weight ``opacity``; with
    ``softness`` > 0 (pixels) the blend ramps up over that distance outside the edge. Pixels
    inside the rectangle are never touched.

    Severity (no ImageNet-C / MedMNIST-C row; ours): margin .04 .08 .12 .16 .20 per side.

    Args:
        margin: per-side margin as a fraction of the image side, in ``[0, 0.5)``.
        angle: rotation of the field in degrees.
        fill: value of the shuttered region.
        opacity: blend weight towards ``fill`` (1 overwrites).
        softness: width in pixels of the edge ramp (0 gives a hard edge).

    Example:
        >>> op = Collimation(margin=0.25, angle=0.0)
        >>> y = op(torch.ones(1, 1, 8, 8), generator=0)
        >>> y[0, 0, :, 3].tolist()
        [0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0]
    """

    family = "collimation"
    severity_table = {"margin": (0.04, 0.08, 0.12, 0.16, 0.20)}
    SIDES = ("top", "bottom", "left", "right")

    def __init__(self, margin=(0.0, 0.15), angle=(-5.0, 5.0), fill=0.0, opacity=1.0,
                 softness=0.0, *, p: float = 1.0, severity: int | None = None,
                 value_range=(0.0, 1.0)) -> None:
        super().__init__(p=p, severity=severity, value_range=value_range)
        self.margin = self.spec("margin", margin, low=0.0, high=0.499)
        self.angle = self.spec("angle", angle, low=-180.0, high=180.0)
        self.fill = self.spec("fill", fill, low=0.0, high=1.0)
        self.opacity = self.spec("opacity", opacity, low=0.0, high=1.0)
        self.softness = self.spec("softness", softness, low=0.0)

    def _sample(self, batch_size: int, generator: torch.Generator) -> Params:
        params = {side: self.margin.sample(batch_size, generator) for side in self.SIDES}
        for name in ("angle", "fill", "opacity", "softness"):
            params[name] = getattr(self, name).sample(batch_size, generator)
        return params

    def _field_weight(self, params: Params, height: int, width: int,
                       device: torch.device) -> torch.Tensor:
        """``(B, H, W)`` float32 blend weight: 0 inside the field, up to 1 outside."""
        theta = torch.deg2rad(params["angle"])  # trigonometry in float64 on the CPU
        cos, sin = _column(torch.cos(theta), device), _column(torch.sin(theta), device)
        py = _centred_pixels(height, device)[:, None]
        px = _centred_pixels(width, device)[None, :]
        # pixel position in the field's own (unrotated) frame, relative to the field centre
        top, bottom, left, right = (_column(params[side], device) for side in self.SIDES)
        u = cos * px + sin * py + (right - left) * (width / 2)
        v = cos * py - sin * px + (bottom - top) * (height / 2)
        half_w, half_h = (1 - left - right) * (width / 2), (1 - top - bottom) * (height / 2)
        distance = torch.maximum(u.abs() - half_w, v.abs() - half_h)  # > 0 outside the field
        soft = _column(params["softness"], device)
        ramp = (distance / soft.clamp(min=1e-6)).clamp(0, 1)
        opacity = _column(params["opacity"], device)
        return torch.where(soft > 0, ramp, (distance > 0).float()) * opacity

    def occlusion(self, shape: tuple[int, ...], params: Params) -> torch.Tensor:
        """``(B, 1, H, W)`` bool: pixels outside the field (all False where gated off)."""
        gate = params["gate"]
        weight = self._field_weight(params, shape[-2], shape[-1], gate.device)
        return ((weight > 0) & gate.view(-1, 1, 1))[:, None]

    def _apply(self, x: torch.Tensor, params: Params) -> torch.Tensor:
        weight = self._field_weight(params, x.shape[-2], x.shape[-1], x.device)[:, None]
        blended = x + weight.to(x.dtype) * (per_sample(params["fill"], x) - x)
        return torch.where(weight > 0, blended, x)
