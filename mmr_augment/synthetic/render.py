"""Render phantoms: densities of anatomy and findings summed into a radiograph-like image.

The image is a projected density: soft tissue (thicker centrally), minus aerated lung, plus
bone, vessels, fluid, lesions and devices, clipped to ``[0, 1]`` (bright = dense, as on film).
All studies of a batch are rendered together with tensor ops; both lungs are drawn in one pass
over the mirrored coordinate, and each finding is drawn only for the rows that have it.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from .anatomy import Anatomy, Frame, blob, body, body_frame, diaphragm, heart, lung_envelope
from .findings import Findings
from .pathology import CARINA_V, consolidation, devices, effusion, lesion, pneumothorax
from .skeleton import clavicles, humeral_heads, patchy_field, ribs, spine, vessel_markings

# Density weights of the structures; tuned by eye to resemble a PA chest film.
_RIBS, _CLAVICLES, _SPINE, _HUMERI = 0.07, 0.12, 0.08, 0.14
_LESION, _DEVICE, _FLUID, _VESSELS, _PLEURAL_LINE = 0.24, 0.32, 0.05, 0.09, 0.14
_PNEUMOTHORAX_AIR = 0.3  # extra lucency of pleural air over aerated lung


def _on_rows(flag: torch.Tensor, shape: tuple[int, ...],
             draw: Callable[[torch.Tensor], torch.Tensor]) -> torch.Tensor:
    """``draw(rows)`` for the rows where ``flag`` is set, zeros elsewhere (``(B, *shape)``)."""
    out = torch.zeros(len(flag), *shape)
    rows = flag.nonzero().flatten()
    if rows.numel():
        out[rows] = draw(rows)
    return out


def _findings(frame: Frame, anatomy: Anatomy, findings: Findings, keys: torch.Tensor,
              envelope: torch.Tensor, lung: torch.Tensor) -> dict[str, torch.Tensor]:
    """Soft masks of every finding, drawn on the rows that have it."""
    def sub(rows: torch.Tensor) -> tuple[Frame, Anatomy, Findings]:
        return frame.take(rows), anatomy.take(rows), findings.take(rows)

    def ptx(rows: torch.Tensor) -> torch.Tensor:
        return torch.stack(pneumothorax(*sub(rows), lung[rows]), 1)

    def patchy(rows: torch.Tensor) -> torch.Tensor:
        f, a, s = sub(rows)
        return consolidation(f, a, s, patchy_field(f, keys[rows]), lung[rows])

    image = tuple(lung.shape[1:])
    rim_line = _on_rows(findings.pneumothorax_side > 0, (2, *image), ptx)
    return {
        "fluid": _on_rows(findings.effusion_side > 0, image,
                          lambda rows: effusion(*sub(rows), envelope[rows])),
        "rim": rim_line[:, 0], "line": rim_line[:, 1],
        "consolidation": _on_rows(findings.consolidation, image, patchy),
        "lesion": _on_rows(findings.lesion, image, lambda rows: lesion(*sub(rows))),
        "devices": _on_rows(findings.devices > 0, image, lambda rows: devices(*sub(rows))),
    }


def render(anatomy: Anatomy, findings: Findings, keys: torch.Tensor, size: int) -> torch.Tensor:
    """``(B, 1, size, size)`` float32 phantoms in ``[0, 1]``.

    Example:
        >>> from mmr_augment.synthetic._draws import study_keys
        >>> from mmr_augment.synthetic.anatomy import sample_anatomy
        >>> from mmr_augment.synthetic.findings import sample_findings
        >>> k = study_keys(0, torch.arange(2))
        >>> x = render(sample_anatomy(k), sample_findings(k), k, 64)
        >>> x.shape, bool((x >= 0).all() and (x <= 1).all())
        (torch.Size([2, 1, 64, 64]), True)
    """
    frame = body_frame(anatomy, size)
    inside, thickness = body(frame)
    cardiac = heart(frame, anatomy, findings.ctr)
    aortic_knob = blob(frame, 0.11, -0.34, 0.07, 0.06)
    envelope, depth = lung_envelope(frame, anatomy)
    lung = envelope * diaphragm(frame, anatomy) * (1 - cardiac) * (1 - aortic_knob)
    found = _findings(frame, anatomy, findings, keys, envelope, lung)
    aerated = lung * (1 - found["fluid"])
    air = aerated * (0.6 + 0.4 * depth + _PNEUMOTHORAX_AIR * found["rim"])
    air *= 1 - 0.85 * found["consolidation"]
    vessels = vessel_markings(frame, keys) * aerated * (1 - found["rim"])
    mediastinum = torch.exp(-(frame.u / 0.13) ** 4) * frame.soft(anatomy.dome(1) - frame.v)
    trachea = torch.exp(-(frame.u / 0.028) ** 4) * frame.soft(CARINA_V - frame.v)
    gastric_bubble = blob(frame, 0.3, anatomy.dome(2) + 0.1, 0.09, 0.05)
    bone = (_RIBS * ribs(frame, anatomy) + _CLAVICLES * clavicles(frame)
            + _SPINE * spine(frame) + _HUMERI * humeral_heads(frame))
    density = inside * (anatomy.col("tissue") + 0.25 * thickness + bone
                        - 0.1 * trachea - 0.14 * gastric_bubble)
    density -= anatomy.col("air") * air
    density += 0.06 * (cardiac + mediastinum).clamp(max=1)
    hila = torch.exp(-((frame.q - 0.15) / 0.06).square() - ((frame.v + 0.04) / 0.1).square())
    density += 0.07 * hila
    density += _VESSELS * vessels + _PLEURAL_LINE * found["line"] + _FLUID * found["fluid"]
    density += _LESION * found["lesion"] + _DEVICE * found["devices"]
    return density.clamp_(0.0, 1.0)[:, None]
