"""Robust-MMR configuration: dataclasses, presets ``tiny`` / ``small`` / ``base``, strict YAML.

A config has four sections: ``model`` (sizes), ``masking`` (ratios per perturbation mode and
damage weighting), ``loss`` (weights and variants) and the top-level ``method``:
``"robust_mmr"`` or ``"baseline"`` (plain masked reconstruction: uniform masking at the clean
ratios, standard MLM targets, no consistency and no resilience term, whatever their weights).

Example:
    >>> cfg = preset("tiny")
    >>> cfg.model.image_size, cfg.masking.image_clean
    (64, 0.75)
    >>> from_dict({"method": "baseline", "loss": {"itc": 0.5}}, base="tiny").loss_weights()
    {'mim': 1.0, 'mlm': 1.0, 'itc': 0.5, 'consistency': 0.0, 'resilience': 0.0}
"""

from __future__ import annotations

import dataclasses
import difflib
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from mmr_augment.config import read_config_file
from mmr_augment.errors import ConfigError

METHODS = ("robust_mmr", "baseline")
_CHOICES = {"method": METHODS, "consistency_kind": ("infonce", "vicreg"),
            "consistency_on": ("fused", "all"),
            "resilience_kind": ("cosine", "mse")}


@dataclass
class ModelConfig:
    """Encoder, fusion and decoder sizes (image and text encoders share ``width``)."""

    image_size: int = 64
    patch_size: int = 8
    channels: int = 1
    width: int = 128
    heads: int = 4
    mlp_ratio: float = 4.0
    image_depth: int = 2
    text_depth: int = 2
    fusion_depth: int = 1
    decoder_width: int = 64
    decoder_depth: int = 1
    decoder_heads: int = 4
    vocab_size: int = 2000
    max_text_length: int = 64
    proj_dim: int = 64


@dataclass
class MaskingConfig:
    """Mask ratio per modality and mode, and the damage weighting of which units get masked.

    ``*_clean``: no perturbation; ``*_perturbed``: this modality perturbed; ``*_other``: only
    the other modality perturbed. Weights are ``damage + weight_eps``; sampling is Gumbel-top-k
    of ``log(weight) / temperature`` (large temperature -> uniform).
    """

    image_clean: float = 0.75
    image_perturbed: float = 0.85
    image_other: float = 0.60
    text_clean: float = 0.15
    text_perturbed: float = 0.30
    text_other: float = 0.10
    damage_weighted: bool = True
    weight_eps: float = 0.05
    temperature: float = 1.0
    whole_word: bool = False


@dataclass
class LossConfig:
    """Loss weights and variants.

    ``consistency_on``: which embeddings of the two style views are made consistent (each
    through the consistency head): ``all`` (fused, image encoder and text encoder) or
    ``fused`` only. ``projection_consistency``: weight, inside the consistency term, of the
    same loss between the two views' retrieval projections (image with image, report with
    report); 0 leaves the retrieval space to the contrastive term alone.
    """

    mim: float = 1.0
    mlm: float = 1.0
    itc: float = 1.0
    consistency: float = 0.5
    resilience: float = 0.5
    norm_pix_loss: bool = True
    itc_temperature: float = 0.07
    consistency_kind: str = "infonce"
    consistency_on: str = "all"
    projection_consistency: float = 0.0
    consistency_temperature: float = 0.1
    variance_weight: float = 1.0
    supervised_consistency: bool = False
    resilience_kind: str = "cosine"


@dataclass
class RobustMMRConfig:
    """Whole config; build with :func:`preset`, :func:`from_dict` or :func:`load_config`."""

    method: str = "robust_mmr"
    model: ModelConfig = field(default_factory=ModelConfig)
    masking: MaskingConfig = field(default_factory=MaskingConfig)
    loss: LossConfig = field(default_factory=LossConfig)

    @property
    def is_baseline(self) -> bool:
        """True for the plain masked-reconstruction baseline."""
        return self.method == "baseline"

    def loss_weights(self) -> dict[str, float]:
        """Weight per loss term; consistency and resilience are 0 for the baseline."""
        w = {k: float(getattr(self.loss, k)) for k in ("mim", "mlm", "itc", "consistency",
                                                       "resilience")}
        if self.is_baseline:
            w["consistency"] = w["resilience"] = 0.0
        return w

    def to_dict(self) -> dict[str, Any]:
        """Plain nested dict (YAML / checkpoint friendly)."""
        return dataclasses.asdict(self)


