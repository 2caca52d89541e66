"""The stages of a scanner style, in physical order, and how a stage dict becomes an op.

A stage is written as a mapping of its op's arguments plus ``p`` (the chance that a sample gets
the stage). Left-out arguments take the op's default; :func:`resolve_stage` fills them in, so a
style's config always holds every parameter of every stage it uses.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

from ..core import to_plain
from ..errors import ConfigError
from ..image import (
    JPEG,
    CaptionBand,
    Collimation,
    GridLines,
    Invert,
    Markers,
    Quantize,
    Resample,
    Sharpen,
    ToneCurve,
)
from ..image.base import ImagePerturbation
from ._stages import CorrelatedNoise, DetectorResponse, FixedWindow, MTFBlur, ToneLUT

#: Stage name -> op class, in the order a radiograph is acquired, processed and exported.
STAGES: dict[str, type[ImagePerturbation]] = {
    "detector": DetectorResponse,   # gain / offset, nonlinearity
    "noise": CorrelatedNoise,       # Poisson-Gaussian noise with a power spectrum
    "mtf": MTFBlur,                 # detector blur
    "edge": Sharpen,                 # vendor edge enhancement (unsharp mask)
    "tone": ToneCurve,               # vendor tone curve (kind: sigmoid | piecewise | lut)
    "window": FixedWindow,               # default window / level
    "grid": GridLines,               # anti-scatter grid lines
    "bit_depth": Quantize,           # stored bit depth
    "collimation": Collimation,      # collimator shutters
    "markers": Markers,              # burned-in laterality / position text
    "caption": CaptionBand,          # burned-in caption band (source, date, window values)
    "jpeg": JPEG,                    # lossy export
    "resolution": Resample,          # down-up resampling
    "invert": Invert,                # MONOCHROME1 mix-up (usually a small p)
}
#: Stages that act pixel by pixel (no noise): together they are the style's tone mapping.
POINTWISE = ("detector", "tone", "window", "invert")
_NOT_STAGE_KEYS = ("self", "p", "severity", "value_range", "direction")


def _class_for(stage: str, given: Mapping[str, Any]) -> type[ImagePerturbation]:
    if stage == "tone" and given.get("kind") == "lut":
        return ToneLUT
    return STAGES[stage]


def accepted_keys(cls: type[ImagePerturbation]) -> list[str]:
    """Arguments a stage dict may hold for ``cls`` (its op arguments, then ``p``)."""
    names = [n for n in inspect.signature(cls.__init__).parameters if n not in _NOT_STAGE_KEYS]
    return names + (["kind"] if cls is ToneLUT else []) + ["p"]


def resolve_stage(stage: str, given: Any) -> dict[str, Any]:
    """Every argument of ``stage`` as plain YAML values: ``given`` over the op's defaults.

    Example:
        >>> resolve_stage("mtf", {"sigma": 1.0})
        {'sigma': 1.0, 'p': 1.0}
        >>> resolve_stage("mtf", {"sigmaa": 1.0})
        Traceback (most recent call last):
        ...
        mmr_augment.errors.ConfigError: stage 'mtf': unknown key(s) ['sigmaa']; accepted: [...]
    """
    if not isinstance(given, Mapping):
        raise ConfigError(f"stage {stage!r} must be a mapping of its parameters "
                          f"(e.g. {{p: 1.0}}), got {given!r}")
    cls = _class_for(stage, given)
    keys = accepted_keys(cls)
    unknown = [k for k in given if k not in keys]
    if unknown:
        raise ConfigError(f"stage {stage!r}: unknown key(s) {unknown}; accepted: {keys}")
    params = inspect.signature(cls.__init__).parameters
    full = {k: params[k].default for k in keys if k in params}
    full.update(given)
    return to_plain(full)


def build_stage(stage: str, resolved: Mapping[str, Any]) -> ImagePerturbation:
    """The op of a resolved stage dict; a bad value raises ``ConfigError`` naming the stage."""
    cls = _class_for(stage, resolved)
    kwargs = {k: v for k, v in resolved.items() if k != "kind" or cls is not ToneLUT}
    try:
        return cls(**kwargs)
    except (ValueError, TypeError) as e:
        raise ConfigError(f"stage {stage!r}: {e}") from None
