"""Hand-made ``PerturbedBatch`` objects and a small tokenizer, for examples and tests.

Example:
    >>> batch = toy_batch()
    >>> batch.mode.tolist(), batch.texts[2]
    ([0, 1, 2, 3], 'Mild cardiomegaly. No pleural effuison.')
"""

from __future__ import annotations

import functools

import torch

from mmr_augment.batch import PerturbedBatch

from ..tokenizer import ReportTokenizer

REPORTS = (
    "No acute cardiopulmonary process.",
    "Small right pleural effusion. No pneumothorax.",
    "Mild cardiomegaly. No pleural effusion.",
    "Left lower lobe consolidation, concerning for pneumonia.",
)
#: Sample 2: typo in "effusion"; sample 3: "pneumonia" -> "infection" (substitution).
EDITS = (
    [],
    [],
    [{"kind": "typo", "start": 34, "end": 36, "old": "si", "new": "is"}],
    [{"kind": "synonym", "start": 46, "end": 55, "old": "pneumonia", "new": "infection"}],
)


def _apply(text: str, edits: list[dict]) -> str:
    for e in sorted(edits, key=lambda e: -e["start"]):
        text = text[: e["start"]] + e["new"] + text[e["end"]:]
    return text


@functools.lru_cache(maxsize=1)
def toy_tokenizer() -> ReportTokenizer:
    """WordPiece tokenizer trained on :data:`REPORTS` and their edited versions."""
    corpus = list(REPORTS) + [_apply(r, e) for r, e in zip(REPORTS, EDITS)]
    return ReportTokenizer.train(corpus * 3, vocab_size=200, min_frequency=1)


def toy_batch(size: int = 64, patch: int = 8, seed: int = 0,
              image_present: tuple[bool, ...] = (True,) * 4,
              text_present: tuple[bool, ...] = (True,) * 4) -> PerturbedBatch:
    """Four studies, modes none / image / text / both.

    Images ``(4, 1, size, size)``; samples 1 and 3 have the top-left quarter cut out (exact
    ``occlusion`` and ``damage`` there); samples 2 and 3 carry the text edits of :data:`EDITS`.
    """
    g = torch.Generator().manual_seed(seed)
    clean = torch.rand(4, 1, size, size, generator=g)
    occlusion = torch.zeros(4, 1, size, size, dtype=torch.bool)
    occlusion[[1, 3], :, : size // 2, : size // 2] = True
    images = clean.masked_fill(occlusion, 0.0)
    grid = size // patch
    damage = (images - clean).abs().reshape(4, grid, patch, grid, patch).mean((2, 4))
    return PerturbedBatch(
        clean_images=clean, images=images, clean_texts=list(REPORTS),
        texts=[_apply(r, e) for r, e in zip(REPORTS, EDITS)],
        mode=torch.tensor([0, 1, 2, 3]), image_present=torch.tensor(image_present),
        text_present=torch.tensor(text_present), severity=torch.tensor([0, 3, 3, 3]),
        damage=damage, occlusion=occlusion, patch_size=patch,
        text_edits=[list(e) for e in EDITS])
