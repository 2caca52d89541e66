"""Report encoder: token + learned position embeddings and MONAI transformer blocks.

Example:
    >>> from mmr_train.config import preset
    >>> enc = TextEncoder(preset("tiny").model)
    >>> ids = torch.tensor([[2, 7, 9, 3, 0]]); valid = ids != 0
    >>> enc(ids, valid).shape
    torch.Size([1, 5, 128])
"""

from __future__ import annotations

import torch
from torch import nn

from mmr_augment.errors import InputError

from ..config import ModelConfig
from .image_encoder import replace_missing, run_blocks, vit_blocks


class TextEncoder(nn.Module):
    """Transformer over WordPiece ids; a dropped report becomes a learned "missing" embedding.

    ``[MASK]`` is an ordinary vocabulary entry: masked inputs arrive with their ids replaced.
    """

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.token_embed = nn.Embedding(cfg.vocab_size, cfg.width)
        self.position = nn.Parameter(torch.randn(1, cfg.max_text_length, cfg.width) * 0.02)
        self.blocks = vit_blocks(cfg.width, cfg.text_depth, cfg.heads, cfg.mlp_ratio)
        self.norm = nn.LayerNorm(cfg.width)
        self.missing = nn.Parameter(torch.randn(cfg.width) * 0.02)
        nn.init.normal_(self.token_embed.weight, std=0.02)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                present: torch.Tensor | None = None) -> torch.Tensor:
        """``(B, L)`` ids and bool ``attention_mask`` -> ``(B, L, width)`` tokens."""
        length = input_ids.shape[1]
        if length > self.cfg.max_text_length:
            raise InputError(f"text of {length} tokens is longer than model.max_text_length "
                             f"{self.cfg.max_text_length}; encode with that max_length")
        if input_ids.numel() and int(input_ids.max()) >= self.cfg.vocab_size:
            raise InputError(f"token id {int(input_ids.max())} >= model.vocab_size "
                             f"{self.cfg.vocab_size}; use a tokenizer of at most that size")
        x = self.token_embed(input_ids) + self.position[:, :length]
        x = self.norm(run_blocks(self.blocks, x, attention_mask.bool()))
        return replace_missing(x, present, self.missing)
