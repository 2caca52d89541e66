"""Robust-MMR and ``mmr-train fit`` configuration: dataclasses, presets, one strict validator.

:class:`RobustMMRConfig` is the model's config: ``method`` (``robust_mmr`` or ``baseline``:
plain masked reconstruction, uniform masking at the clean ratios, standard MLM targets, no
consistency and no resilience term whatever their weights), ``model`` (sizes), ``masking``
(ratios per perturbation mode, damage weighting) and ``loss`` (weights and variants).
:class:`FitConfig` is the same config plus the trainer's sections (flat: ``cfg.model``,
``cfg.loss``, ``cfg.train``, ...):

- ``data``: ``kind`` (``synthetic`` | ``manifest`` | any kind registered in
  :mod:`mmr_train.sources`), ``n``, ``size`` (``null``: the model's ``image_size``), ``seed``,
  ``domains`` (``[scanner_style, report_style]`` pairs of preset names or ``null``),
  ``second_view`` (``auto`` | ``dataset`` | ``style`` | ``policy``), ``path`` (manifest),
  ``root`` (the folder its paths are relative to; default: the manifest's folder),
  ``drop_empty`` (drop rows with an empty report instead of raising), ``num_workers``.
  In a config file, relative ``path`` and ``root`` are relative to the file's folder.
- ``views``: the style family of generated second views: ``scanner`` / ``report`` preset
  names (``all``: every shipped preset; ``[]``: use the policy's own ops instead).
- ``policy``: ``default``, ``none`` or a ``MultiModalPolicy`` config dict (``type`` optional).
  ``default`` is the Robust-MMR policy for ``method: robust_mmr`` and ``none`` (no
  perturbation) for ``method: baseline``.
- ``train``: optimisation and bookkeeping (see :class:`TrainSettings`).

Every mapping (a YAML file, a checkpoint's ``config``) goes through one validator driven by
the dataclasses' type hints and field metadata: unknown keys (with a "did you mean"), wrong
types, values outside a field's bounds and choices outside a ``Literal`` are
:class:`~mmr_augment.errors.ConfigError` naming the key path.

Example:
    >>> cfg = preset("tiny")
    >>> cfg.model.image_size, cfg.masking.image_clean
    (64, 0.75)
    >>> from_dict({"method": "baseline", "loss": {"itc": 0.5}}, base="tiny").loss_weights()
    {'mim': 1.0, 'mlm': 1.0, 'itc': 0.5, 'consistency': 0.0, 'resilience': 0.0}
    >>> fit = fit_config_from_dict({"preset": "tiny", "train": {"batch_size": 4}})
    >>> fit.train.batch_size, fit.method, fit.model.image_size, fit.data.kind
    (4, 'robust_mmr', 64, 'synthetic')
    >>> fit_config_from_dict({"train": {"bach_size": 4}})
    Traceback (most recent call last):
    ...
    mmr_augment.errors.ConfigError: unknown key config.train.bach_size (did you mean ...
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import typing
from dataclasses import dataclass, field
from pathlib import Path
from types import UnionType
from typing import Any, Literal, TypeVar

import yaml

from mmr_augment.config import read_config_file
from mmr_augment.errors import ConfigError

Method = Literal["robust_mmr", "baseline"]
SecondView = Literal["auto", "dataset", "style", "policy"]
PrecisionName = Literal["auto", "fp32", "bf16", "fp16"]
METHODS = typing.get_args(Method)
SECOND_VIEWS = typing.get_args(SecondView)
PRECISIONS = typing.get_args(PrecisionName)


def setting(default: Any = dataclasses.MISSING, *, factory: Any = dataclasses.MISSING,
            **rules: Any) -> Any:
    """A config field with validation rules in its metadata.

    Rules: ``min`` / ``max`` (numbers; the default minimum is 0), ``term`` (a loss weight:
    its description; see :data:`LOSS_TERMS`), ``baseline`` (False: weight 0 for the
    baseline), ``resumable`` (may change when a run resumes).
    """
    return field(default=default, default_factory=factory, metadata=rules)


def ratio(default: float) -> Any:
    """A float field in ``[0, 1]``."""
    return setting(default, max=1.0)


def count(default: int, **rules: Any) -> Any:
    """An int field that must be >= 1."""
    return setting(default, min=1, **rules)


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

    image_clean: float = ratio(0.75)
    image_perturbed: float = ratio(0.85)
    image_other: float = ratio(0.60)
    text_clean: float = ratio(0.15)
    text_perturbed: float = ratio(0.30)
    text_other: float = ratio(0.10)
    damage_weighted: bool = True
    weight_eps: float = 0.05
    temperature: float = 1.0
    whole_word: bool = False


@dataclass
class LossConfig:
    """Loss weights (one field per term of :data:`LOSS_TERMS`) and variants.

    ``consistency_on``: which embeddings of the two style views are made consistent (each
    through the consistency head): ``all`` (fused, image encoder and text encoder) or
    ``fused`` only. ``projection_consistency``: weight, inside the consistency term, of the
    same loss between the two views' retrieval projections (image with image, report with
    report); 0 leaves the retrieval space to the contrastive term alone.
    """

    mim: float = setting(1.0, term="masked image modelling (per-patch pixel MSE)")
    mlm: float = setting(1.0, term="masked language modelling")
    itc: float = setting(1.0, term="image-text contrastive")
    consistency: float = setting(0.5, term="domain consistency of two style views",
                                 baseline=False)
    resilience: float = setting(0.5, term="modality resilience (dropped modality)",
                                baseline=False)
    norm_pix_loss: bool = True
    itc_temperature: float = 0.07
    consistency_kind: Literal["infonce", "vicreg"] = "infonce"
    consistency_on: Literal["fused", "all"] = "all"
    projection_consistency: float = 0.0
    consistency_temperature: float = 0.1
    variance_weight: float = 1.0
    supervised_consistency: bool = False
    resilience_kind: Literal["cosine", "mse"] = "cosine"


#: Every loss term of the model, in logging order: the weight fields of :class:`LossConfig`.
#: The model returns one loss per term, the trainer logs them; a new term is a new field there.
LOSS_TERMS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(LossConfig)
                                    if "term" in f.metadata)


@dataclass
class RobustMMRConfig:
    """The model's config; build with :func:`preset`, :func:`from_dict` or :func:`load_config`."""

    method: Method = "robust_mmr"
    model: ModelConfig = field(default_factory=ModelConfig)
    masking: MaskingConfig = field(default_factory=MaskingConfig)
    loss: LossConfig = field(default_factory=LossConfig)

    @property
    def is_baseline(self) -> bool:
        """True for the plain masked-reconstruction baseline."""
        return self.method == "baseline"

    def loss_weights(self) -> dict[str, float]:
        """Weight per term of :data:`LOSS_TERMS`; Robust-MMR-only terms are 0 for the
        baseline."""
        return {f.name: 0.0 if self.is_baseline and not f.metadata.get("baseline", True)
                else float(getattr(self.loss, f.name))
                for f in dataclasses.fields(LossConfig) if "term" in f.metadata}

    def to_dict(self) -> dict[str, Any]:
        """Plain nested dict (YAML / checkpoint friendly)."""
        return dataclasses.asdict(self)


