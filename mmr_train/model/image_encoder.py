"""MAE-style ViT image encoder over the visible patches, built from MONAI blocks.

Reuses ``monai.networks.blocks.PatchEmbeddingBlock`` (conv patch projection + fixed 2-D sin-cos
positions, as in MAE) and ``TransformerBlock`` (pre-norm ViT block, PyTorch SDPA attention).

Visible-only encoding: per-sample mask ratios differ, so the visible patches of each sample are
gathered to the front (``keep`` index) and padded to the batch's largest visible count; a
key-padding mask keeps padded slots out of attention. This is MAE's speed-up (the encoder sees
~25% of the patches) without forcing one ratio per batch. A dropped image (``present`` False)
is replaced, token for token, by a learned "missing image" embedding.

Example:
    >>> from mmr_train.config import preset
    >>> enc = ImageEncoder(preset("tiny").model)
    >>> mask = torch.zeros(2, 64, dtype=torch.bool); mask[0, :48] = True
    >>> tokens, valid, keep = enc(torch.rand(2, 1, 64, 64), mask)
    >>> tokens.shape, valid.sum(1).tolist()
    (torch.Size([2, 64, 128]), [16, 64])
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from types import ModuleType

import torch
from torch import nn

from mmr_augment.errors import InputError

from ..config import ModelConfig


def monai_blocks() -> ModuleType:
    """``monai.networks.blocks``, imported when the first model is built: ``import monai``
    loads all of MONAI (scipy and matplotlib among it, 2-3 s), which processes that only
    handle data, like the demo's parent, need not pay."""
    from monai.networks import blocks

    return blocks


def vit_blocks(width: int, depth: int, heads: int, mlp_ratio: float) -> nn.ModuleList:
    """``depth`` MONAI pre-norm transformer blocks (SDPA attention, qkv bias, no dropout)."""
    blocks = nn.ModuleList(
        monai_blocks().TransformerBlock(width, int(width * mlp_ratio), heads, qkv_bias=True,
                         use_flash_attention=True) for _ in range(depth))
    for block in blocks:
        # MONAI builds this norm even without cross-attention; frozen, DDP skips it.
        block.norm_cross_attn.requires_grad_(False)
    return blocks


@contextlib.contextmanager
def quiet_meshgrid() -> Iterator[None]:
    """Silence the ``torch.meshgrid`` indexing warning raised inside MONAI's sin-cos builder."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="torch.meshgrid", category=UserWarning)
        yield


def run_blocks(blocks: nn.ModuleList, x: torch.Tensor, valid: torch.Tensor | None = None
               ) -> torch.Tensor:
    """Apply ``blocks`` with ``valid`` ``(B, T)`` (True = real token) as key-padding mask."""
    attn_mask = None if valid is None else valid[:, None, None, :]
    for block in blocks:
        x = block(x, attn_mask=attn_mask)
    return x


def replace_missing(tokens: torch.Tensor, present: torch.Tensor | None,
                    missing: torch.Tensor) -> torch.Tensor:
    """Tokens of samples whose modality is absent become the learned ``missing`` embedding."""
    if present is None:
        return tokens
    return torch.where(present.to(tokens.device)[:, None, None], tokens, missing.to(tokens.dtype))


class ImageEncoder(nn.Module):
    """ViT encoder that embeds all patches but runs the transformer on visible ones only."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        if cfg.image_size % cfg.patch_size:
            raise InputError(f"image_size {cfg.image_size} must be a multiple of patch_size "
                             f"{cfg.patch_size}")
        self.cfg = cfg
        with quiet_meshgrid():
            self.patch_embed = monai_blocks().PatchEmbeddingBlock(
                in_channels=cfg.channels, img_size=cfg.image_size, patch_size=cfg.patch_size,
                hidden_size=cfg.width, num_heads=cfg.heads, proj_type="conv",
                pos_embed_type="sincos", spatial_dims=2)
        self.blocks = vit_blocks(cfg.width, cfg.image_depth, cfg.heads, cfg.mlp_ratio)
        self.norm = nn.LayerNorm(cfg.width)
        self.missing = nn.Parameter(torch.randn(cfg.width) * 0.02)

    @property
    def grid(self) -> tuple[int, int]:
        """Patch grid ``(h, w)``."""
        n = self.cfg.image_size // self.cfg.patch_size
        return n, n

    def forward(self, images: torch.Tensor, patch_mask: torch.Tensor | None = None,
                present: torch.Tensor | None = None
                ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Encode the visible patches.

        Args:
            images: ``(B, C, S, S)`` float, ``S`` = ``image_size``.
            patch_mask: ``(B, N)`` bool, True = masked (hidden from the encoder); None = none.
            present: ``(B,)`` bool, False where the image modality is dropped.

        Returns:
            ``tokens`` ``(B, V, width)``, ``valid`` ``(B, V)`` bool (False = padding) and
            ``keep`` ``(B, V)`` int64 patch index of each token.
        """
        c, s = self.cfg.channels, self.cfg.image_size
        if images.dim() != 4 or tuple(images.shape[1:]) != (c, s, s):
            raise InputError(f"images must be (B, {c}, {s}, {s}) for this config, "
                             f"got {tuple(images.shape)}; resize or change model.image_size")
        x = self.patch_embed(images)
        b, n, _ = x.shape
        if patch_mask is None:
            patch_mask = torch.zeros(b, n, dtype=torch.bool, device=x.device)
        visible = (~patch_mask).sum(1)
        keep = torch.argsort(patch_mask.to(torch.int8), dim=1, stable=True)[:, : int(visible.max())]
        valid = torch.arange(keep.shape[1], device=x.device)[None] < visible[:, None]
        x = torch.gather(x, 1, keep[..., None].expand(-1, -1, x.shape[-1]))
        x = self.norm(run_blocks(self.blocks, x, valid))
        return replace_missing(x, present, self.missing), valid, keep
