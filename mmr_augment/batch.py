"""``PerturbedBatch``: what ``MultiModalPolicy`` returns and the trainer consumes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch

#: Per-sample perturbation mode codes (``PerturbedBatch.mode``).
MODES = ("none", "image", "text", "both")


class DeferredLog:
    """Descriptor of ``PerturbedBatch.log``: holds a dict, or a function returning one that
    runs on first access (its result replaces it). The default is an empty dict. The value
    sits in the instance's ``__dict__`` under the field's own name, so ``vars(batch)`` hands
    it on still deferred.

    Example:
        >>> b = PerturbedBatch.__new__(PerturbedBatch)
        >>> b.log = lambda: {"params": [1, 2]}
        >>> callable(vars(b)["log"]), b.log, b.log is b.log
        (True, {'params': [1, 2]}, True)
    """

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, batch: Any, owner: type | None = None) -> Any:
        if batch is None:
            return dict  # the dataclass default: a function making a fresh empty dict
        value = batch.__dict__[self.name]
        if callable(value):
            value = batch.__dict__[self.name] = value()
        return value

    def __set__(self, batch: Any, value: dict[str, Any] | Callable[[], dict[str, Any]]
                ) -> None:
        batch.__dict__[self.name] = value


@dataclass(repr=False)
class PerturbedBatch:
    """One batch of image-report pairs, clean and perturbed.

    Attributes:
        clean_images: (B, C, H, W) float.
        images: (B, C, H, W) perturbed images (bit-identical to clean where the image was not
            perturbed).
        clean_texts: list of B report strings.
        texts: list of B perturbed reports (bit-identical to clean where not perturbed).
        mode: (B,) int64 index into ``MODES`` (names: :attr:`mode_names`).
        image_present: (B,) bool, False where the image modality was dropped.
        text_present: (B,) bool, False where the text modality was dropped.
        severity: (B,) int64 severity used per sample (0: clean, or ops as configured).
        damage: (B, H // patch_size, W // patch_size) float32 mean absolute change per patch.
        occlusion: (B, 1, H, W) bool, exact occlusion masks from cutout-like ops.
        patch_size: patch size of ``damage``.
        text_edits: per sample, the edit log (dicts: kind, start, end, old, new) in order of
            application; each span refers to the text the op that made it received.
        edited_spans: per sample, character spans of the *perturbed* text that differ from the
            clean one (word level), for mapping edits onto any tokenizer's offsets.
        log: replay log: ``MultiModalPolicy.replay(log, images, texts)`` rebuilds this batch.
            The constructor also takes a function that makes it: it runs on first access
            (:class:`DeferredLog`), so a training step that never reads the log never pays
            for turning its params into JSON.
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
    edited_spans: list[list[tuple[int, int]]] = field(default_factory=list)
    log: dict[str, Any] = DeferredLog()  # type: ignore[assignment]

    def __len__(self) -> int:
        return len(self.clean_texts)

    @property
    def mode_names(self) -> list[str]:
        """Per-sample mode as a name from ``MODES`` (``"none"``, ``"image"``, ...)."""
        return [MODES[m] for m in self.mode.tolist()]

    def __repr__(self) -> str:
        """A few lines: shapes, per-sample modes and what changed; no tensor dumps.

        Example:
            >>> b = PerturbedBatch(torch.zeros(2, 1, 4, 4), torch.ones(2, 1, 4, 4), ["a", "b"],
            ...     ["a", "c"], torch.tensor([1, 3]), torch.tensor([True, True]),
            ...     torch.tensor([True, False]), torch.tensor([2, 5]), torch.zeros(2, 1, 1),
            ...     torch.zeros(2, 1, 4, 4, dtype=torch.bool), 4)
            >>> b
            PerturbedBatch(2 samples, images (2, 1, 4, 4) torch.float32, patch_size 4,
              mode ['image', 'both'], severity [2, 5],
              image changed 2/2, text changed 1/2, image dropped 0/2, text dropped 1/2)
        """
        n = len(self)
        image_changed = int((self.images != self.clean_images).flatten(1).any(1).sum())
        text_changed = sum(a != b for a, b in zip(self.clean_texts, self.texts))
        return (f"PerturbedBatch({n} samples, images {tuple(self.images.shape)} "
                f"{self.images.dtype}, patch_size {self.patch_size},\n"
                f"  mode {self.mode_names}, severity {self.severity.tolist()},\n"
                f"  image changed {image_changed}/{n}, text changed {text_changed}/{n}, "
                f"image dropped {int((~self.image_present).sum())}/{n}, "
                f"text dropped {int((~self.text_present).sum())}/{n})")

    def edited_token_mask(self, offsets: list[list[tuple[int, int]]]) -> torch.Tensor:
        """(B, L) bool: tokens (char offsets into the perturbed text, as a tokenizer returns
        them, padded to L) that overlap an edited span. ``(0, 0)`` offsets are never edited.

        Example:
            >>> b = PerturbedBatch.__new__(PerturbedBatch)
            >>> b.edited_spans = [[(3, 8)]]
            >>> b.edited_token_mask([[(0, 2), (3, 8), (9, 12), (0, 0)]]).tolist()
            [[False, True, False, False]]
        """
        length = max((len(o) for o in offsets), default=0)
        mask = torch.zeros(len(offsets), length, dtype=torch.bool)
        for b, (spans, offs) in enumerate(zip(self.edited_spans, offsets, strict=True)):
            if not spans or not offs:
                continue
            tok = torch.tensor(offs, dtype=torch.int64).view(-1, 2)
            sp = torch.tensor(spans, dtype=torch.int64).view(-1, 2)
            overlap = (tok[:, None, 0] < sp[None, :, 1]) & (sp[None, :, 0] < tok[:, None, 1])
            mask[b, : len(offs)] = overlap.any(1) & (tok[:, 1] > tok[:, 0])
        return mask
