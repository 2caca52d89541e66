"""Default inputs of the contract checker and the calls it makes on any kind of op."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from ..batch import PerturbedBatch
from ..core import Perturbation

#: Reports with negated, hedged, lateral and measured findings across two sections.
REPORTS = (
    "FINDINGS: PA and lateral views. The lungs are clear. No pleural effusion or pneumothorax. "
    "Heart size is normal. There is a small left pleural effusion.\n\n"
    "IMPRESSION: Mild cardiomegaly. No acute disease. Possible right lower lobe pneumonia.",
    "FINDINGS: Stable mild cardiomegaly. No pneumothorax, pleural effusion, or focal airspace "
    "disease. Bony structures are intact.\nIMPRESSION: Cardiomegaly without acute "
    "cardiopulmonary abnormality.",
    "The cardiomediastinal silhouette is within normal limits. There is no focal "
    "consolidation. Left basilar atelectasis. Calcified granuloma in the right upper lobe "
    "measures 5 mm.",
    "IMPRESSION: Interval increase in bilateral pleural effusions. Pulmonary edema is worse. "
    "ET tube and NG tube in place. Cannot exclude pneumonia in the left base.",
)


def default_image(b: int = 4, c: int = 1, h: int = 32, w: int = 40, seed: int = 0
                  ) -> torch.Tensor:
    """Smooth structure plus texture, so blur, sharpening and tone ops all change something."""
    g = torch.Generator().manual_seed(seed)
    yy, xx = torch.meshgrid(torch.linspace(0, 1, h), torch.linspace(0, 1, w), indexing="ij")
    return (0.25 + 0.5 * yy * xx + 0.2 * torch.rand(b, c, h, w, generator=g)).clamp(0, 1)


def kind_of(op: Perturbation, images: Any, reports: Any) -> str:
    """``"image"``, ``"text"`` or ``"multimodal"``: what the op is called on."""
    if op.modality in ("image", "text", "multimodal"):
        return op.modality
    return "text" if images is None and reports is not None else "image"


def call(op: Perturbation, kind: str, x: Any, generator: Any) -> Any:
    if kind == "multimodal":
        return op(x[0], list(x[1]), generator=generator)
    return op(x if kind == "image" else list(x), generator=generator)


def apply(op: Perturbation, kind: str, x: Any, params: Any) -> Any:
    return op.apply(x if kind != "text" else list(x), params)


def take(kind: str, x: Any, i: int) -> Any:
    if kind == "multimodal":
        return x[0][i:i + 1], list(x[1][i:i + 1])
    return x[i:i + 1] if kind == "image" else list(x[i:i + 1])


def size(kind: str, x: Any) -> int:
    return len(x[1]) if kind == "multimodal" else len(x)


def outputs(kind: str, y: Any) -> tuple[torch.Tensor | None, list[str] | None]:
    """(images, texts) of an op's output."""
    if isinstance(y, PerturbedBatch) or kind == "multimodal":
        return y.images, list(y.texts)
    if kind == "image":
        return y, None
    return None, list(y.texts)


def inputs(kind: str, x: Any) -> tuple[torch.Tensor | None, list[str] | None]:
    if kind == "multimodal":
        return x[0], list(x[1])
    return (x, None) if kind == "image" else (None, list(x))


def same(a: Any, b: Any, kind: str, atol: float = 0.0) -> bool:
    (ia, ta), (ib, tb) = outputs(kind, a), outputs(kind, b)
    if ia is not None:
        same_images = (torch.equal(ia, ib) if atol == 0 else
                       bool((ia.float() - ib.float()).abs().max() <= atol))
        if not same_images:
            return False
    return ta == tb


def edit_distance(a: str, b: str) -> int:
    """Character Levenshtein distance, one numpy pass per row (insertions via a running min).

    Example:
        >>> edit_distance("kitten", "sitting")
        3
    """
    if not a or not b:
        return len(a) + len(b)
    bs = np.frombuffer(b.encode("utf-32-le"), dtype=np.uint32)
    offsets = np.arange(len(b) + 1)
    row = offsets.copy()
    for i, ch in enumerate(a, start=1):
        cost = (bs != ord(ch)).astype(np.int64)
        step = np.empty_like(row)
        step[0] = i
        step[1:] = np.minimum(row[1:] + 1, row[:-1] + cost)
        row = np.minimum.accumulate(step - offsets) + offsets
    return int(row[-1])


def change(kind: str, x: Any, y: Any) -> float:
    """Mean absolute image change plus mean edit distance per character of text."""
    (xi, xt), (yi, yt) = inputs(kind, x), outputs(kind, y)
    total = 0.0
    if xi is not None:
        total += (yi.double() - xi.double()).abs().mean().item()
    if xt is not None:
        total += sum(edit_distance(a, b) for a, b in zip(xt, yt)) / max(1, sum(map(len, xt)))
    return total


def as_list(images: torch.Tensor | Sequence[torch.Tensor] | None) -> list[torch.Tensor]:
    if images is None:
        return []
    return [images] if isinstance(images, torch.Tensor) else list(images)
