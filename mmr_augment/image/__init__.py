"""Image perturbation families, one public module per family group.

Modules: ``noise``, ``blur``, ``sharpen``, ``tone`` (gamma, contrast, brightness), ``display``
(window / level, inversion), ``tone_curve``, ``bias_field``, ``quantize``, ``occlusion``,
``resolution``, ``jpeg``, ``acquisition`` (grid lines, collimation) and ``markers``. Shared
kernels live in the private subpackage ``_kernels``. Importing this package registers every op.
"""

from .acquisition import Collimation, GridLines
from .base import (
    ImagePerturbation,
    check_image,
    clamp_out_of_range,
    per_sample,
    to_float_image,
)
from .bias_field import BiasField
from .blur import DefocusBlur, GaussianBlur, MotionBlur
from .display import Invert, WindowLevel
from .jpeg import JPEG
from .markers import CaptionBand, Markers
from .noise import GaussianNoise, ImpulseNoise, PoissonNoise, SpeckleNoise
from .occlusion import Cutout
from .quantize import Quantize
from .resolution import Pixelate, Resample
from .sharpen import Sharpen
from .tone import Brightness, Contrast, Gamma
from .tone_curve import ToneCurve

__all__ = [
    "ImagePerturbation", "check_image", "clamp_out_of_range", "per_sample", "to_float_image",
    "GaussianNoise", "ImpulseNoise", "PoissonNoise", "SpeckleNoise",
    "GaussianBlur", "MotionBlur", "DefocusBlur", "Sharpen",
    "Gamma", "Contrast", "Brightness", "WindowLevel", "ToneCurve", "Invert",
    "BiasField", "Quantize",
    "Cutout", "Pixelate", "Resample", "JPEG", "GridLines", "Collimation", "Markers", "CaptionBand",
]
