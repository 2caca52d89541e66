"""The ``mmr-train fit`` config: the model config plus ``data``, ``views``, ``policy``, ``train``.

One YAML file holds both halves. The keys of :class:`~mmr_train.config.RobustMMRConfig`
(``preset``, ``method``, ``model``, ``masking``, ``loss``) go to :func:`mmr_train.config.from_dict`;
the trainer's sections are read here, strictly (unknown keys and wrong types are errors):

- ``data``: ``kind`` (``synthetic`` | ``manifest`` | any kind registered in
  :mod:`mmr_train.sources`), ``n``, ``size`` (``null``: the model's ``image_size``), ``seed``,
  ``domains`` (``[scanner_style, report_style]`` pairs of preset names or ``null``),
  ``second_view`` (``auto`` | ``dataset`` | ``style`` | ``policy``), ``path`` (manifest),
  ``num_workers``.
- ``views``: the style family of generated second views: ``scanner`` / ``report`` preset
  names (``all``: every shipped preset; ``[]``: use the policy's own ops instead).
- ``policy``: ``default``, ``none`` or a ``MultiModalPolicy`` config dict (``type`` optional).
  ``default`` is the Robust-MMR policy for ``method: robust_mmr`` and ``none`` (no
  perturbation) for ``method: baseline``.
- ``train``: optimisation and bookkeeping (see :class:`TrainSettings`).

Example:
    >>> cfg = fit_config_from_dict({"preset": "tiny", "train": {"batch_size": 4}})
    >>> cfg.train.batch_size, cfg.model.method, cfg.data.kind
    (4, 'robust_mmr', 'synthetic')
    >>> fit_config_from_dict({"train": {"bach_size": 4}})
    Traceback (most recent call last):
    ...
    mmr_augment.errors.ConfigError: unknown key train.bach_size (did you mean 'batch_size'?)...
"""

from __future__ import annotations

import dataclasses
import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mmr_augment.config import read_config_file
from mmr_augment.errors import ConfigError

from .config import RobustMMRConfig, from_dict

SECOND_VIEWS = ("auto", "dataset", "style", "policy")
PRECISIONS = ("auto", "fp32", "bf16", "fp16")


@dataclass
class DataSettings:
    """Which studies to train on (see the module docstring)."""

    kind: str = "synthetic"
    n: int = 256
    size: Any = None
    seed: int = 0
    domains: Any = field(default_factory=lambda: [["cr", None], ["dr_flat_panel", None]])
    second_view: str = "auto"
    path: Any = None
    num_workers: int = 0


@dataclass
class ViewSettings:
    """Style family used to render a generated second view of each study."""

    scanner: Any = "all"
    report: Any = "all"


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
    max_steps: int = 1000
    batch_size: int = 16
    grad_accum: int = 1
    lr: float = 3e-4
    min_lr: float = 1e-5
    warmup_steps: int = 50
    weight_decay: float = 0.05
    beta1: float = 0.9
    beta2: float = 0.95
    grad_clip: float = 1.0
    precision: str = "auto"
    checkpoint_every: int = 100
    keep_last: int = 3
    log_every: int = 1
    tokenizer: Any = None
    tokenizer_corpus: int = 5000


@dataclass
class FitConfig:
    """Everything ``mmr-train fit`` needs."""

    model: RobustMMRConfig
    data: DataSettings = field(default_factory=DataSettings)
    views: ViewSettings = field(default_factory=ViewSettings)
    policy: Any = "default"
    train: TrainSettings = field(default_factory=TrainSettings)

    def to_dict(self) -> dict[str, Any]:
        """Plain nested dict (YAML and checkpoint friendly); :func:`fit_config_from_dict`
        reads it back."""
        out = self.model.to_dict()
        out.update({k: dataclasses.asdict(getattr(self, k)) for k in ("data", "views", "train")})
        out["policy"] = self.policy
        return out


