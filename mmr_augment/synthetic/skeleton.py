"""Bones and lung texture of a phantom: ribs, clavicles, spine, humeral heads, vessel markings.

Ribs are one periodic band pattern along a curved coordinate (no loop over ribs). Textures are
small per-study noise grids from the counter-based generator, sampled in the body frame with
``torch.nn.functional.grid_sample``, so they stay attached to the anatomy at any image size.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from .._rng import normal
from ._draws import TEXTURE
from .anatomy import Anatomy, Frame, blob, domes


def _band(coordinate: torch.Tensor, width: float) -> torch.Tensor:
    """Periodic soft band: 1 at integer+0.5 values of ``coordinate``, ``width`` of a period."""
    return torch.exp(-((torch.remainder(coordinate, 1.0) - 0.5) / width).square())


def ribs(frame: Frame, anatomy: Anatomy) -> torch.Tensor:
    """Posterior ribs (rising to the spine) and fainter anterior ribs (falling medially), both
    sides in one pass."""
    cx, a, cy, b = (anatomy.col(n) for n in ("lung_cx", "lung_a", "lung_cy", "lung_b"))
    q, v = frame.q, frame.v
    cage = torch.sqrt(((q - cx) / (a + 0.07)).square() + ((v - cy) / (b + 0.06)).square())
    # The cage fades over ~0.1 body units (physical, not per pixel): ribs curve out of view.
    inside = torch.sigmoid(torch.stack([(1 - cage) * a, q - 0.05, v + 0.84,
                                        domes(frame, anatomy) + 0.1 - v]) / 0.02).prod(0)
    spacing, phase = anatomy.col("rib_spacing"), anatomy.col("rib_phase")
    posterior = _band((v - 0.55 * (q - 0.05).square() - 0.12 * q) / spacing + phase, 0.13)
    anterior = _band((v + 0.4 * q - 0.35 * q.square()) / (1.3 * spacing) + phase, 0.1)
    return inside * (posterior + 0.45 * anterior * torch.sigmoid((q - 0.15) / 0.03))


def clavicles(frame: Frame) -> torch.Tensor:
    """Both clavicles: bands from the sternal notch rising gently to the shoulders."""
    q = frame.q
    center = -0.69 - 0.1 * (q - 0.1) + 0.25 * (q - 0.35).square()
    shaft = torch.exp(-((frame.v - center) / 0.03) ** 4)
    return shaft * frame.soft(q - 0.07, width=1.5) * frame.soft(0.66 - q, width=1.5)


def spine(frame: Frame) -> torch.Tensor:
    """Thoracic spine: a midline column with vertebral bodies every ~0.1 body units."""
    column = torch.exp(-(frame.u / 0.065) ** 4)
    return column * (0.7 + 0.3 * torch.cos(math.pi * frame.v / 0.1).square())


def humeral_heads(frame: Frame) -> torch.Tensor:
    """Humeral heads at the upper corners."""
    return blob(frame, 0.9, -0.74, 0.11, 0.11, mirrored=True)


def _sample_grid(grid_values: torch.Tensor, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Bilinear sample of ``(B, h, w)`` values at ``x``, ``y`` in ``[-1, 1]`` -> ``(B, H, W)``."""
    grid = torch.stack([x, y], -1)
    out = F.grid_sample(grid_values[:, None], grid, mode="bilinear", padding_mode="border",
                        align_corners=False)
    return out[:, 0]


def vessel_markings(frame: Frame, keys: torch.Tensor) -> torch.Tensor:
    """Vessel markings: ridges of smooth noise stretched along rays from each hilum (thin curvy
    branching lines), thick near the hila and fading to the periphery. The right lung reads the
    left half of the noise grid, the left lung the right half."""
    field = normal(keys, (8, 96), frame.u.device, stream=TEXTURE * 10)
    dq, dv = frame.q - 0.16, frame.v + 0.02
    radius = torch.sqrt(dq.square() + dv.square())
    column = 0.5 * torch.atan2(dv, dq) / math.pi + torch.where(frame.right, -0.5, 0.5)
    ridges = torch.exp(-(_sample_grid(field, column, radius * 2.0 - 1) / 0.22).square())
    return ridges * torch.exp(-radius / 0.45)


def patchy_field(frame: Frame, keys: torch.Tensor) -> torch.Tensor:
    """Smooth per-study noise in ``[0.35, 1]`` for patchy airspace opacities."""
    field = normal(keys, (14, 14), frame.u.device, stream=TEXTURE * 10 + 7)
    return 0.35 + 0.65 * torch.sigmoid(2.5 * _sample_grid(field, frame.u / 1.1, frame.v / 1.1))