_PRESETS: dict[str, dict[str, Any]] = {
    "tiny": {},
    "small": {"model": dict(image_size=128, patch_size=16, width=384, heads=6, image_depth=6,
                            text_depth=4, fusion_depth=2, decoder_width=256, decoder_depth=2,
                            decoder_heads=8, vocab_size=8000, max_text_length=128,
                            proj_dim=128)},
    "base": {"model": dict(image_size=224, patch_size=16, width=768, heads=12, image_depth=12,
                           text_depth=12, fusion_depth=6, decoder_width=512, decoder_depth=8,
                           decoder_heads=16, vocab_size=30000, max_text_length=256,
                           proj_dim=256)},
}
PRESETS = tuple(_PRESETS)


def preset(name: str) -> RobustMMRConfig:
    """The named preset: ``tiny`` (CPU, minutes), ``small``, ``base`` (ViT-B/16, 224 px)."""
    if name not in _PRESETS:
        raise ConfigError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}")
    return _build(RobustMMRConfig, _PRESETS[name], "config")


def from_dict(data: dict[str, Any], base: str = "tiny") -> RobustMMRConfig:
    """``preset(base)`` with the keys of ``data`` overriding it; unknown keys and wrong types
    raise :class:`~mmr_augment.errors.ConfigError`. ``data`` may name its own ``preset``."""
    if not isinstance(data, dict):
        raise ConfigError(f"a config must be a mapping, got {type(data).__name__}")
    data = dict(data)
    start = preset(data.pop("preset", base)).to_dict()
    for key, value in data.items():
        if isinstance(value, dict) and isinstance(start.get(key), dict):
            start[key] = {**start[key], **value}
        else:
            start[key] = value
    return _build(RobustMMRConfig, start, "config")


def load_config(path: str | Path) -> RobustMMRConfig:
    """Read a YAML config (``yaml.safe_load``) on top of its ``preset`` key (default tiny)."""
    data = read_config_file(path)
    try:
        return from_dict(data or {})
    except ConfigError as e:
        raise ConfigError(f"{path}: {e}") from None


def save_config(cfg: RobustMMRConfig, path: str | Path) -> None:
    """Write the full config as YAML."""
    Path(path).write_text(yaml.safe_dump(cfg.to_dict(), sort_keys=False), encoding="utf-8")


def _build(cls: type, data: dict[str, Any], where: str) -> Any:
    if not isinstance(data, dict):
        raise ConfigError(f"{where} must be a mapping, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    kwargs = {}
    for key, value in data.items():
        if key not in names:
            near = difflib.get_close_matches(str(key), names, n=1)
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            raise ConfigError(f"unknown key {where}.{key}{hint}; allowed: {', '.join(names)}")
        kwargs[key] = _check(hints[key], value, f"{where}.{key}")
    return cls(**kwargs)


def _check(kind: Any, value: Any, where: str) -> Any:
    if dataclasses.is_dataclass(kind):
        return _build(kind, value, where)
    ok = (isinstance(value, kind) and not (kind is int and isinstance(value, bool))
          or kind is float and isinstance(value, int) and not isinstance(value, bool))
    if not ok:
        raise ConfigError(f"{where} must be {kind.__name__}, got {value!r} "
                          f"({type(value).__name__})")
    name = where.rsplit(".", 1)[-1]
    if name in _CHOICES and value not in _CHOICES[name]:
        raise ConfigError(f"{where} must be one of {_CHOICES[name]}, got {value!r}")
    if kind in (int, float) and value < 0:
        raise ConfigError(f"{where} must be >= 0, got {value!r}")
    if name.startswith(("image_", "text_")) and kind is float and value > 1:
        raise ConfigError(f"{where} is a mask ratio and must be in [0, 1], got {value!r}")
    return float(value) if kind is float else value
