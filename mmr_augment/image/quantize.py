"""Bit-depth reduction (a detector or export path with fewer grey levels)."""

from __future__ import annotations

import torch

from ..core import Params
from .base import ImagePerturbation, per_sample


def quantize(x: torch.Tensor, bits: torch.Tensor) -> torch.Tensor:
    """Round ``[0, 1]`` values to the ``2**bits`` evenly spaced levels ``k / (2**bits - 1)``.

    ``bits`` is ``(B,)``. Unlike kornia's ``posterize`` (which truncates the 8-bit code and so
    darkens, and stops at 8 bits) the levels span the whole range, as a lower-depth detector's.

    Example:
        >>> quantize(torch.tensor([[[[0.1, 0.2, 0.6, 0.9]]]]), torch.tensor([1]))
        tensor([[[[0., 0., 1., 1.]]]])
    """
    levels = per_sample(2.0 ** bits.double() - 1.0, x)
    return torch.round(x * levels) / levels


class Quantize(ImagePerturbation):
    """Quantisation to ``bits`` bits per sample (``2**bits`` grey levels).

    Severity (defined here; ImageNet-C has none): bits 7 6 5 4 3, each step doubling the
    quantisation step, so the mean absolute error roughly doubles.

    Args:
        bits: bit depth, an int in ``1..16``: scalar, ``(lo, hi)`` range or ``choice(...)``.
        p: probability that a sample is changed.
        severity: 1..5 for the fixed evaluation strengths above (replaces ``bits``).
        value_range: the images' value range.

    Example:
        >>> op = Quantize(bits=2)
        >>> op(torch.linspace(0, 1, 7).view(1, 1, 1, 7), generator=0).unique().numel()
        4
    """

    family = "quantize"
    pointwise = True
    severity_table = {"bits": (7, 6, 5, 4, 3)}

    def __init__(self, bits=(4, 8), *, p: float = 1.0, severity: int | None = None,
                 value_range=(0.0, 1.0)) -> None:
        super().__init__(p=p, severity=severity, value_range=value_range)
        self.bits = self.spec("bits", bits, low=1, high=16, integer=True)

    def _apply(self, x: torch.Tensor, params: Params) -> torch.Tensor:
        return quantize(x, params["bits"])

    def _apply_inplace(self, x: torch.Tensor, params: Params) -> torch.Tensor:
        levels = per_sample(2.0 ** params["bits"].double() - 1.0, x)
        return x.mul_(levels).round_().div_(levels)  # quantize's arithmetic, in place
