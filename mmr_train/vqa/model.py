"""``VQAModel``: a Robust-MMR backbone plus the M3AE answer head on the fused embedding, and the
fine-tuned run folder it is saved in.

The forward pass is split in three stages (:meth:`VQAModel.encode_images`,
:meth:`~VQAModel.encode_texts`, :meth:`~VQAModel.answer_logits`) so that evaluation encodes
each distinct image and question once and reuses the clean side when only the other one is
perturbed; chained they compute exactly :meth:`RobustMMR.embed`'s ``fused`` embedding.

Run folder (written by :func:`~mmr_train.vqa.finetune_vqa`): ``run.json`` (model config,
answer vocabulary, fine-tuning config, where the backbone came from), ``tokenizer.json``,
``best.pt`` (weights of the best validation epoch), ``checkpoints/`` (one per epoch, for
``resume``) and ``metrics.jsonl``.

Example:
    >>> from mmr_train.config import preset
    >>> from mmr_train.model import RobustMMR
    >>> model = VQAModel(RobustMMR(preset("tiny")), n_answers=5)
    >>> ids = torch.tensor([[2, 7, 3]]); mask = torch.ones(1, 3, dtype=torch.bool)
    >>> model(torch.rand(1, 1, 64, 64), ids, mask).shape
    torch.Size([1, 5])
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from torch import nn

from mmr_augment.errors import InputError

from ..checkpoint import load_checkpoint
from ..config import from_dict
from ..model import RobustMMR
from ..tokenizer import TOKENIZER_FILE, ReportTokenizer
from .scoring import AnswerVocab

RUN_FILE = "run.json"
BEST_FILE = "best.pt"


class AnswerHead(nn.Module):
    """M3AE's VQA classifier: ``Linear(w, 2w), LayerNorm, GELU, Linear(2w, n_answers)``."""

    def __init__(self, width: int, n_answers: int) -> None:
        super().__init__()
        self.layers = nn.Sequential(nn.Linear(width, 2 * width), nn.LayerNorm(2 * width),
                                    nn.GELU(), nn.Linear(2 * width, n_answers))

    def forward(self, fused: torch.Tensor) -> torch.Tensor:
        """``(B, width)`` -> ``(B, n_answers)`` logits."""
        return self.layers(fused)


class VQAModel(nn.Module):
    """Backbone (:class:`RobustMMR`; its reconstruction heads are unused) plus answer head."""

    def __init__(self, backbone: RobustMMR, n_answers: int) -> None:
        super().__init__()
        self.backbone = backbone
        self.head = AnswerHead(backbone.config.model.width, n_answers)

    def encode_images(self, images: torch.Tensor, present: torch.Tensor | None = None
                      ) -> tuple[torch.Tensor, torch.Tensor]:
        """``(B, C, S, S)`` -> image tokens ``(B, V, w)`` and their validity ``(B, V)``."""
        tokens, valid, _ = self.backbone.image_encoder(images, None, present)
        return tokens, valid

    def encode_texts(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                     present: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """``(B, L)`` ids -> text tokens ``(B, L, w)`` and their validity ``(B, L)``."""
        valid = attention_mask.bool()
        return self.backbone.text_encoder(input_ids, valid, present), valid

    def answer_logits(self, image: tuple[torch.Tensor, torch.Tensor],
                      text: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        """Fuse encoded images and questions; ``(B, n_answers)`` logits."""
        return self.head(self.backbone.fusion(image[0], image[1], text[0], text[1]).pooled)

    def forward(self, images: torch.Tensor, input_ids: torch.Tensor,
                attention_mask: torch.Tensor) -> torch.Tensor:
        """All three stages: ``(B, n_answers)`` logits."""
        return self.answer_logits(self.encode_images(images),
                                  self.encode_texts(input_ids, attention_mask))


def read_run_info(run: str | Path) -> dict[str, Any]:
    """``run.json`` of a fine-tuned run folder."""
    path = Path(run) / RUN_FILE
    if not path.is_file():
        raise InputError(f"{run} is not a VQA run folder (no {RUN_FILE}); fine-tune one with "
                         f"`mmr-train vqa fit` or finetune_vqa()")
    return json.loads(path.read_text(encoding="utf-8"))


def load_vqa_run(run: str | Path, device: str | torch.device = "cpu"
                 ) -> tuple[VQAModel, ReportTokenizer, AnswerVocab, dict[str, Any]]:
    """The best-validation model (eval mode), tokenizer, vocabulary and ``run.json``."""
    info = read_run_info(run)
    vocab = AnswerVocab(info["answers"])
    model = VQAModel(RobustMMR(from_dict(info["model"])), len(vocab))
    best = Path(run) / BEST_FILE
    if not best.is_file():
        raise InputError(f"{run} has no {BEST_FILE} yet: its fine-tuning has not finished an "
                         f"epoch; resume it with `mmr-train vqa fit ... --resume`")
    model.load_state_dict(load_checkpoint(best, map_location=device)["model"])
    tokenizer = ReportTokenizer.load(Path(run) / TOKENIZER_FILE)
    return model.to(device).eval(), tokenizer, vocab, info