@dataclass
class DataSettings:
    """Which studies to train on (see the module docstring)."""

    kind: str = "synthetic"
    n: int = count(256)
    size: int | None = None
    seed: int = 0
    domains: list[Any] | None = setting(
        factory=lambda: [["cr", None], ["dr_flat_panel", None]])
    second_view: SecondView = "auto"
    path: str | None = None
    root: str | None = None
    drop_empty: bool = False
    num_workers: int = setting(0, resumable=True)


@dataclass
class ViewSettings:
    """Style family used to render a generated second view of each study."""

    scanner: Literal["all"] | list[str] | None = "all"
    report: Literal["all"] | list[str] | None = "all"


@dataclass
class TrainSettings:
    """Optimisation and bookkeeping.

    ``lr`` peaks after ``warmup_steps`` linear warm-up and follows a cosine to ``min_lr`` at
    ``max_steps``; ``batch_size`` is per rank and per micro-batch (the global batch is
    ``batch_size * grad_accum * world_size``); ``precision: auto`` is bf16 autocast.
    ``tokenizer``: a ``tokenizer.json`` to use (``null``: train one on up to
    ``tokenizer_corpus`` training reports).
    """

    seed: int = 0
    max_steps: int = count(1000, resumable=True)
    batch_size: int = count(16)
    grad_accum: int = count(1)
    lr: float = 3e-4
    min_lr: float = 1e-5
    warmup_steps: int = 50
    weight_decay: float = 0.05
    beta1: float = 0.9
    beta2: float = 0.95
    grad_clip: float = 1.0
    precision: PrecisionName = "auto"
    checkpoint_every: int = count(100, resumable=True)
    keep_last: int = count(3, resumable=True)
    log_every: int = count(1, resumable=True)
    tokenizer: str | None = None
    tokenizer_corpus: int = count(5000)


