"""``PerturbedBatch``: what ``MultiModalPolicy`` returns and the trainer consumes.

INTERFACE (the policy fills it in; mmr_train reads it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch

#: Per-sample perturbation mode codes (``PerturbedBatch.mode``).
MODES = ("none", "image", "text", "both")


@dataclass
class PerturbedBatch:
    """One batch of image-report pairs, clean and perturbed.

    Attributes:
        clean_images: (B, C, H, W) float.
        images: (B, C, H, W) perturbed images (equal to clean where the image was not perturbed).
        clean_texts: list of B report strings.
        texts: list of B perturbed report strings (bit-identical to clean where not perturbed).
        mode: (B,) int64 index into ``MODES``.
        image_present: (B,) bool, False where the image modality was dropped.
        text_present: (B,) bool, False where the text modality was dropped.
        severity: (B,) int64 severity used per sample (0 = clean).
        damage: (B, H // patch, W // patch) float, mean absolute change per patch.
        occlusion: (B, 1, H, W) bool, exact occlusion masks from cutout-like ops.
        patch_size: patch size the damage map was computed for.
        text_edits: per sample, list of edits (dicts: kind, start, end, old, new) on the
            clean text's character offsets.
        log: replay log (JSON-serialisable).
    """

    clean_images: torch.Tensor
    images: torch.Tensor
    clean_texts: list[str]
    texts: list[str]
    mode: torch.Tensor
    image_present: torch.Tensor
    text_present: torch.Tensor
    severity: torch.Tensor
    damage: torch.Tensor
    occlusion: torch.Tensor
    patch_size: int
    text_edits: list[list[dict[str, Any]]] = field(default_factory=list)
    log: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.clean_texts)

    def edited_token_mask(self, offsets: list[list[tuple[int, int]]]) -> torch.Tensor:
        """(B, L) bool: tokens (given as char offsets into the *perturbed* text, as a
        tokenizer returns them) that overlap an edit. Padding offsets (0, 0) are never edited."""
        raise NotImplementedError  # filled in by the policy work
