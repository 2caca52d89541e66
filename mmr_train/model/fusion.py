"""Co-attention fusion: image tokens attend to the report and report tokens to the image.

Each layer, per stream: ``x += CrossAttn(LN x, LN other)`` (``torch.nn.MultiheadAttention``,
because MONAI's ``CrossAttentionBlock`` takes no key-padding mask), then a MONAI
``TransformerBlock`` (self-attention + MLP). Both streams read the other's input of the layer.

Example:
    >>> from mmr_train.config import preset
    >>> fusion = CoAttentionFusion(preset("tiny").model)
    >>> img, txt = torch.randn(2, 16, 128), torch.randn(2, 5, 128)
    >>> ones = lambda *shape: torch.ones(*shape, dtype=torch.bool)
    >>> out = fusion(img, ones(2, 16), txt, ones(2, 5))
    >>> out.image.shape, out.pooled.shape
    (torch.Size([2, 16, 128]), torch.Size([2, 128]))
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn

from ..config import ModelConfig
from .image_encoder import vit_blocks


class Fused(NamedTuple):
    """Fused token streams and the pooled two-modality embedding ``(B, width)``."""

    image: torch.Tensor
    text: torch.Tensor
    pooled: torch.Tensor


def masked_mean(tokens: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
    """Mean over the ``valid`` tokens: ``(B, T, D)``, ``(B, T)`` -> ``(B, D)``."""
    w = valid.to(tokens.dtype)[..., None]
    return (tokens * w).sum(1) / w.sum(1).clamp(min=1.0)


class _CrossAttention(nn.Module):
    def __init__(self, width: int, heads: int) -> None:
        super().__init__()
        self.norm_query, self.norm_context = nn.LayerNorm(width), nn.LayerNorm(width)
        self.attn = nn.MultiheadAttention(width, heads, batch_first=True)

    def forward(self, x: torch.Tensor, context: torch.Tensor, context_valid: torch.Tensor
                ) -> torch.Tensor:
        c = self.norm_context(context)
        out, _ = self.attn(self.norm_query(x), c, c, key_padding_mask=~context_valid,
                           need_weights=False)
        return x + out


class CoAttentionFusion(nn.Module):
    """``fusion_depth`` bidirectional cross-attention layers and a pooled fused embedding."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        depth, width = cfg.fusion_depth, cfg.width
        self.image_cross = nn.ModuleList(_CrossAttention(width, cfg.heads) for _ in range(depth))
        self.text_cross = nn.ModuleList(_CrossAttention(width, cfg.heads) for _ in range(depth))
        self.image_blocks = vit_blocks(width, depth, cfg.heads, cfg.mlp_ratio)
        self.text_blocks = vit_blocks(width, depth, cfg.heads, cfg.mlp_ratio)
        self.pool = nn.Sequential(nn.Linear(2 * width, width), nn.LayerNorm(width))

    def forward(self, image: torch.Tensor, image_valid: torch.Tensor, text: torch.Tensor,
                text_valid: torch.Tensor) -> Fused:
        """Fuse ``(B, V, D)`` image and ``(B, L, D)`` text tokens (bool validity masks)."""
        for i_cross, t_cross, i_block, t_block in zip(self.image_cross, self.text_cross,
                                                      self.image_blocks, self.text_blocks):
            image, text = i_cross(image, text, text_valid), t_cross(text, image, image_valid)
            image = i_block(image, attn_mask=image_valid[:, None, None, :])
            text = t_block(text, attn_mask=text_valid[:, None, None, :])
        pooled = self.pool(torch.cat([masked_mean(image, image_valid),
                                      masked_mean(text, text_valid)], dim=-1))
        return Fused(image, text, pooled)
