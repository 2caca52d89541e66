"""Output heads: MAE pixel decoder, MLM head and projection heads.

Example:
    >>> from mmr_train.config import preset
    >>> cfg = preset("tiny").model
    >>> dec = MAEDecoder(cfg)
    >>> keep = torch.arange(16)[None].repeat(2, 1); valid = torch.ones(2, 16, dtype=torch.bool)
    >>> dec(torch.randn(2, 16, 128), valid, keep).shape
    torch.Size([2, 64, 64])
"""

from __future__ import annotations

import torch
from torch import nn

from ..config import ModelConfig
from .image_encoder import monai_blocks, quiet_meshgrid, run_blocks, vit_blocks


class MAEDecoder(nn.Module):
    """Small transformer over all patch positions; masked ones start from a learned mask token.

    Predicts ``patch_size**2 * channels`` pixels per patch (order of
    :func:`mmr_train.losses.patchify`). Positions: fixed 2-D sin-cos (MONAI's builder).
    """

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        grid = cfg.image_size // cfg.patch_size
        self.num_patches = grid * grid
        self.embed = nn.Linear(cfg.width, cfg.decoder_width)
        self.mask_token = nn.Parameter(torch.randn(cfg.decoder_width) * 0.02)
        with quiet_meshgrid():
            self.position = monai_blocks().pos_embed_utils.build_sincos_position_embedding(
                [grid, grid], cfg.decoder_width, 2)
        self.blocks = vit_blocks(cfg.decoder_width, cfg.decoder_depth, cfg.decoder_heads,
                                 cfg.mlp_ratio)
        self.norm = nn.LayerNorm(cfg.decoder_width)
        self.pred = nn.Linear(cfg.decoder_width, cfg.patch_size ** 2 * cfg.channels)

    def forward(self, tokens: torch.Tensor, valid: torch.Tensor, keep: torch.Tensor
                ) -> torch.Tensor:
        """Visible tokens ``(B, V, D)`` at patch indices ``keep`` -> pixels ``(B, N, P)``."""
        x = self.embed(tokens)
        b, _, d = x.shape
        n = self.num_patches
        # Padding slots are scattered to an extra position n, which is then cut off.
        index = torch.where(valid, keep, n)[..., None].expand(-1, -1, d)
        full = self.mask_token.to(x.dtype).expand(b, n + 1, d).scatter(1, index, x)[:, :n]
        full = full + self.position.to(full.dtype)
        return self.pred(self.norm(run_blocks(self.blocks, full)))


class MLMHead(nn.Module):
    """BERT-style transform (dense, GELU, LayerNorm) and a vocabulary projection."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(cfg.width, cfg.width), nn.GELU(),
                                 nn.LayerNorm(cfg.width), nn.Linear(cfg.width, cfg.vocab_size))

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """``(..., width)`` -> ``(..., vocab_size)`` logits."""
        return self.net(tokens)


class ProjectionHead(nn.Module):
    """Linear projection (``hidden=0``) or a two-layer MLP (SimCLR-style) to ``out_dim``."""

    def __init__(self, in_dim: int, out_dim: int, hidden: int = 0) -> None:
        super().__init__()
        self.net = (nn.Linear(in_dim, out_dim) if hidden == 0 else
                    nn.Sequential(nn.Linear(in_dim, hidden), nn.GELU(), nn.Linear(hidden, out_dim)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, in_dim)`` -> ``(B, out_dim)``."""
        return self.net(x)
