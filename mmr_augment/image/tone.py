"""Global tone families: gamma, contrast and brightness (MedMNIST-C chest X-ray severities).

MedMNIST-C corrupts each of these in two directions with separate tables, so these ops take a
``direction="up"|"down"`` argument that picks which table ``severity=1..5`` reads. Outside
severity mode ``direction`` has no effect: the sampled factor may lie on either side of 1.
"""

from __future__ import annotations

from typing import ClassVar

import torch

from ..core import Params, Perturbation
from ..errors import ConfigError
from .base import ImagePerturbation, per_sample

#: MedMNIST-C ``chestmnist`` rows (``medmnistc/corruptions/registry.py``).
_UP = (1.1, 1.2, 1.3, 1.4, 1.6)
_DOWN = (0.9, 0.8, 0.7, 0.6, 0.4)


def _use_direction(op: Perturbation, direction: str) -> None:
    """Point ``op.severity_table`` at the table of ``direction`` (an instance attribute)."""
    tables = type(op).severity_tables
    if direction not in tables:
        raise ConfigError(f"{type(op).__name__}: direction must be one of {sorted(tables)}, "
                          f"got {direction!r}")
    op.severity_table = tables[direction]


class Gamma(ImagePerturbation):
    """Gamma correction ``x ** gamma`` per sample (kornia ``adjust_gamma`` with gain 1).

    ``gamma < 1`` brightens mid-tones, ``gamma > 1`` darkens them; 0 and 1 stay fixed.

    Severity (MedMNIST-C chest X-ray ``gamma_corr_up`` / ``gamma_corr_down``):

    ========= ===== ===== ===== ===== =====
    direction   1     2     3     4     5
    ========= ===== ===== ===== ===== =====
    ``up``     1.1   1.2   1.3   1.4   1.6
    ``down``   0.9   0.8   0.7   0.6   0.4
    ========= ===== ===== ===== ===== =====

    Args:
        gamma: exponent (> 0): scalar, ``(lo, hi)`` range or ``choice(...)``.
        direction: which severity table ``severity`` uses (default ``"up"``).
        p: probability that a sample is changed.
        severity: 1..5 for the fixed evaluation strengths above (replaces ``gamma``).
        value_range: the images' value range.

    Example:
        >>> op = Gamma(gamma=0.5)
        >>> op(torch.full((1, 1, 2, 2), 0.25), generator=0)[0, 0, 0]
        tensor([0.5000, 0.5000])
    """

    family = "gamma"
    clamp_first = True
    pointwise = True
    severity_tables: ClassVar[dict[str, dict[str, tuple]]] = {"up": {"gamma": _UP},
                                                               "down": {"gamma": _DOWN}}
    severity_table = severity_tables["up"]

    def __init__(self, gamma=(0.6, 1.6), *, direction: str = "up", p: float = 1.0,
                 severity: int | None = None, value_range=(0.0, 1.0)) -> None:
        super().__init__(p=p, severity=severity, value_range=value_range)
        _use_direction(self, direction)
        self.gamma = self.spec("gamma", gamma, low=1e-3, high=100.0)

    def _apply(self, x: torch.Tensor, params: Params) -> torch.Tensor:
        # kornia's adjust_gamma with gain 1, minus its gain multiply and clamp: x ** gamma maps
        # [0, 1] onto itself (0 and 1 are fixed), so the input clamp of ``clamp_first`` (only
        # when x is not known to be in range) also keeps negative input from giving NaN.
        return torch.pow(x, per_sample(params["gamma"], x))

    def _apply_inplace(self, x: torch.Tensor, params: Params) -> torch.Tensor:
        return torch.pow(x, per_sample(params["gamma"], x), out=x)


