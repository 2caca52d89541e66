"""The MedMNIST-C protocol: its 13 ChestMNIST corruptions as published, both directions.

MedMNIST-C (Di Salvo et al. 2024) corrupts a grey radiograph by converting it to RGB,
corrupting the three channels, and converting back with PIL's luma weights
``(.299, .587, .114)``. Noise drawn per channel therefore shrinks in that round trip: its std by
``sqrt(.299^2 + .587^2 + .114^2) = 0.669`` (:data:`LUMA_NOISE_SCALE`), its variance by 0.448,
and an impulse hit moves a pixel only part of the way to black or white. The nominal values of
its table (the same as the ``severity_table`` of our ops, which act on one channel) are thus
stronger on our ops than in the published ChestMNIST-C. This protocol applies the effective
strength instead: Gaussian and speckle std times 0.669, shot-noise photons divided by 0.448,
impulse noise per channel with the luma back (``ImpulseNoise(channels="independent")``). The
other nine corruptions act the same on every channel, so they take the table's values as they
are; pixelate sizes its small image as MedMNIST-C does, ``int(size * scale)``
(``Pixelate(size_rounding="down")``: at 28 px, 5 cells for scale 0.2 where rounding gives 6).
Our ops' own ``severity=`` stays nominal; use this module to compare with published MedMNIST-C
numbers. It assumes grey (1-channel) images, like ChestMNIST.

The effective strength is exact away from black and white only: MedMNIST-C clips each channel
before the luma, so at black (or saturated) pixels its noise changes the image more than the
single-channel equivalent does (1.5x at a black pixel), and less where speckle and shot noise
push bright pixels past white. On films with black borders that moves the mean change by up to
about 5-8% (``benchmarks/README.md``). ``exact=True`` removes that: the three noise corruptions
then draw their nominal noise on the RGB copy, clip each channel and take the luma back
(``grey_as_rgb=True``, :func:`~mmr_augment.image.noise.rgb_round_trip`), MedMNIST-C's
distribution at every pixel, for three noise draws instead of one.

Example:
    >>> op = medmnistc_op("gaussian_noise", 5)
    >>> type(op).__name__, round(op.std.values[0], 4)
    ('GaussianNoise', 0.1738)
    >>> len(CHEST_CORRUPTIONS), medmnistc_op("brightness_down", 2).factor.values
    (13, (0.8,))
    >>> exact = medmnistc_op("gaussian_noise", 5, exact=True)
    >>> exact.std.values, exact.grey_as_rgb
    ((0.26,), True)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from .compose import OneOf
from .core import REGISTRY, Perturbation
from .errors import ConfigError
from .image.noise import LUMA

__all__ = ["CHEST_CORRUPTIONS", "LUMA_NOISE_SCALE", "MedMNISTCCorruption", "medmnistc_op",
           "medmnistc_policy"]

LUMA_NOISE_SCALE = math.sqrt(sum(w * w for w in LUMA))  # 0.6691


@dataclass(frozen=True)
class MedMNISTCCorruption:
    """One MedMNIST-C corruption: the op, the argument its table sets, the published values
    for severities 1-5 and the factor that turns them into the effective single-channel value.
    """

    op_name: str
    argument: str
    values: tuple[float, ...]
    to_grey: float = 1.0
    fixed: dict[str, Any] = field(default_factory=dict)

    def effective(self, severity: int, exact: bool = False) -> float:
        """The value our op takes at ``severity`` (1-5) to match MedMNIST-C's strength
        (``exact``: the nominal value, for the op's RGB round trip)."""
        if severity not in (1, 2, 3, 4, 5):
            raise ConfigError(f"MedMNIST-C severities are 1-5, got {severity!r}")
        value = self.values[severity - 1]
        return value if exact and self.to_grey != 1.0 else value * self.to_grey

    def arguments(self, exact: bool = False) -> dict[str, Any]:
        """The op's fixed arguments (``exact``: with the RGB round trip for per-channel noise
        that a single channel only approximates)."""
        return {**self.fixed, **({"grey_as_rgb": True} if exact and self.to_grey != 1.0 else {})}

    def op(self, severity: int, exact: bool = False) -> Perturbation:
        """Our op at ``severity``, always applied."""
        return REGISTRY[self.op_name](**{self.argument: self.effective(severity, exact)},
                                      **self.arguments(exact), p=1.0)


_NOISE_VARIANCE = LUMA_NOISE_SCALE**2
# MedMNIST-C's ``CORRUPTIONS_DS["chestmnist"]`` (medmnistc/corruptions/registry.py), in its order.
CHEST_CORRUPTIONS: dict[str, MedMNISTCCorruption] = {
    "pixelate": MedMNISTCCorruption("Pixelate", "scale", (0.30, 0.25, 0.20, 0.15, 0.10),
                                    fixed={"size_rounding": "down"}),
    "jpeg_compression": MedMNISTCCorruption("JPEG", "quality", (50, 30, 15, 10, 7)),
    "gaussian_noise": MedMNISTCCorruption("GaussianNoise", "std", (0.04, 0.08, 0.12, 0.18, 0.26),
                                          LUMA_NOISE_SCALE),
    "speckle_noise": MedMNISTCCorruption("SpeckleNoise", "std", (0.05, 0.15, 0.20, 0.35, 0.45),
                                         LUMA_NOISE_SCALE),
    "impulse_noise": MedMNISTCCorruption("ImpulseNoise", "amount",
                                         (0.01, 0.03, 0.06, 0.09, 0.17),
                                         fixed={"channels": "independent"}),
    "shot_noise": MedMNISTCCorruption("PoissonNoise", "photons", (60, 25, 18, 10, 5),
                                      1.0 / _NOISE_VARIANCE),
    "gaussian_blur": MedMNISTCCorruption("GaussianBlur", "kernel_size", (3, 5, 7, 9, 11)),
    "brightness_up": MedMNISTCCorruption("Brightness", "factor", (1.1, 1.2, 1.3, 1.4, 1.5)),
    "brightness_down": MedMNISTCCorruption("Brightness", "factor", (0.9, 0.8, 0.7, 0.6, 0.5)),
    "contrast_up": MedMNISTCCorruption("Contrast", "factor", (1.1, 1.2, 1.3, 1.4, 1.6)),
    "contrast_down": MedMNISTCCorruption("Contrast", "factor", (0.9, 0.8, 0.7, 0.6, 0.4)),
    "gamma_corr_up": MedMNISTCCorruption("Gamma", "gamma", (1.1, 1.2, 1.3, 1.4, 1.6)),
    "gamma_corr_down": MedMNISTCCorruption("Gamma", "gamma", (0.9, 0.8, 0.7, 0.6, 0.4)),
}


def medmnistc_op(name: str, severity: int, exact: bool = False) -> Perturbation:
    """The op that reproduces MedMNIST-C's chest corruption ``name`` at ``severity`` (1-5)
    (``exact``: noise through the RGB round trip, see the module docstring)."""
    if name not in CHEST_CORRUPTIONS:
        raise ConfigError(f"unknown MedMNIST-C chest corruption {name!r}; "
                          f"choose from {sorted(CHEST_CORRUPTIONS)}")
    return CHEST_CORRUPTIONS[name].op(severity, exact)


def medmnistc_policy(p: float = 1.0, exact: bool = False) -> OneOf:
    """MedMNIST-C's augmentation mode as one op: each sample gets one of the 13 corruptions at a
    strength drawn uniformly between its severity-1 and severity-5 values (effective ones, or
    nominal ones through the RGB round trip with ``exact``).

    Example:
        >>> import torch
        >>> policy = medmnistc_policy()
        >>> policy(torch.rand(4, 1, 16, 16), generator=0).shape
        torch.Size([4, 1, 16, 16])
    """
    ops = []
    for corruption in CHEST_CORRUPTIONS.values():
        lo, hi = sorted((corruption.effective(1, exact), corruption.effective(5, exact)))
        ops.append(REGISTRY[corruption.op_name](**{corruption.argument: (lo, hi)},
                                                **corruption.arguments(exact)))
    return OneOf(ops, p=p)