#: Config keys that may change between a run and its resumption.
RESUMABLE_CHANGES = {"max_steps", "checkpoint_every", "keep_last", "log_every", "num_workers"}
_SECTIONS = {"data": DataSettings, "views": ViewSettings, "train": TrainSettings}
_POSITIVE = {"n", "max_steps", "batch_size", "grad_accum", "checkpoint_every", "keep_last",
             "log_every", "tokenizer_corpus"}
_FREE = {"size", "domains", "path", "scanner", "report", "tokenizer"}  # checked where used


def fit_config_from_dict(data: dict[str, Any]) -> FitConfig:
    """Split ``data`` into the model config and the trainer's sections and validate both."""
    if not isinstance(data, dict):
        raise ConfigError(f"a fit config must be a mapping, got {type(data).__name__}")
    data = dict(data)
    sections = {k: _section(k, data.pop(k, None) or {}) for k in _SECTIONS}
    policy = data.pop("policy", "default")
    if not (policy in ("default", "none", None) or isinstance(policy, dict)):
        raise ConfigError(f"policy must be 'default', 'none' or a MultiModalPolicy config "
                          f"mapping, got {policy!r}")
    cfg = FitConfig(model=from_dict(data), policy="none" if policy is None else policy,
                    **sections)
    if cfg.data.second_view not in SECOND_VIEWS:
        raise ConfigError(f"data.second_view must be one of {SECOND_VIEWS}, "
                          f"got {cfg.data.second_view!r}")
    if cfg.train.precision not in PRECISIONS:
        raise ConfigError(f"train.precision must be one of {PRECISIONS}, "
                          f"got {cfg.train.precision!r}")
    return cfg


def load_fit_config(path: str | Path) -> FitConfig:
    """Read a fit config YAML (``yaml.safe_load``); errors name the file."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}; pass --config PATH.yaml "
                          f"(e.g. mmr_train/configs/tiny.yaml)")
    data = read_config_file(path)
    try:
        return fit_config_from_dict(data or {})
    except ConfigError as e:
        raise ConfigError(f"{path}: {e}") from None


def _section(name: str, values: Any) -> Any:
    cls = _SECTIONS[name]
    if not isinstance(values, dict):
        raise ConfigError(f"{name} must be a mapping, got {type(values).__name__}")
    defaults = cls()
    names = [f.name for f in dataclasses.fields(cls)]
    for key, value in values.items():
        if key not in names:
            near = difflib.get_close_matches(str(key), names, n=1)
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            raise ConfigError(f"unknown key {name}.{key}{hint}; allowed: {', '.join(names)}")
        _check_value(f"{name}.{key}", getattr(defaults, key), value)
    merged = {k: (float(v) if isinstance(getattr(defaults, k), float) else v)
              for k, v in values.items()}
    return cls(**merged)


def _check_value(where: str, default: Any, value: Any) -> None:
    if where.rsplit(".", 1)[-1] not in _FREE:
        kind = type(default)
        ok = isinstance(value, kind) or (kind is float and isinstance(value, int))
        if not ok or isinstance(value, bool):
            raise ConfigError(f"{where} must be {kind.__name__}, got {value!r}")
        if kind in (int, float) and value < 0:
            raise ConfigError(f"{where} must be >= 0, got {value!r}")
        if where.rsplit(".", 1)[-1] in _POSITIVE and value < 1:
            raise ConfigError(f"{where} must be >= 1, got {value!r}")


def check_resumable(saved: dict[str, Any], current: dict[str, Any], path: Path) -> None:
    """Refuse to resume with a config that changes the run (beyond
    :data:`RESUMABLE_CHANGES`)."""
    def flat(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in d.items():
            out.update(flat(v, f"{prefix}{k}.") if isinstance(v, dict) and prefix.count(".") < 1
                       else {f"{prefix}{k}": v})
        return out

    a, b = flat(saved), flat(current)
    changed = sorted(k for k in a.keys() | b.keys()
                     if a.get(k) != b.get(k) and k.rsplit(".", 1)[-1] not in RESUMABLE_CHANGES)
    if changed:
        raise ConfigError(f"cannot resume from {path}: the config changed in {changed}; resume "
                          f"with the run's own config (only {sorted(RESUMABLE_CHANGES)} may "
                          f"change)")
