"""Questions as tensors: each distinct image loaded once (and cached in memory), questions
tokenized once, and batched inference that encodes images and questions separately.

Example:
    >>> from mmr_train.config import preset
    >>> from mmr_train.model import RobustMMR
    >>> from mmr_train.model.toy import toy_tokenizer
    >>> from mmr_train.vqa.model import VQAModel
    >>> model = VQAModel(RobustMMR(preset("tiny")), n_answers=3).eval()
    >>> ids, mask = tokenize(toy_tokenizer(), ["is there effusion?", "which side?"], 64)
    >>> out = answer_logits(model, encode_images(model, torch.rand(1, 1, 64, 64), 8),
    ...                     torch.tensor([0, 0]), encode_questions(model, ids, mask, 8), 8)
    >>> out.shape
    torch.Size([2, 3])
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from mmr_augment.errors import InputError

from ..data.vqa_rows import VQARow, load_vqa_image
from ..tokenizer import ReportTokenizer
from .scoring import AnswerVocab

Encoded = tuple[torch.Tensor, torch.Tensor]  # tokens (B, T, w), valid (B, T)


@functools.lru_cache(maxsize=8192)
def cached_image(path: str, size: int) -> torch.Tensor:
    """:func:`load_vqa_image`, memoised per ``(path, size)`` for the whole process (the
    datasets hold a few hundred to a few thousand images)."""
    return load_vqa_image(path, size)


@dataclass
class QuestionSet:
    """Rows as tensors.

    Attributes:
        rows: the questions.
        images: ``(M, 1, S, S)`` the distinct images, in order of first use.
        image_index: ``(N,)`` row -> index into ``images``.
        input_ids / attention_mask: ``(N, L)`` the tokenized questions.
        targets: ``(N,)`` answer class, -1 when the answer is not in the vocabulary.
    """

    rows: list[VQARow]
    images: torch.Tensor
    image_index: torch.Tensor
    input_ids: torch.Tensor
    attention_mask: torch.Tensor
    targets: torch.Tensor

    @classmethod
    def build(cls, rows: Sequence[VQARow], size: int, tokenizer: ReportTokenizer,
              max_length: int, vocab: AnswerVocab) -> QuestionSet:
        """Load (or reuse) the images at ``size`` px and tokenize the questions."""
        rows = list(rows)
        if not rows:
            raise InputError("no VQA rows given; check the dataset root and split")
        slots: dict[str, int] = {}
        index = [slots.setdefault(str(r.image), len(slots)) for r in rows]
        images = torch.stack([cached_image(p, size) for p in slots])
        ids, mask = tokenize(tokenizer, [r.question for r in rows], max_length)
        targets = torch.tensor([vocab.index(r.answer) for r in rows], dtype=torch.int64)
        return cls(rows, images, torch.tensor(index), ids, mask, targets)

    def __len__(self) -> int:
        return len(self.rows)


def tokenize(tokenizer: ReportTokenizer, texts: Sequence[str], max_length: int
             ) -> tuple[torch.Tensor, torch.Tensor]:
    """``(N, L)`` ids and bool attention mask of ``texts`` (padded to the longest)."""
    enc = tokenizer.encode_batch(list(texts), max_length)
    return enc.input_ids, enc.attention_mask


def trim(ids: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Drop the padding columns that no row of this batch uses."""
    length = max(1, int(mask.sum(1).max()))
    return ids[:, :length], mask[:, :length]


def _device(model: torch.nn.Module) -> torch.device:
    return next(model.parameters()).device


@torch.no_grad()
def encode_images(model, images: torch.Tensor, batch_size: int,
                  present: torch.Tensor | None = None) -> Encoded:
    """Image tokens of ``images`` ``(M, C, S, S)``, encoded in batches (model's device)."""
    dev, parts = _device(model), []
    for s in range(0, len(images), batch_size):
        pres = None if present is None else present[s:s + batch_size].to(dev)
        parts.append(model.encode_images(images[s:s + batch_size].to(dev), pres))
    return torch.cat([p[0] for p in parts]), torch.cat([p[1] for p in parts])


@torch.no_grad()
def encode_questions(model, ids: torch.Tensor, mask: torch.Tensor, batch_size: int,
                     present: torch.Tensor | None = None) -> list[Encoded]:
    """Question tokens per batch of ``batch_size`` rows (each trimmed to its longest)."""
    dev, out = _device(model), []
    for s in range(0, len(ids), batch_size):
        i, m = trim(ids[s:s + batch_size], mask[s:s + batch_size])
        pres = None if present is None else present[s:s + batch_size].to(dev)
        out.append(model.encode_texts(i.to(dev), m.to(dev), pres))
    return out


@torch.no_grad()
def answer_logits(model, images: Encoded, image_index: torch.Tensor,
                  questions: list[Encoded], batch_size: int) -> torch.Tensor:
    """``(N, n_answers)`` CPU logits: question ``i`` fused with image ``image_index[i]``
    (``questions`` from :func:`encode_questions` with the same ``batch_size``)."""
    out = []
    for b, text in enumerate(questions):
        rows = image_index[b * batch_size: b * batch_size + len(text[0])].to(images[0].device)
        out.append(model.answer_logits((images[0][rows], images[1][rows]), text).float().cpu())
    return torch.cat(out)


def predicted_answers(logits: torch.Tensor, vocab: AnswerVocab) -> list[str]:
    """The arg-max answer of each row."""
    return [vocab.answers[i] for i in logits.argmax(1).tolist()]
