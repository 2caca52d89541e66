"""Findings of a synthetic study: what is wrong, where, and how big, exact by construction.

Labels use CheXpert observation names. Sides follow the patient: on a PA film the patient's
right is on the viewer's left. Sizes are physical (cm) through a nominal field of view
:data:`FOV_CM`, so a 2.1 cm nodule covers ``2.1 / pixel_spacing_cm(size)`` pixels.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import torch

from ._draws import FINDINGS, draws

#: Label order of ``label_vector`` (CheXpert order restricted to what the phantoms show).
OBSERVATIONS: tuple[str, ...] = (
    "No Finding", "Cardiomegaly", "Lung Lesion", "Consolidation", "Pneumothorax",
    "Pleural Effusion", "Support Devices",
)
#: Observations that are pathologies ("No Finding" is 1 when none is positive; support devices
#: do not count, as in CheXpert).
PATHOLOGIES: tuple[str, ...] = OBSERVATIONS[1:6]
LOBES: tuple[str, ...] = ("right upper lobe", "right middle lobe", "right lower lobe",
                          "left upper lobe", "left lower lobe")
#: Side codes: 0 none, 1 right, 2 left, 3 bilateral.
SIDES: tuple[str, ...] = ("", "right", "left", "bilateral")
SIZES: tuple[str, ...] = ("small", "moderate", "large")
DEVICES: tuple[str, ...] = ("endotracheal tube", "central venous catheter", "nasogastric tube")
FOV_CM = 43.0  # a 43 cm detector spans the image width
NORMAL_RATE, FINDING_RATE = 0.2, 0.4


def pixel_spacing_cm(size: int) -> float:
    """Nominal pixel spacing of a ``size`` x ``size`` phantom.

    Example:
        >>> round(pixel_spacing_cm(128), 4)
        0.3359
    """
    return FOV_CM / size


@dataclass
class Findings:
    """Per-study findings, each a ``(B,)`` tensor (see :func:`sample_findings`)."""

    cardiomegaly: torch.Tensor       # bool
    ctr: torch.Tensor                # cardiothoracic ratio, > 0.5 iff cardiomegaly
    effusion_side: torch.Tensor      # int64 side code
    effusion_size: torch.Tensor      # int64 index into SIZES
    effusion_height: torch.Tensor    # fluid level as a fraction of lung height
    pneumothorax_side: torch.Tensor  # int64 side code (right / left)
    pneumothorax_size: torch.Tensor  # int64 index into SIZES
    collapse: torch.Tensor           # lung scale toward the hilum (1 = no collapse)
    lesion: torch.Tensor             # bool
    lesion_lobe: torch.Tensor        # int64 index into LOBES
    lesion_cm: torch.Tensor          # diameter, 0.1 cm steps
    lesion_offset: torch.Tensor      # (B, 2) jitter inside the lobe, body units
    consolidation: torch.Tensor      # bool
    consolidation_lobe: torch.Tensor  # int64 index into LOBES
    devices: torch.Tensor            # int64 bits: 1 ETT, 2 central line, 4 NG tube
    ett_cm: torch.Tensor             # ETT tip height above the carina, whole cm

    def labels(self) -> torch.Tensor:
        """``(B, len(OBSERVATIONS))`` float32 0/1 labels in :data:`OBSERVATIONS` order."""
        pathology = torch.stack([self.cardiomegaly, self.lesion, self.consolidation,
                                 self.pneumothorax_side > 0, self.effusion_side > 0], 1)
        normal = ~pathology.any(1, keepdim=True)
        return torch.cat([normal, pathology, (self.devices > 0)[:, None]], 1).float()

    def take(self, index: torch.Tensor) -> Findings:
        """The findings of rows ``index``."""
        return Findings(**{f.name: getattr(self, f.name)[index] for f in fields(self)})


def lobe_side(lobe: torch.Tensor) -> torch.Tensor:
    """Side code (1 right, 2 left) of lobe indices."""
    return torch.where(lobe < 3, 1, 2)


def sample_findings(keys: torch.Tensor) -> Findings:
    """Draw findings for studies ``keys`` (from :func:`~._draws.study_keys`).

    About 20% of studies are normal; otherwise each finding is present with probability 0.4,
    independently, so every label has a prevalence near 0.32.

    Example:
        >>> from mmr_augment.synthetic._draws import study_keys
        >>> f = sample_findings(study_keys(0, torch.arange(500)))
        >>> bool(((f.ctr > 0.5) == f.cardiomegaly).all())
        True
    """
    u = draws(keys, 21, FINDINGS)
    abnormal = u[:, 0] >= NORMAL_RATE
    present = (u[:, 1:7] < FINDING_RATE) & abnormal[:, None]
    cardio = present[:, 0]
    ctr = torch.where(cardio, 0.53 + 0.12 * u[:, 7], 0.39 + 0.09 * u[:, 7])
    eff_side = torch.where(present[:, 1], 1 + (u[:, 8] * 3).long().clamp(max=2), 0)
    eff_size = (u[:, 9] * 3).long().clamp(max=2)
    eff_height = 0.08 + 0.11 * eff_size + 0.09 * u[:, 10]
    ptx_side = torch.where(present[:, 2], 1 + (u[:, 11] * 2).long().clamp(max=1), 0)
    ptx_size = (u[:, 12] * 3).long().clamp(max=2)
    collapse = 0.9 - 0.09 * ptx_size - 0.05 * u[:, 13]
    lesion_cm = torch.round((1.0 + 4.0 * u[:, 14]) * 10) / 10
    offset = torch.stack([u[:, 15], u[:, 16]], 1) * 0.08 - 0.04
    devices = 1 + (u[:, 17] * 7).long().clamp(max=6)
    return Findings(
        cardiomegaly=cardio, ctr=ctr,
        effusion_side=eff_side, effusion_size=eff_size, effusion_height=eff_height,
        pneumothorax_side=ptx_side, pneumothorax_size=ptx_size, collapse=collapse,
        lesion=present[:, 3], lesion_lobe=(u[:, 18] * 5).long().clamp(max=4),
        lesion_cm=lesion_cm, lesion_offset=offset,
        consolidation=present[:, 4], consolidation_lobe=(u[:, 19] * 5).long().clamp(max=4),
        devices=torch.where(present[:, 5], devices, 0),
        ett_cm=torch.round(2 + 4 * u[:, 20]).long(),
    )


def laterality(f: Findings, i: int) -> dict[str, str]:
    """Side of each lateral observation of study row ``i`` ("" when absent).

    Example:
        >>> from mmr_augment.synthetic._draws import study_keys
        >>> sorted(laterality(sample_findings(study_keys(0, torch.arange(1))), 0))
        ['Consolidation', 'Lung Lesion', 'Pleural Effusion', 'Pneumothorax']
    """
    return {
        "Lung Lesion": SIDES[int(lobe_side(f.lesion_lobe[i]))] if f.lesion[i] else "",
        "Consolidation": (SIDES[int(lobe_side(f.consolidation_lobe[i]))]
                          if f.consolidation[i] else ""),
        "Pneumothorax": SIDES[int(f.pneumothorax_side[i])],
        "Pleural Effusion": SIDES[int(f.effusion_side[i])],
    }


def details(f: Findings, i: int) -> dict[str, float | str]:
    """Sizes and places of study row ``i`` (empty strings / 0 where absent)."""
    lesion, cons = bool(f.lesion[i]), bool(f.consolidation[i])
    bits = int(f.devices[i])
    return {
        "ctr": round(float(f.ctr[i]), 3),
        "effusion_size": SIZES[int(f.effusion_size[i])] if f.effusion_side[i] else "",
        "pneumothorax_size": (SIZES[int(f.pneumothorax_size[i])]
                              if f.pneumothorax_side[i] else ""),
        "lesion_cm": round(float(f.lesion_cm[i]), 1) if lesion else 0.0,
        "lesion_lobe": LOBES[int(f.lesion_lobe[i])] if lesion else "",
        "consolidation_lobe": LOBES[int(f.consolidation_lobe[i])] if cons else "",
        "devices": ";".join(d for k, d in enumerate(DEVICES) if bits >> k & 1),
    }