class Contrast(ImagePerturbation):
    """Contrast around each image's mean: ``(x - mean) * factor + mean``.

    The mean is taken over the whole image (over the luma of RGB images), as in PIL's
    ``ImageEnhance.Contrast`` that MedMNIST-C uses; the result is kornia's
    ``adjust_contrast_with_mean_subtraction``, computed in two passes instead of five.
    ``factor < 1`` flattens, ``> 1`` stretches (and may clip).

    Severity (MedMNIST-C chest X-ray ``contrast_up`` / ``contrast_down``):

    ========= ===== ===== ===== ===== =====
    direction   1     2     3     4     5
    ========= ===== ===== ===== ===== =====
    ``up``     1.1   1.2   1.3   1.4   1.6
    ``down``   0.9   0.8   0.7   0.6   0.4
    ========= ===== ===== ===== ===== =====

    Args:
        factor: contrast factor (>= 0): scalar, ``(lo, hi)`` range or ``choice(...)``.
        direction: which severity table ``severity`` uses (default ``"down"``, as ImageNet-C).
        p: probability that a sample is changed.
        severity: 1..5 for the fixed evaluation strengths above (replaces ``factor``).
        value_range: the images' value range.

    Example:
        >>> op = Contrast(factor=0.5)
        >>> op(torch.tensor([[[[0.2, 0.6]]]]), generator=0)
        tensor([[[[0.3000, 0.5000]]]])
    """

    family = "contrast"
    pointwise = True  # given the image's mean, taken before any pixel is written
    severity_tables: ClassVar[dict[str, dict[str, tuple]]] = {"up": {"factor": _UP},
                                                               "down": {"factor": _DOWN}}
    severity_table = severity_tables["down"]

    def __init__(self, factor=(0.6, 1.4), *, direction: str = "down", p: float = 1.0,
                 severity: int | None = None, value_range=(0.0, 1.0)) -> None:
        super().__init__(p=p, severity=severity, value_range=value_range)
        _use_direction(self, direction)
        self.factor = self.spec("factor", factor, low=0.0, high=100.0)

    def _apply(self, x: torch.Tensor, params: Params) -> torch.Tensor:
        # kornia's adjust_contrast_with_mean_subtraction in two passes over the image instead of
        # five: one reduction for the mean, then one fused multiply-add; the base class clamps.
        return torch.addcmul(*self._offset_and_factor(x, params))

    def _apply_inplace(self, x: torch.Tensor, params: Params) -> torch.Tensor:
        return torch.addcmul(*self._offset_and_factor(x, params), out=x)

    def gain_offset(self, params: Params, x: torch.Tensor | None = None):
        if x is None or self.value_range != (0.0, 1.0):
            return None  # the offset needs the image's mean
        offset, _, factor = self._offset_and_factor(x, params)
        return factor.double(), offset.double()

    def _offset_and_factor(self, x: torch.Tensor, params: Params):
        """``(mean * (1 - factor), x, factor)``: the arguments of the one ``addcmul``."""
        factor = per_sample(params["factor"], x)
        mean = x.mean(dim=(-2, -1), keepdim=True)  # (B, C, 1, 1)
        if x.shape[1] == 3:  # mean of the luma (kornia's rgb_to_grayscale weights) = luma of means
            red, green, blue = mean.unbind(dim=1)
            mean = (0.299 * red + 0.587 * green + 0.114 * blue).unsqueeze(1)
        return mean * (1 - factor), x, factor


class Brightness(ImagePerturbation):
    """Multiplicative brightness ``x * factor`` (clipped), as MedMNIST-C's brightness.

    MedMNIST-C uses PIL's ``ImageEnhance.Brightness``, a blend with black, i.e. a gain; kornia's
    ``adjust_brightness`` is additive, so it is not used here. A gain keeps black black, like
    an exposure / detector-gain change.

    Severity (MedMNIST-C chest X-ray ``brightness_up`` / ``brightness_down``):

    ========= ===== ===== ===== ===== =====
    direction   1     2     3     4     5
    ========= ===== ===== ===== ===== =====
    ``up``     1.1   1.2   1.3   1.4   1.5
    ``down``   0.9   0.8   0.7   0.6   0.5
    ========= ===== ===== ===== ===== =====

    Args:
        factor: gain (>= 0): scalar, ``(lo, hi)`` range or ``choice(...)``.
        direction: which severity table ``severity`` uses (default ``"up"``, as ImageNet-C).
        p: probability that a sample is changed.
        severity: 1..5 for the fixed evaluation strengths above (replaces ``factor``).
        value_range: the images' value range.

    Example:
        >>> op = Brightness(severity=5, direction="down")
        >>> op(torch.tensor([[[[0.0, 0.5, 1.0]]]]), generator=0)
        tensor([[[[0.0000, 0.2500, 0.5000]]]])
    """

    family = "brightness"
    pointwise = True
    severity_tables: ClassVar[dict[str, dict[str, tuple]]] = {
        "up": {"factor": (1.1, 1.2, 1.3, 1.4, 1.5)},
        "down": {"factor": (0.9, 0.8, 0.7, 0.6, 0.5)},
    }
    severity_table = severity_tables["up"]

    def __init__(self, factor=(0.7, 1.3), *, direction: str = "up", p: float = 1.0,
                 severity: int | None = None, value_range=(0.0, 1.0)) -> None:
        super().__init__(p=p, severity=severity, value_range=value_range)
        _use_direction(self, direction)
        self.factor = self.spec("factor", factor, low=0.0, high=100.0)

    def _apply(self, x: torch.Tensor, params: Params) -> torch.Tensor:
        return x * per_sample(params["factor"], x)

    def _apply_inplace(self, x: torch.Tensor, params: Params) -> torch.Tensor:
        return x.mul_(per_sample(params["factor"], x))

    def gain_offset(self, params: Params, x: torch.Tensor | None = None):
        if self.value_range != (0.0, 1.0):
            return None
        return params["factor"].double().view(-1, 1, 1, 1), torch.zeros(1, dtype=torch.float64)