@dataclass
class FitConfig(RobustMMRConfig):
    """Everything ``mmr-train fit`` needs: the model's config plus the trainer's sections.

    A ``FitConfig`` is a :class:`RobustMMRConfig`, so ``RobustMMR(fit_config)`` works.
    """

    data: DataSettings = field(default_factory=DataSettings)
    views: ViewSettings = field(default_factory=ViewSettings)
    train: TrainSettings = field(default_factory=TrainSettings)
    policy: Literal["default", "none"] | dict[str, Any] | None = "default"

    def __post_init__(self) -> None:
        if self.policy is None:
            self.policy = "none"


#: Config keys that may change between a run and its resumption.
RESUMABLE_CHANGES = {f.name for section in (DataSettings, TrainSettings)
                     for f in dataclasses.fields(section) if f.metadata.get("resumable")}

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
Config = TypeVar("Config", bound=RobustMMRConfig)
Checked = TypeVar("Checked")


def preset(name: str) -> RobustMMRConfig:
    """The named preset: ``tiny`` (CPU, minutes), ``small``, ``base`` (ViT-B/16, 224 px)."""
    return _from_mapping(RobustMMRConfig, {"preset": name}, "tiny")


def from_dict(data: dict[str, Any], base: str = "tiny") -> RobustMMRConfig:
    """``preset(base)`` with the keys of ``data`` overriding it; unknown keys and wrong types
    raise :class:`~mmr_augment.errors.ConfigError`. ``data`` may name its own ``preset``."""
    return _from_mapping(RobustMMRConfig, data, base)


def fit_config_from_dict(data: dict[str, Any]) -> FitConfig:
    """The fit config of ``data`` (on top of its ``preset``, default tiny), validated."""
    return _from_mapping(FitConfig, data, "tiny")


def load_config(path: str | Path) -> RobustMMRConfig:
    """Read a model config YAML (``yaml.safe_load``) on top of its ``preset`` key (default
    tiny); errors name the file."""
    return _load(RobustMMRConfig, path)


def load_fit_config(path: str | Path) -> FitConfig:
    """Read a fit config YAML (``yaml.safe_load``), such as a run folder's ``config.yaml``, or
    a preset name (``tiny``, ``small``, ``base``) that is not a file; errors name the file.
    Relative ``data.path`` / ``data.root`` are resolved against the file's folder."""
    path = Path(path)
    if not path.is_file():
        if str(path) in PRESETS:
            return fit_config_from_dict({"preset": str(path)})
        raise ConfigError(f"config file not found: {path}; pass --config PATH.yaml "
                          f"(e.g. mmr_train/configs/tiny.yaml) or a preset name "
                          f"({', '.join(PRESETS)})")
    cfg = _load(FitConfig, path)
    for key in ("path", "root"):
        value = getattr(cfg.data, key)
        if value is not None and not Path(value).expanduser().is_absolute():
            setattr(cfg.data, key, str((path.parent / value).resolve()))
    return cfg


def save_config(cfg: RobustMMRConfig, path: str | Path) -> None:
    """Write the full config (a model or fit config) as YAML."""
    Path(path).write_text(yaml.safe_dump(cfg.to_dict(), sort_keys=False), encoding="utf-8")


def check_resumable(saved: dict[str, Any], current: dict[str, Any], path: Path) -> None:
    """Refuse to resume with a config that changes the run (beyond
    :data:`RESUMABLE_CHANGES`)."""
    def flat(d: dict[str, Any]) -> dict[str, Any]:
        return {f"{k}.{name}" if isinstance(v, dict) else k: inner
                for k, v in d.items()
                for name, inner in (v.items() if isinstance(v, dict) else [(k, v)])}

    a, b = flat(saved), flat(current)
    changed = sorted(k for k in a.keys() | b.keys()
                     if a.get(k) != b.get(k) and k.rsplit(".", 1)[-1] not in RESUMABLE_CHANGES)
    if changed:
        raise ConfigError(f"cannot resume from {path}: the config changed in {changed}; resume "
                          f"with the run's own config (only {sorted(RESUMABLE_CHANGES)} may "
                          f"change)")


