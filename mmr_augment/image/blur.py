"""Blur families: Gaussian, motion and defocus blur (sharpening lives in ``sharpen.py``).

Every sample has its own kernel; kernels are built batched on the image's device from kornia
(``get_gaussian_kernel1d``, ``get_motion_kernel2d``, ``filter2d``; see ``_kernels/blur.py``)
and applied in one grouped convolution with reflect padding.

Severities for motion and defocus blur follow ImageNet-C, whose strengths are in pixels of a
224-px image; they are halved here for the 64-128 px images this project trains on (pass the
argument explicitly for other resolutions).
"""

from __future__ import annotations

import torch

from ..core import Params
from ._kernels.blur import (
    disk_kernels,
    filter_per_sample,
    gaussian_blur,
    largest_size_for_sigma,
    motion_kernels,
    opencv_sigma,
    sample_odd,
    size_for_sigma,
)
from .base import ImagePerturbation

__all__ = ["GaussianBlur", "MotionBlur", "DefocusBlur", "gaussian_blur", "largest_size_for_sigma",
           "size_for_sigma"]


class GaussianBlur(ImagePerturbation):
    """Gaussian blur with a per-sample odd ``kernel_size`` and ``sigma``.

    ``sigma=None`` derives sigma from the kernel size as OpenCV does. Severity (MedMNIST-C):
    kernel 3 5 7 9 11 with OpenCV's sigma for it, .8 1.1 1.4 1.7 2.0. Kernels up to 15 taps
    run as one 2-D convolution (kornia's ``filter2d``), faster than two 1-D passes on the CPU.

    Example:
        >>> from mmr_augment import choice
        >>> op = GaussianBlur(kernel_size=choice(3, 5, 7), sigma=(0.5, 2.0))
        >>> x = torch.rand(4, 1, 32, 32, generator=torch.Generator().manual_seed(0))
        >>> params = op.sample(4, 0)
        >>> torch.equal(op.apply(x, params), op.apply(x, params))
        True
    """

    family = "gaussian_blur"
    severity_table = {"kernel_size": (3, 5, 7, 9, 11), "sigma": (0.8, 1.1, 1.4, 1.7, 2.0)}

    def __init__(self, kernel_size=(3, 7), sigma=None, *, p: float = 1.0,
                 severity: int | None = None, value_range=(0.0, 1.0)) -> None:
        super().__init__(p=p, severity=severity, value_range=value_range)
        self.kernel_size = self.spec("kernel_size", kernel_size, low=1, high=99, integer=True,
                                     odd=True)
        by_size = sigma is None and severity is None
        self.sigma = None if by_size else self.spec("sigma", sigma, low=0.0, high=50.0)

    def _sample(self, batch_size: int, generator: torch.Generator) -> Params:
        size = sample_odd(self.kernel_size, batch_size, generator)
        sigma = (opencv_sigma(size) if self.sigma is None
                 else self.sigma.sample(batch_size, generator))
        return {"kernel_size": size, "sigma": sigma}

    def _apply(self, x: torch.Tensor, params: Params) -> torch.Tensor:
        return gaussian_blur(x, params["kernel_size"], params["sigma"], one_pass=True,
                             bound=int(self.kernel_size.max))


class MotionBlur(ImagePerturbation):
    """Linear motion blur: a line kernel of odd length ``kernel_size`` at ``angle`` degrees.

    ``angle`` turns the line counter-clockwise (0 is horizontal); ``direction`` in [-1, 1]
    weights one end of the trail more (0 is uniform), as in ``kornia.filters.motion_blur``.
    Severity: kernel 5 7 9 13 17, ImageNet-C's trail (Wand sigma 3 5 8 12 15 at 224 px,
    about 2 sigma long) halved and rounded up to odd; the angle stays random per sample.

    Example:
        >>> op = MotionBlur(kernel_size=(3, 9), angle=(0.0, 180.0))
        >>> x = torch.rand(4, 1, 32, 32, generator=torch.Generator().manual_seed(0))
        >>> params = op.sample(4, 0)
        >>> params["kernel_size"].tolist()
        [5, 9, 5, 7]
        >>> torch.equal(op.apply(x, params), op.apply(x, params))
        True
    """

    family = "motion_blur"
    severity_table = {"kernel_size": (5, 7, 9, 13, 17)}

    def __init__(self, kernel_size=(3, 9), angle=(0.0, 360.0), direction=0.0, *,
                 p: float = 1.0, severity: int | None = None, value_range=(0.0, 1.0)) -> None:
        super().__init__(p=p, severity=severity, value_range=value_range)
        self.kernel_size = self.spec("kernel_size", kernel_size, low=3, high=99, integer=True,
                                     odd=True)
        self.angle = self.spec("angle", angle, low=-360.0, high=360.0)
        self.direction = self.spec("direction", direction, low=-1.0, high=1.0)

    def _sample(self, batch_size: int, generator: torch.Generator) -> Params:
        return {"kernel_size": sample_odd(self.kernel_size, batch_size, generator),
                "angle": self.angle.sample(batch_size, generator),
                "direction": self.direction.sample(batch_size, generator)}

    def _apply(self, x: torch.Tensor, params: Params) -> torch.Tensor:
        lo, hi = int(self.kernel_size.values[0]), int(self.kernel_size.max)
        sizes = (list(range(lo, hi + 1, 2)) if self.kernel_size.kind == "range"
                 else sorted({int(v) for v in self.kernel_size.values}))
        kernels = motion_kernels(params["kernel_size"], params["angle"], params["direction"],
                                 x.device, x.dtype, sizes)
        return filter_per_sample(x, kernels)


class DefocusBlur(ImagePerturbation):
    """Defocus blur: convolution with an anti-aliased disk of per-sample ``radius`` (pixels).

    Severity: radius 1.5 2 3 4 5, ImageNet-C's 3 4 6 8 10 (224 px) halved.

    Example:
        >>> op = DefocusBlur(radius=(1.0, 3.0))
        >>> x = torch.rand(4, 1, 32, 32, generator=torch.Generator().manual_seed(0))
        >>> params = op.sample(4, 0)
        >>> torch.equal(op.apply(x, params), op.apply(x, params))
        True
    """

    family = "defocus_blur"
    severity_table = {"radius": (1.5, 2.0, 3.0, 4.0, 5.0)}

    def __init__(self, radius=(1.0, 3.0), *, p: float = 1.0, severity: int | None = None,
                 value_range=(0.0, 1.0)) -> None:
        super().__init__(p=p, severity=severity, value_range=value_range)
        self.radius = self.spec("radius", radius, low=0.0, high=50.0)

    def _apply(self, x: torch.Tensor, params: Params) -> torch.Tensor:
        return filter_per_sample(x, disk_kernels(params["radius"], x.device, x.dtype,
                                                 float(self.radius.max)))
