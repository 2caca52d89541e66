"""libjpeg through Pillow, one sample per task on a thread pool (Pillow releases the GIL)."""

from __future__ import annotations

import io

import numpy as np
import torch
from PIL import Image

from .threads import thread_pool


def _code_one(pixels: np.ndarray, quality: int) -> np.ndarray:
    mode = "L" if pixels.shape[-1] == 1 else "RGB"
    buffer = io.BytesIO()
    Image.fromarray(pixels[..., 0] if mode == "L" else pixels, mode).save(
        buffer, "JPEG", quality=quality)
    buffer.seek(0)
    decoded = np.asarray(Image.open(buffer))
    return decoded.reshape(pixels.shape)


@torch.library.custom_op("mmr_augment::jpeg_roundtrip_cpu", mutates_args=())
def jpeg_roundtrip_cpu(pixels: torch.Tensor, quality: torch.Tensor) -> torch.Tensor:
    """Encode-decode ``(B, H, W, C)`` uint8 CPU pixels at integer ``quality`` ``(B,)`` on the
    thread pool. A custom operator: ``torch.compile`` sees one node, no graph break."""
    array, qualities = pixels.numpy(), quality.tolist()
    if len(qualities) == 1:
        coded = [_code_one(array[0], qualities[0])]
    else:
        coded = list(thread_pool().map(_code_one, array, qualities))
    return torch.from_numpy(np.stack(coded))


@jpeg_roundtrip_cpu.register_fake
def _(pixels: torch.Tensor, quality: torch.Tensor) -> torch.Tensor:
    return torch.empty_like(pixels)


def pil_jpeg(x: torch.Tensor, quality: torch.Tensor) -> torch.Tensor:
    """Real JPEG encode-decode of ``x`` ``(B, C, H, W)`` in ``[0, 1]``, per-sample ``quality``.

    Each sample is rounded to 8 bits, saved by Pillow's libjpeg at its integer quality
    (grey images as mode ``L``, colour as ``RGB`` with Pillow's default 4:2:0 subsampling),
    decoded, and divided by 255: bit-exact with ``Image.open(BytesIO(save(quality=q)))``.

    Example:
        >>> y = pil_jpeg(torch.full((2, 1, 8, 8), 0.5), torch.tensor([10, 90]))
        >>> y.shape, round(y[0, 0, 0, 0].item() * 255)
        (torch.Size([2, 1, 8, 8]), 128)
    """
    pixels = (x.detach().float().clamp(0, 1) * 255).round().to(torch.uint8)
    pixels = pixels.permute(0, 2, 3, 1).contiguous().cpu()
    qualities = quality.round().clamp(1, 100).to(torch.int64).cpu()
    out = jpeg_roundtrip_cpu(pixels, qualities).permute(0, 3, 1, 2)
    return out.to(device=x.device, dtype=x.dtype) / 255