def _load(cls: type[Config], path: str | Path) -> Config:
    data = read_config_file(path)
    try:
        return _from_mapping(cls, data or {}, "tiny")
    except ConfigError as e:
        raise ConfigError(f"{path}: {e}") from None


def _from_mapping(cls: type[Config], data: Any, base: str) -> Config:
    """``cls`` with its preset's values, then ``data``'s sections merged key by key."""
    if not isinstance(data, dict):
        raise ConfigError(f"a config must be a mapping, got {type(data).__name__}")
    data = dict(data)
    name = data.pop("preset", base)
    if name not in _PRESETS:
        raise ConfigError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}")
    start = dataclasses.asdict(cls())
    for key, values in [*_PRESETS[name].items(), *data.items()]:
        if isinstance(start.get(key), dict) and isinstance(values, dict | None):
            start[key] = {**start[key], **(values or {})}
        else:
            start[key] = values
    return validate_config(cls, start, "config")


def validate_config(cls: type[Checked], data: Any, where: str = "config") -> Checked:
    """A ``cls`` dataclass from ``data`` (any subset of its fields), strictly checked.

    The one validator of every ``mmr_train`` config: unknown keys (with a "did you mean"),
    values that do not match the type hints, and numbers outside a field's :func:`setting`
    bounds raise :class:`~mmr_augment.errors.ConfigError` naming the key path under ``where``;
    nested dataclass fields are checked the same way.

    Example:
        >>> validate_config(TrainSettings, {"lr": 1}).lr
        1.0
        >>> validate_config(TrainSettings, {"max_step": 5}, "train")
        Traceback (most recent call last):
        ...
        mmr_augment.errors.ConfigError: unknown key train.max_step (did you mean 'max_steps'?)...
    """
    if not isinstance(data, dict):
        raise ConfigError(f"{where} must be a mapping, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    kwargs = {}
    for key, value in data.items():
        if key not in fields:
            near = difflib.get_close_matches(str(key), list(fields), n=1)
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            raise ConfigError(f"unknown key {where}.{key}{hint}; allowed: {', '.join(fields)}")
        kwargs[key] = _check(hints[key], value, f"{where}.{key}", fields[key].metadata)
    return cls(**kwargs)


def _check(kind: Any, value: Any, where: str, rules: Any) -> Any:
    """``value`` validated against the type ``kind`` and the field's ``rules``."""
    if dataclasses.is_dataclass(kind):
        return validate_config(kind, value, where)
    if not _matches(kind, value):
        got = "" if typing.get_origin(kind) is Literal else f" ({type(value).__name__})"
        raise ConfigError(f"{where} must be {_describe(kind)}, got {value!r}{got}")
    if kind in (int, float):
        if not math.isfinite(value):
            raise ConfigError(f"{where} must be finite, got {value!r}")
        lo, hi = rules.get("min", 0), rules.get("max")
        if value < lo:
            raise ConfigError(f"{where} must be >= {lo}, got {value!r}")
        if hi is not None and value > hi:
            raise ConfigError(f"{where} must be in [{lo}, {hi:g}], got {value!r}")
    return float(value) if kind is float else value


def _matches(kind: Any, value: Any) -> bool:
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if kind is Any:
        return True
    if kind is type(None):
        return value is None
    if origin is Literal:
        return value in args
    if origin in (typing.Union, UnionType):
        return any(_matches(a, value) for a in args)
    if origin is list:
        return isinstance(value, list) and all(_matches(args[0], v) for v in value)
    if origin is dict:
        return isinstance(value, dict)
    if isinstance(value, bool) and kind is not bool:
        return False
    return isinstance(value, kind) or (kind is float and isinstance(value, int))


def _describe(kind: Any) -> str:
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin is Literal:
        return f"one of {args}"
    if origin in (typing.Union, UnionType):
        return " or ".join(_describe(a) for a in args)
    if origin is list:
        return f"a list of {_describe(args[0])}"
    if origin is dict:
        return "a mapping"
    return "null" if kind is type(None) else getattr(kind, "__name__", str(kind))
