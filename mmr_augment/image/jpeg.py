"""JPEG compression artefacts (8x8 blocking, ringing), per-sample quality, batched."""

from __future__ import annotations

import torch
from kornia.enhance import jpeg_codec_differentiable

from ..core import Params
from .base import ImagePerturbation


class JPEG(ImagePerturbation):
    """JPEG encode-decode at a per-sample ``quality`` (1 = worst, 100 = best).

    Reuses kornia's batched codec (``kornia.enhance.jpeg_codec_differentiable``: YCbCr, 4:2:0
    chroma subsampling, 8x8 DCT, standard quantisation tables scaled by quality, with
    bottom/right replicate padding to a multiple of 16 as in real JPEG). Grayscale images go
    through it as three equal channels and come back as their mean. Its rounding step is a
    smooth polynomial approximation (for gradients), which leaves blocking and ringing of the
    real codec's size (``tests/image/test_image_jpeg.py`` compares with PIL's encoder).

    Severity (MedMNIST-C chest X-ray): quality 50 30 15 10 7.

    Args:
        quality: JPEG quality in ``[1, 100]``.

    Example:
        >>> op = JPEG(quality=(10, 50))
        >>> x = torch.rand(2, 1, 20, 24)
        >>> params = op.sample(2, torch.Generator().manual_seed(0))
        >>> op.apply(x, params).shape
        torch.Size([2, 1, 20, 24])
    """

    family = "jpeg"
    severity_table = {"quality": (50, 30, 15, 10, 7)}

    def __init__(self, quality=(10, 70), *, p: float = 1.0, severity: int | None = None,
                 value_range=(0.0, 1.0)) -> None:
        super().__init__(p=p, severity=severity, value_range=value_range)
        self.quality = self.spec("quality", quality, low=1, high=100)

    def _apply(self, x: torch.Tensor, params: Params) -> torch.Tensor:
        channels = x.shape[1]
        rgb = x.float().expand(-1, 3, -1, -1) if channels == 1 else x.float()
        quality = params["quality"].to(device=x.device, dtype=torch.float32)
        # the codec's own autocast guard keeps it in float32 under torch.autocast
        coded = jpeg_codec_differentiable(rgb.contiguous(), quality)
        if channels == 1:
            coded = coded.mean(dim=1, keepdim=True)
        return coded.to(x.dtype)
