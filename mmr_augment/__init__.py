"""mmr_augment: composable, batched, asymmetric perturbations for images and clinical reports.

Example:
    >>> import torch, mmr_augment as ma
    >>> op = ma.Sequential([ma.GaussianNoise(severity=2)])
    >>> y = op(torch.rand(2, 1, 16, 16), generator=0)
    >>> ma.from_config(op.to_config())(torch.rand(2, 1, 16, 16), generator=0).shape == y.shape
    True
"""

import importlib
from typing import Any

from . import core
from .batch import MODES, PerturbedBatch
from .compose import OneOf, Sequential, SomeOf
from .config import load_config, save_config
from .core import (
    REGISTRY,
    Params,
    Perturbation,
    families,
    from_config,
    param_tensors,
    params_from_json,
    params_to_json,
    replay,
    slice_params,
)
from .errors import ConfigError, InputError, InputTypeError, MMRError
from .image import (
    JPEG,
    BiasField,
    Brightness,
    CaptionBand,
    Collimation,
    Contrast,
    Cutout,
    DefocusBlur,
    Gamma,
    GaussianBlur,
    GaussianNoise,
    GridLines,
    ImagePerturbation,
    ImpulseNoise,
    Invert,
    Markers,
    MotionBlur,
    Pixelate,
    PoissonNoise,
    Quantize,
    Resample,
    Sharpen,
    SpeckleNoise,
    ToneCurve,
    WindowLevel,
    check_image,
    clamp_out_of_range,
    per_sample,
    to_float_image,
)
from .params import Choice, ParamSpec, choice
from .policy import MultiModalPolicy, with_severity
from .style import ScannerStyle, StyleFamily

__all__ = [
    "REGISTRY", "families", "Params", "Perturbation", "from_config", "params_from_json",
    "param_tensors", "params_to_json", "replay", "slice_params", "OneOf", "Sequential", "SomeOf",
    "load_config", "save_config", "ConfigError", "InputError", "InputTypeError", "MMRError",
    "Choice", "ParamSpec", "choice", "MODES", "PerturbedBatch", "MultiModalPolicy",
    "with_severity", "ScannerStyle", "StyleFamily", "ReportStyle",
    # image
    "ImagePerturbation", "check_image", "clamp_out_of_range", "per_sample", "to_float_image",
    "GaussianNoise", "ImpulseNoise", "PoissonNoise", "SpeckleNoise",
    "GaussianBlur", "MotionBlur", "DefocusBlur", "Sharpen",
    "Gamma", "Contrast", "Brightness", "WindowLevel", "ToneCurve", "Invert",
    "BiasField", "Quantize",
    "Cutout", "Pixelate", "Resample", "JPEG", "GridLines", "Collimation", "Markers",
    "CaptionBand",
]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    # The report stack (spaCy, scispacy, NLTK: the `text` extra) loads on first use, so image
    # work never imports it; from_config and replay load it when a config names a text op.
    if name == "text":
        return importlib.import_module(".text", __name__)
    if name == "ReportStyle":
        from .style import ReportStyle

        return ReportStyle
    if name == "FAMILIES":  # deprecated alias, kept for one release
        return getattr(core, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
