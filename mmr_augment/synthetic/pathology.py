"""Soft masks of the findings, drawn into the same body frame as the anatomy.

Each finding changes the anatomy the way it looks on film: fluid replaces basal lung air under
a meniscus, a pneumothorax pulls the lung away from the apex and lateral wall leaving a rim of
air without vessel markings and a thin visceral pleural line, a nodule is a round density,
consolidation is patchy density confined to its lobe and lung, and devices are thin dense
curves. Masks of absent findings are zero (multiplied by the presence flag, no branching).
"""

from __future__ import annotations

import torch

from .anatomy import Anatomy, Frame, domes, lung_envelope
from .findings import FOV_CM, Findings

# Lobe centres as (lateral offset in lung half-widths, height in lung half-heights) from the
# lung centre; LOBES order. The middle and lower lobes sit above the domes.
_LOBE_CENTERS = torch.tensor([[0.05, -0.45], [-0.3, 0.3], [0.4, 0.42],
                              [0.05, -0.45], [0.5, 0.42]])
CARINA_V = -0.22  # tracheal bifurcation height in the body frame


def _flag(x: torch.Tensor) -> torch.Tensor:
    return x.float().view(-1, 1, 1)


def effusion(frame: Frame, anatomy: Anatomy, findings: Findings, envelope: torch.Tensor
             ) -> torch.Tensor:
    """Pleural fluid: basal density under a meniscus that rises laterally, filling (blunting)
    the costophrenic angle and hiding the dome, on the side(s) of ``effusion_side``."""
    cx, a, cy, b = (anatomy.col(n) for n in ("lung_cx", "lung_a", "lung_cy", "lung_b"))
    side = findings.effusion_side
    present = frame.sided(_flag((side == 1) | (side == 3)), _flag((side == 2) | (side == 3)))
    dome = domes(frame, anatomy)
    level = dome - _flag(findings.effusion_height) * (dome - (cy - b))
    across = torch.clamp((frame.q - (cx - a)) / (2 * a), 0.0, 1.0)
    meniscus = level - 0.12 * across.square()
    fluid = torch.sigmoid((frame.v - meniscus) / (0.015 + 2 * frame.px))
    return present * fluid * envelope


def pneumothorax(frame: Frame, anatomy: Anatomy, findings: Findings, lung: torch.Tensor
                 ) -> tuple[torch.Tensor, torch.Tensor]:
    """Pleural air rim and visceral pleural line on the side of ``pneumothorax_side``.

    Returns:
        ``(rim, line)``: soft mask of the air between the collapsed lung and the chest wall,
        and a one-to-two-pixel line along the collapsed lung edge.
    """
    side, collapse = findings.pneumothorax_side, _flag(findings.collapse)
    present = frame.sided(_flag(side == 1), _flag(side == 2))
    collapsed, _ = lung_envelope(frame, anatomy, squeeze=1 - present * (1 - collapse))
    rim = present * lung * (1 - collapsed)
    return rim, 4 * rim * collapsed


def _lobe_center(anatomy: Anatomy, lobe: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Body-frame ``(u, v)`` centre ``(B, 1, 1)`` of each study's lobe."""
    rel = _LOBE_CENTERS[lobe]
    sign = torch.where(lobe < 3, -1.0, 1.0).view(-1, 1, 1)
    q = anatomy.col("lung_cx") + rel[:, 0].view(-1, 1, 1) * anatomy.col("lung_a")
    v = anatomy.col("lung_cy") + rel[:, 1].view(-1, 1, 1) * anatomy.col("lung_b")
    return sign * q, v


def lesion(frame: Frame, anatomy: Anatomy, findings: Findings) -> torch.Tensor:
    """Nodule or mass: a ball of diameter ``lesion_cm`` (projected thickness profile)."""
    u0, v0 = _lobe_center(anatomy, findings.lesion_lobe)
    u0 = u0 + findings.lesion_offset[:, 0].float().view(-1, 1, 1)
    v0 = v0 + findings.lesion_offset[:, 1].float().view(-1, 1, 1)
    radius = _flag(findings.lesion_cm) / FOV_CM / anatomy.col("scale")  # body units
    dist = torch.sqrt((frame.u - u0).square() + (frame.v - v0).square())
    ball = torch.sqrt(torch.clamp(1 - (dist / radius).square(), min=0.0))
    return _flag(findings.lesion) * (0.4 + 0.6 * ball) * frame.soft(radius - dist)


def consolidation(frame: Frame, anatomy: Anatomy, findings: Findings, patchy: torch.Tensor,
                  lung: torch.Tensor) -> torch.Tensor:
    """Patchy airspace density around the lobe centre, confined to that lobe's lung."""
    lobe = findings.consolidation_lobe
    u0, v0 = _lobe_center(anatomy, lobe)
    ru, rv = 0.6 * anatomy.col("lung_a"), 0.32 * anatomy.col("lung_b")
    r = torch.sqrt(((frame.u - u0) / ru).square() + ((frame.v - v0) / rv).square())
    zone = torch.sigmoid((1 - r) / 0.12)
    same_side = frame.sided(_flag(lobe < 3), _flag(lobe >= 3))
    return _flag(findings.consolidation) * zone * patchy * lung * same_side


def _tube(frame: Frame, center: torch.Tensor, slope: torch.Tensor, v_start: float,
          v_end: torch.Tensor | float, width: float) -> torch.Tensor:
    """A thin curve ``u = center(v)`` for ``v_start < v < v_end`` (distance measured normal
    to the curve through its slope)."""
    dist = (frame.u - center).abs() / torch.sqrt(1 + slope.square())
    w = torch.clamp(0.7 * frame.px, min=width)  # at least a pixel wide, same total density
    return (torch.exp(-(dist / w).square()) * (width / w) * frame.soft(frame.v - v_start)
            * frame.soft(v_end - frame.v))


def devices(frame: Frame, anatomy: Anatomy, findings: Findings) -> torch.Tensor:
    """Endotracheal tube ending ``ett_cm`` above the carina, right internal jugular central
    line ending in the SVC, and a nasogastric tube curving into the stomach."""
    bits = findings.devices
    cm = 2.0 / FOV_CM / anatomy.col("scale")
    zero = torch.zeros_like(frame.v)
    ett_tip = CARINA_V - _flag(findings.ett_cm) * cm
    ett = _tube(frame, zero + 0.004, zero, -1.4, ett_tip, 0.011)
    depth = torch.clamp((-0.2 - frame.v) / 0.9, min=0.0)
    line = _tube(frame, -0.05 - 0.13 * depth.square(), 0.29 * depth, -1.1, -0.2, 0.006)
    bend = torch.relu((frame.v - 0.35) / 0.35)
    ng = _tube(frame, 0.02 + 0.3 * bend.square(), 1.7 * bend, -1.4, 0.72, 0.008)
    return _flag(bits & 1) * ett + _flag((bits & 2) > 0) * line + _flag((bits & 4) > 0) * ng
