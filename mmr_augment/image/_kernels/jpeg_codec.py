"""libjpeg through Pillow, one sample per task on a thread pool (Pillow releases the GIL)."""

from __future__ import annotations

import io

import numpy as np
import torch
from PIL import Image

from .threads import thread_pool


def _code_one(sample: np.ndarray, quality: int, out: np.ndarray) -> None:
    """Code one float sample ``(C, H, W)`` into ``out`` (its 8-bit rounding, the codec, / 255;
    done here, per sample, where it stays in cache and runs on the pool)."""
    scaled = np.multiply(sample, np.float32(255))
    pixels = np.rint(np.clip(scaled, 0, 255, out=scaled), out=scaled).astype(np.uint8)
    # grey goes to libjpeg as mode L, the channel plane as it is; colour as interleaved RGB
    size = (pixels.shape[2], pixels.shape[1])
    image = Image.frombuffer("L", size, pixels[0], "raw", "L", 0, 1) if len(pixels) == 1 else (
        Image.fromarray(np.ascontiguousarray(pixels.transpose(1, 2, 0)), "RGB"))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    # the stream is ours (one baseline frame, no Adobe marker): libjpeg's decoder straight on
    # it, as Image.open's load would call it (rawmode = mode), without parsing the markers
    decoded = np.asarray(Image.frombytes(image.mode, image.size, buffer.getbuffer(), "jpeg",
                                         image.mode, ""))
    decoded = decoded[None] if len(pixels) == 1 else decoded.transpose(2, 0, 1)
    np.divide(decoded, out.dtype.type(255), out=out, dtype=out.dtype)


@torch.library.custom_op("mmr_augment::jpeg_roundtrip_cpu", mutates_args=())
def jpeg_roundtrip_cpu(samples: torch.Tensor, quality: torch.Tensor, double: bool
                       ) -> torch.Tensor:
    """Encode-decode float32 CPU samples ``(B, C, H, W)`` at integer ``quality`` ``(B,)`` on
    the thread pool (float64 out if ``double``). A custom operator: ``torch.compile`` sees one
    node, no graph break."""
    out = torch.empty(samples.shape, dtype=torch.float64 if double else torch.float32)
    array, target, qualities = samples.numpy(), out.numpy(), quality.tolist()
    if len(qualities) == 1:
        _code_one(array[0], qualities[0], target[0])
    else:
        list(thread_pool().map(_code_one, array, qualities, target))
    return out


@jpeg_roundtrip_cpu.register_fake
def _(samples: torch.Tensor, quality: torch.Tensor, double: bool) -> torch.Tensor:
    return samples.new_empty(samples.shape, dtype=torch.float64 if double else torch.float32)


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
    samples = x.detach().to(device="cpu", dtype=torch.float32).contiguous()
    qualities = quality.round().clamp(1, 100).to(torch.int64).cpu()
    out = jpeg_roundtrip_cpu(samples, qualities, x.dtype == torch.float64)
    return out.to(device=x.device, dtype=x.dtype)
