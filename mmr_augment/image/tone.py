"""Global tone families: gamma, contrast and brightness (MedMNIST-C chest X-ray severities).

MedMNIST-C corrupts each of these in two directions with separate tables, so these ops take a
``direction="up"|"down"`` argument that picks which table ``severity=1..5`` reads (the values
replace the op's one argument, ``gamma`` or ``factor``). Outside severity mode ``direction``
has no effect: the sampled factor may lie on either side of 1.

========================== ===== ===== ===== ===== =====
severity                     1     2     3     4     5
========================== ===== ===== ===== ===== =====
Gamma, Contrast ``up``      1.1   1.2   1.3   1.4   1.6
Gamma, Contrast ``down``    0.9   0.8   0.7   0.6   0.4
Brightness ``up``           1.1   1.2   1.3   1.4   1.5
Brightness ``down``         0.9   0.8   0.7   0.6   0.5
========================== ===== ===== ===== ===== =====

The op arguments are the same for the three: the op's value (a scalar, ``(lo, hi)`` range or
``choice(...)``), ``direction``, ``p`` (probability that a sample is changed), ``severity``
(1..5: the table above replaces the value) and ``value_range`` (the images' value range).
"""

from __future__ import annotations

from typing import ClassVar

import torch

from ..core import Params
from ..errors import ConfigError
from ._kernels.gamma import gamma_by_numpy
from ._kernels.threads import eager_cpu_batch
from .base import ImagePerturbation, per_sample

#: MedMNIST-C ``chestmnist`` rows (``medmnistc/corruptions/registry.py``).
_UP = (1.1, 1.2, 1.3, 1.4, 1.6)
_DOWN = (0.9, 0.8, 0.7, 0.6, 0.4)


class TwoWayTone(ImagePerturbation, abstract=True):
    """Base of the tone ops with an ``up`` and a ``down`` severity table (``severity_tables``)
    for their one argument, named by ``argument``."""

    argument: ClassVar[str]
    severity_tables: ClassVar[dict[str, dict[str, tuple]]]

    def __init__(self, value, *, direction: str, p: float, severity: int | None, value_range,
                 low: float) -> None:
        super().__init__(p=p, severity=severity, value_range=value_range)
        tables = type(self).severity_tables
        if direction not in tables:
            raise ConfigError(f"{type(self).__name__}: direction must be one of "
                              f"{sorted(tables)}, got {direction!r}")
        self.severity_table = tables[direction]  # an instance attribute: this op's direction
        setattr(self, self.argument, self.spec(self.argument, value, low=low, high=100.0))


class Gamma(TwoWayTone):
    """Gamma correction ``x ** gamma`` per sample (kornia ``adjust_gamma`` with gain 1).

    ``gamma < 1`` brightens mid-tones, ``gamma > 1`` darkens them; 0 and 1 stay fixed.
    ``gamma`` is the exponent (> 0). Severity: MedMNIST-C chest X-ray ``gamma_corr_up`` /
    ``gamma_corr_down`` (gamma 1.1 .. 1.6 / 0.9 .. 0.4, the module's table); ``direction``
    defaults to ``"up"``. Arguments as in the module docstring.

    On CPU tensors that need no gradient the power is ``exp(gamma * log(x))`` by NumPy in
    per-sample slices on torch's threads (``_kernels/gamma.py``), about 2x faster than
    ``torch.pow`` (2.1 against 4.6 ms for 64 x 224 x 224 on two threads): within 1.8e-7 of
    ``torch.pow`` on ``[0, 1]`` (float32; 2.3e-16 float64), 0 and 1 exact, ``gamma = 1`` the
    identity. Elsewhere (CUDA, autograd, ``torch.compile``) it is ``torch.pow``. Either way the
    input is clamped to ``[0, 1]`` first (negative input would give NaN), by the base class and
    only when it is not known to lie there (its range check found it inside, or an op clamped
    it), so in-range input costs the power alone.

    Example:
        >>> op = Gamma(gamma=0.5)
        >>> op(torch.full((1, 1, 2, 2), 0.25), generator=0)[0, 0, 0]
        tensor([0.5000, 0.5000])
    """

    family = "gamma"
    clamp_first = True  # x ** gamma maps [0, 1] onto itself, fixing 0 and 1
    pointwise = True
    argument = "gamma"
    severity_tables = {"up": {"gamma": _UP}, "down": {"gamma": _DOWN}}
    severity_table = severity_tables["up"]

    def __init__(self, gamma=(0.6, 1.6), *, direction: str = "up", p: float = 1.0,
                 severity: int | None = None, value_range=(0.0, 1.0)) -> None:
        super().__init__(gamma, direction=direction, p=p, severity=severity,
                         value_range=value_range, low=1e-3)

    def _apply(self, x: torch.Tensor, params: Params) -> torch.Tensor:
        # kornia's adjust_gamma with gain 1, minus its gain multiply and clamp: the base class
        # hands in x clamped to [0, 1] (clamp_first), which x ** gamma maps onto itself
        if eager_cpu_batch(x):  # float32 or float64, from the base class
            return gamma_by_numpy(x, params["gamma"], torch.empty_like(x))
        return torch.pow(x, per_sample(params["gamma"], x))

    def _apply_inplace(self, x: torch.Tensor, params: Params) -> torch.Tensor:
        if eager_cpu_batch(x):  # float32 or float64, from the base class
            return gamma_by_numpy(x, params["gamma"], x)
        return torch.pow(x, per_sample(params["gamma"], x), out=x)


