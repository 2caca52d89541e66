"""Normal anatomy of a phantom: per-study shape parameters and the soft masks built from them.

Everything is drawn in a *body frame* ``(u, v)``: ``u`` runs from the patient's right (image
left, ``u < 0``) to the patient's left, ``v`` from head to feet, and the thorax spans about
``u in [-0.7, 0.7]``. A per-study similarity transform (scale, shift, rotation) maps the image
grid into that frame, so one study renders the same anatomy at any size. Masks are soft
(sigmoid edges about one pixel wide), computed with tensor ops over the whole batch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import torch

from ._draws import ANATOMY, draws

# name: (low, high) of each per-study anatomical parameter, drawn uniformly.
_RANGES: dict[str, tuple[float, float]] = {
    "scale": (0.9, 1.02), "shift_u": (-0.04, 0.04), "shift_v": (-0.03, 0.05),
    "rotation": (-0.07, 0.07),            # radians, about +-4 degrees
    "lung_cx": (0.38, 0.42), "lung_a": (0.29, 0.33), "lung_cy": (-0.1, -0.04),
    "lung_b": (0.64, 0.72), "apex": (0.25, 0.4),
    "dome_right": (0.36, 0.44), "dome_drop": (0.03, 0.08), "dome_k": (0.12, 0.2),
    "heart_h": (0.23, 0.28), "heart_frac": (0.58, 0.68),
    "rib_spacing": (0.15, 0.175), "rib_phase": (0.0, 1.0),
    "tissue": (0.42, 0.5), "air": (0.36, 0.44),
}
_HEART_TILT = 0.5  # radians, long axis toward the patient's left lower chest


@dataclass
class Anatomy:
    """Per-study anatomical parameters, each a ``(B,)`` float tensor (see ``_RANGES``)."""

    scale: torch.Tensor
    shift_u: torch.Tensor
    shift_v: torch.Tensor
    rotation: torch.Tensor
    lung_cx: torch.Tensor
    lung_a: torch.Tensor
    lung_cy: torch.Tensor
    lung_b: torch.Tensor
    apex: torch.Tensor
    dome_right: torch.Tensor
    dome_drop: torch.Tensor
    dome_k: torch.Tensor
    heart_h: torch.Tensor
    heart_frac: torch.Tensor
    rib_spacing: torch.Tensor
    rib_phase: torch.Tensor
    tissue: torch.Tensor
    air: torch.Tensor

    def col(self, name: str) -> torch.Tensor:
        """Parameter ``name`` as a ``(B, 1, 1)`` float32 tensor, ready to broadcast."""
        return getattr(self, name).float().view(-1, 1, 1)

    def take(self, rows: torch.Tensor) -> Anatomy:
        """The anatomy of studies ``rows``."""
        return Anatomy(**{f.name: getattr(self, f.name)[rows] for f in fields(self)})

    def dome(self, side: int) -> torch.Tensor:
        """``(B, 1, 1)`` height of the dome top of ``side`` (1 right, 2 left; left is lower)."""
        return self.col("dome_right") + (self.col("dome_drop") if side == 2 else 0.0)


def sample_anatomy(keys: torch.Tensor) -> Anatomy:
    """Draw anatomy for studies ``keys``.

    Example:
        >>> from mmr_augment.synthetic._draws import study_keys
        >>> a = sample_anatomy(study_keys(0, torch.arange(3)))
        >>> a.scale.shape
        torch.Size([3])
    """
    u = draws(keys, len(_RANGES), ANATOMY)
    values = {name: lo + (hi - lo) * u[:, k] for k, (name, (lo, hi)) in enumerate(_RANGES.items())}
    return Anatomy(**{f.name: values[f.name] for f in fields(Anatomy)})


@dataclass
class Frame:
    """Body-frame coordinates of every pixel: ``u``, ``v`` ``(B, H, W)``, the pixel size ``px``
    in body units ``(B, 1, 1)``, and the mirrored lateral distance ``q = |u|`` with the mask
    ``right`` (patient's right, ``u < 0``): the two lungs are drawn in one pass over ``q``."""

    u: torch.Tensor
    v: torch.Tensor
    px: torch.Tensor

    def __post_init__(self) -> None:
        self.q = self.u.abs()
        self.right = self.u < 0

    def soft(self, distance: torch.Tensor, width: float = 1.0) -> torch.Tensor:
        """Soft inside-mask from a signed distance (positive inside); the edge rises from 0.1
        to 0.9 over about ``width`` pixels (a sigmoid of scale ``width / 4.4``)."""
        return torch.sigmoid(distance * (4.4 / width) / self.px)

    def sided(self, right: torch.Tensor, left: torch.Tensor) -> torch.Tensor:
        """Per-pixel choice of a ``(B, 1, 1)`` value: ``right`` on the patient's right."""
        return torch.where(self.right, right, left)

    def take(self, rows: torch.Tensor) -> Frame:
        """The frame of studies ``rows``."""
        return Frame(self.u[rows], self.v[rows], self.px[rows])


def body_frame(anatomy: Anatomy, size: int) -> Frame:
    """Map the ``size`` x ``size`` pixel grid (``[-1, 1]`` image units) into the body frame.

    Example:
        >>> from mmr_augment.synthetic._draws import study_keys
        >>> body_frame(sample_anatomy(study_keys(0, torch.arange(2))), 64).u.shape
        torch.Size([2, 64, 64])
    """
    axis = (torch.arange(size, dtype=torch.float32) * 2 + 1) / size - 1
    y, x = axis.view(1, -1, 1), axis.view(1, 1, -1)
    dx, dy = x - anatomy.col("shift_u"), y - anatomy.col("shift_v")
    cos, sin = torch.cos(anatomy.col("rotation")), torch.sin(anatomy.col("rotation"))
    s = anatomy.col("scale")
    u = (cos * dx + sin * dy) / s
    v = (cos * dy - sin * dx) / s
    return Frame(u, v, 2.0 / (size * s))


def domes(frame: Frame, anatomy: Anatomy) -> torch.Tensor:
    """Per-pixel height of the dome top on the pixel's side (the left dome is lower)."""
    return frame.sided(anatomy.dome(1), anatomy.dome(2))


def _lung_radius(frame: Frame, anatomy: Anatomy, squeeze: torch.Tensor | None
                 ) -> tuple[torch.Tensor, torch.Tensor]:
    cx, a, cy, b = (anatomy.col(n) for n in ("lung_cx", "lung_a", "lung_cy", "lung_b"))
    q, v = frame.q, frame.v
    if squeeze is not None:
        anchor_q, anchor_v = cx - 0.6 * a, domes(frame, anatomy)
        q = anchor_q + (q - anchor_q) / squeeze
        v = anchor_v + (v - anchor_v) / squeeze
    t = (v - cy) / b
    a_eff = a * (1 - anatomy.col("apex") * torch.relu(-t).square())
    return torch.sqrt(((q - cx) / a_eff).square() + t.square()), a_eff


def lung_envelope(frame: Frame, anatomy: Anatomy, squeeze: torch.Tensor | None = None
                  ) -> tuple[torch.Tensor, torch.Tensor]:
    """Soft mask of both lung fields inside the ribs, ignoring the diaphragm, and the relative
    air thickness (1 at a lung's core, 0 at its edge).

    ``squeeze`` (per pixel or ``(B,1,1)``, < 1) shrinks a lung toward its base-medial anchor,
    which is how a pneumothorax collapses it. The widest point (``v = lung_cy``) reaches
    ``lung_cx + lung_a`` from the midline: half the thoracic width of the cardiothoracic ratio.
    """
    r, a_eff = _lung_radius(frame, anatomy, squeeze)
    depth = torch.sqrt(torch.clamp(1 - r.square(), min=0.0))
    return frame.soft((1 - r) * a_eff), depth


def diaphragm(frame: Frame, anatomy: Anatomy) -> torch.Tensor:
    """Soft mask of the region above the hemidiaphragm domes; each dome falls off laterally
    into a sharp costophrenic angle."""
    cx, a = anatomy.col("lung_cx"), anatomy.col("lung_a")
    dome_v = domes(frame, anatomy) + anatomy.col("dome_k") * ((frame.q - cx) / a).square()
    return frame.soft(dome_v - frame.v)


def heart(frame: Frame, anatomy: Anatomy, ctr: torch.Tensor) -> torch.Tensor:
    """Soft mask of the cardiac silhouette whose width is exactly ``ctr`` times the thoracic
    width: an ellipse tilted toward the left lower chest, about 60% of it to the patient's
    left, resting on the left dome."""
    half_width = ctr.float().view(-1, 1, 1) * (anatomy.col("lung_cx") + anatomy.col("lung_a"))
    minor = anatomy.col("heart_h")
    cos, sin = math.cos(_HEART_TILT), math.sin(_HEART_TILT)
    # The tilted ellipse's horizontal half-extent is sqrt((major cos)^2 + (minor sin)^2).
    major = torch.sqrt(torch.clamp(half_width.square() - (minor * sin) ** 2, min=1e-4)) / cos
    du = frame.u - (2 * anatomy.col("heart_frac") - 1) * half_width
    dv = frame.v - (anatomy.dome(2) - minor)
    along, across = du * cos + dv * sin, dv * cos - du * sin
    r = torch.sqrt((along / major).square() + (across / minor).square())
    return frame.soft((1 - r) * minor)


def body(frame: Frame) -> tuple[torch.Tensor, torch.Tensor]:
    """Soft body outline (neck, shoulders, trunk) and a soft-tissue thickness profile."""
    half_width = 0.2 + 0.66 * torch.sigmoid((frame.v + 0.86) / 0.06)
    inside = frame.soft(half_width - frame.u.abs(), width=1.5)
    thickness = torch.sqrt(torch.clamp(1 - (frame.u / half_width).square(), min=0.0))
    return inside, thickness


def blob(frame: Frame, center_u: torch.Tensor | float, center_v: torch.Tensor | float,
         radius_u: float, radius_v: float, mirrored: bool = False) -> torch.Tensor:
    """Soft ellipse mask (aortic knob, gastric bubble); ``mirrored`` draws it on both sides
    at ``+-center_u`` (hila, humeral heads)."""
    u = frame.q if mirrored else frame.u
    r = torch.sqrt(((u - center_u) / radius_u).square()
                   + ((frame.v - center_v) / radius_v).square())
    return frame.soft((1 - r) * min(radius_u, radius_v), width=1.0)
