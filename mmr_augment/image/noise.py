"""Noise families: additive Gaussian (more to come in this file's siblings)."""

from __future__ import annotations

import torch

from .._rng import draw_seeds, normal
from ..core import Params
from .base import ImagePerturbation, per_sample


class GaussianNoise(ImagePerturbation):
    """Additive Gaussian noise; ``std`` is relative to the value range.

    Severity (MedMNIST-C chest X-ray): std .04 .08 .12 .18 .26. The noise is regenerated from a
    per-sample seed, never stored.

    Example:
        >>> op = GaussianNoise(std=(0.02, 0.1), p=0.5)
        >>> x = torch.rand(4, 1, 32, 32); g = torch.Generator().manual_seed(0)
        >>> params = op.sample(4, g)
        >>> torch.equal(op.apply(x, params), op.apply(x, params))
        True
    """

    family = "gaussian_noise"
    severity_table = {"std": (0.04, 0.08, 0.12, 0.18, 0.26)}

    def __init__(self, std=(0.01, 0.1), *, p: float = 1.0, severity: int | None = None,
                 value_range=(0.0, 1.0)) -> None:
        super().__init__(p=p, severity=severity, value_range=value_range)
        self.std = self.spec("std", std, low=0.0, high=1.0)

    def _sample(self, batch_size: int, generator: torch.Generator) -> Params:
        return {"std": self.std.sample(batch_size, generator),
                "seed": draw_seeds(batch_size, generator)}

    def _apply(self, x: torch.Tensor, params: Params) -> torch.Tensor:
        noise = normal(params["seed"], tuple(x.shape[1:]), x.device).to(x.dtype)
        return x + per_sample(params["std"], x) * noise