class Contrast(TwoWayTone):
    """Contrast around each image's mean: ``(x - mean) * factor + mean``.

    The mean is taken over the whole image (over the luma of RGB images), as in PIL's
    ``ImageEnhance.Contrast`` that MedMNIST-C uses; the result is kornia's
    ``adjust_contrast_with_mean_subtraction``, computed in two passes instead of five.
    ``factor < 1`` flattens, ``> 1`` stretches (and may clip); ``factor`` is >= 0. Severity:
    MedMNIST-C chest X-ray ``contrast_up`` / ``contrast_down`` (factor 1.1 .. 1.6 / 0.9 .. 0.4,
    the module's table); ``direction`` defaults to ``"down"``, as ImageNet-C. Arguments as in
    the module docstring.

    Example:
        >>> op = Contrast(factor=0.5)
        >>> op(torch.tensor([[[[0.2, 0.6]]]]), generator=0)
        tensor([[[[0.3000, 0.5000]]]])
    """

    family = "contrast"
    pointwise = True  # given the image's mean, taken before any pixel is written
    argument = "factor"
    severity_tables = {"up": {"factor": _UP}, "down": {"factor": _DOWN}}
    severity_table = severity_tables["down"]

    def __init__(self, factor=(0.6, 1.4), *, direction: str = "down", p: float = 1.0,
                 severity: int | None = None, value_range=(0.0, 1.0)) -> None:
        super().__init__(factor, direction=direction, p=p, severity=severity,
                         value_range=value_range, low=0.0)

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


class Brightness(TwoWayTone):
    """Multiplicative brightness ``x * factor`` (clipped), as MedMNIST-C's brightness.

    MedMNIST-C uses PIL's ``ImageEnhance.Brightness``, a blend with black, i.e. a gain; kornia's
    ``adjust_brightness`` is additive, so it is not used here. A gain keeps black black, like
    an exposure / detector-gain change. ``factor`` is the gain (>= 0). Severity: MedMNIST-C
    chest X-ray ``brightness_up`` / ``brightness_down`` (factor 1.1 .. 1.5 / 0.9 .. 0.5, the
    module's table); ``direction`` defaults to ``"up"``, as ImageNet-C. Arguments as in the
    module docstring.

    Example:
        >>> op = Brightness(severity=5, direction="down")
        >>> op(torch.tensor([[[[0.0, 0.5, 1.0]]]]), generator=0)
        tensor([[[[0.0000, 0.2500, 0.5000]]]])
    """

    family = "brightness"
    pointwise = True
    argument = "factor"
    severity_tables = {"up": {"factor": (1.1, 1.2, 1.3, 1.4, 1.5)},
                       "down": {"factor": (0.9, 0.8, 0.7, 0.6, 0.5)}}
    severity_table = severity_tables["up"]

    def __init__(self, factor=(0.7, 1.3), *, direction: str = "up", p: float = 1.0,
                 severity: int | None = None, value_range=(0.0, 1.0)) -> None:
        super().__init__(factor, direction=direction, p=p, severity=severity,
                         value_range=value_range, low=0.0)

    def _apply(self, x: torch.Tensor, params: Params) -> torch.Tensor:
        return x * per_sample(params["factor"], x)

    def stays_in_unit_range(self, params: Params) -> bool:
        # x * f <= x for f <= 1 in floating point too (x is representable, x * f is not above)
        return bool((params["factor"] <= 1).all())

    def _apply_inplace(self, x: torch.Tensor, params: Params) -> torch.Tensor:
        return x.mul_(per_sample(params["factor"], x))

    def gain_offset(self, params: Params, x: torch.Tensor | None = None):
        if self.value_range != (0.0, 1.0):
            return None
        return params["factor"].double().view(-1, 1, 1, 1), torch.zeros(1, dtype=torch.float64)
