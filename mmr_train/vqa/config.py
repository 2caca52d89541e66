"""``VQAConfig``: the fine-tuning settings, strict YAML (unknown keys and wrong types are errors).

Example:
    >>> cfg = vqa_config_from_dict({"epochs": 3, "lr": 1e-4})
    >>> cfg.epochs, cfg.batch_size, cfg.head_lr_multiplier
    (3, 32, 10.0)
    >>> vqa_config_from_dict({"epoch": 3})
    Traceback (most recent call last):
    ...
    mmr_augment.errors.ConfigError: unknown VQA config key 'epoch' (did you mean 'epochs'?)...
"""

from __future__ import annotations

import dataclasses
import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mmr_augment.config import read_config_file
from mmr_augment.errors import ConfigError


@dataclass
class VQAConfig:
    """Fine-tuning settings.

    Attributes:
        epochs: passes over the training questions (the schedule ends there).
        batch_size: questions per optimizer step.
        lr: peak learning rate of the backbone (AdamW).
        head_lr_multiplier: the answer head's learning rate is ``lr`` times this.
        weight_decay: AdamW weight decay (biases, norms, position tables: none).
        warmup_fraction: share of all steps with a linear warm-up, then cosine to
            ``min_lr_fraction * lr``.
        min_lr_fraction: final learning rate as a share of the peak.
        grad_clip: gradient-norm clip (0: none).
        preset: model preset of a from-scratch run (ignored with a pretrained checkpoint).
        image_size: image size of a from-scratch run (``null``: the preset's); a pretrained
            model keeps its own, setting it then is an error.
        augment: an ``mmr_augment`` image op config applied to training images (``null``:
            none, the default).
        seed: seeds initialisation, data order and augmentation.
        device: ``cpu`` or ``cuda``.
        num_threads: ``torch.set_num_threads`` (0: leave as is).
        eval_batch_size: questions per forward pass when scoring.
    """

    epochs: int = 20
    batch_size: int = 32
    lr: float = 1e-4
    head_lr_multiplier: float = 10.0
    weight_decay: float = 0.05
    warmup_fraction: float = 0.1
    min_lr_fraction: float = 0.01
    grad_clip: float = 1.0
    preset: str = "tiny"
    image_size: Any = None
    augment: Any = None
    seed: int = 0
    device: str = "cpu"
    num_threads: int = 0
    eval_batch_size: int = 256

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (YAML friendly); :func:`vqa_config_from_dict` reads it back."""
        return dataclasses.asdict(self)


_POSITIVE = {"epochs", "batch_size", "eval_batch_size"}
_FRACTIONS = {"warmup_fraction", "min_lr_fraction"}
_FREE = {"image_size", "augment"}


def vqa_config_from_dict(data: dict[str, Any] | None) -> VQAConfig:
    """Validate ``data`` (any subset of :class:`VQAConfig`'s fields) into a config."""
    data = {} if data is None else data
    if not isinstance(data, dict):
        raise ConfigError(f"a VQA config must be a mapping, got {type(data).__name__}")
    defaults, names = VQAConfig(), [f.name for f in dataclasses.fields(VQAConfig)]
    values = {}
    for key, value in data.items():
        if key not in names:
            near = difflib.get_close_matches(str(key), names, n=1)
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            raise ConfigError(f"unknown VQA config key {key!r}{hint}; allowed: "
                              f"{', '.join(names)}")
        if key not in _FREE:
            kind = type(getattr(defaults, key))
            ok = isinstance(value, kind) or (kind is float and isinstance(value, int))
            if not ok or isinstance(value, bool):
                raise ConfigError(f"VQA config {key} must be {kind.__name__}, got {value!r}")
            if kind in (int, float) and (value < 0 or (key in _POSITIVE and value < 1)
                                         or (key in _FRACTIONS and value > 1)):
                raise ConfigError(f"VQA config {key} is out of range: {value!r}")
            value = float(value) if kind is float else value
        values[key] = value
    cfg = VQAConfig(**values)
    if cfg.image_size is not None and (isinstance(cfg.image_size, bool)
                                       or not isinstance(cfg.image_size, int)
                                       or cfg.image_size < 8):
        raise ConfigError(f"VQA config image_size must be null or an int >= 8, "
                          f"got {cfg.image_size!r}")
    if cfg.augment is not None and not isinstance(cfg.augment, dict):
        raise ConfigError("VQA config augment must be null or an mmr_augment op config "
                          "mapping (e.g. {type: GaussianNoise, std: 0.05})")
    if cfg.device not in ("cpu", "cuda"):
        raise ConfigError(f"VQA config device must be 'cpu' or 'cuda', got {cfg.device!r}")
    return cfg


def load_vqa_config(path: str | Path | None) -> VQAConfig:
    """Read a VQA config YAML (``None``: the defaults); errors name the file."""
    if path is None:
        return VQAConfig()
    try:
        return vqa_config_from_dict(read_config_file(path))
    except ConfigError as e:
        raise ConfigError(f"{path}: {e}") from None
