"""JPEG compression artefacts (8x8 blocking, ringing), per-sample quality, batched."""

from __future__ import annotations

import torch
from kornia.enhance import jpeg_codec_differentiable

from ..core import Params
from ._kernels.jpeg_codec import pil_jpeg
from .base import ImagePerturbation


class JPEG(ImagePerturbation):
    """JPEG encode-decode at a per-sample ``quality`` (1 = worst, 100 = best).

    Which codec runs: CPU tensors go through the real codec, libjpeg by way of Pillow, each
    sample at its own integer quality (the sampled value rounded), a slice of the batch per
    thread (grey samples of one quality coded as one stacked image, which changes no pixel:
    ``_kernels/jpeg_codec.py``). The output is bit-exact with
    ``Image.open(BytesIO(...save(format="JPEG", quality=q)))`` on the 8-bit image (grey as
    mode ``L``, colour as ``RGB`` with Pillow's 4:2:0 chroma) and carries no gradient. CUDA
    tensors, and every tensor when ``differentiable=True``, go through kornia's batched
    differentiable codec (``kornia.enhance.jpeg_codec_differentiable``: YCbCr, 4:2:0,
    8x8 DCT, standard tables scaled by quality, replicate padding to a multiple of 16); grey
    images go through it as three equal channels and come back as their mean. Its rounding is
    a smooth polynomial (for gradients), so it is close to the real codec, not equal
    (``tests/image/test_image_jpeg.py`` measures both paths against PIL).

    Severity (MedMNIST-C chest X-ray): quality 50 30 15 10 7.

    Args:
        quality: JPEG quality in ``[1, 100]``.
        differentiable: always use kornia's differentiable codec.

    Example:
        >>> op = JPEG(quality=(10, 50))
        >>> x = torch.rand(2, 1, 20, 24)
        >>> params = op.sample(2, torch.Generator().manual_seed(0))
        >>> op.apply(x, params).shape
        torch.Size([2, 1, 20, 24])
    """

    family = "jpeg"
    clamps_output = True  # 8-bit codec output / 255; kornia's codec output is clamped here
    severity_table = {"quality": (50, 30, 15, 10, 7)}

    def __init__(self, quality=(10, 70), *, differentiable: bool = False, p: float = 1.0,
                 severity: int | None = None, value_range=(0.0, 1.0)) -> None:
        super().__init__(p=p, severity=severity, value_range=value_range)
        self.quality = self.spec("quality", quality, low=1, high=100)
        self.differentiable = bool(differentiable)

    def _apply(self, x: torch.Tensor, params: Params) -> torch.Tensor:
        if not self.differentiable and x.device.type == "cpu":
            return pil_jpeg(x, params["quality"])
        channels = x.shape[1]
        rgb = x.float().expand(-1, 3, -1, -1) if channels == 1 else x.float()
        quality = params["quality"].to(device=x.device, dtype=torch.float32)
        # the codec's own autocast guard keeps it in float32 under torch.autocast
        coded = jpeg_codec_differentiable(rgb.contiguous(), quality)
        if channels == 1:
            coded = coded.mean(dim=1, keepdim=True)
        return coded.to(x.dtype).clamp(0.0, 1.0)
