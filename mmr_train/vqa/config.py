"""``VQAConfig``: the fine-tuning settings, strict YAML (unknown keys and wrong types are errors).

Checked by :func:`mmr_train.config.validate_config`, the validator of every ``mmr_train`` config.

Example:
    >>> cfg = vqa_config_from_dict({"epochs": 3, "lr": 1e-4})
    >>> cfg.epochs, cfg.batch_size, cfg.head_lr_multiplier
    (3, 32, 10.0)
    >>> vqa_config_from_dict({"epoch": 3})
    Traceback (most recent call last):
    ...
    mmr_augment.errors.ConfigError: unknown key vqa_config.epoch (did you mean 'epochs'?)...
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from mmr_augment.config import read_config_file
from mmr_augment.errors import ConfigError

from ..config import count, ratio, validate_config


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

    epochs: int = count(20)
    batch_size: int = count(32)
    lr: float = 1e-4
    head_lr_multiplier: float = 10.0
    weight_decay: float = 0.05
    warmup_fraction: float = ratio(0.1)
    min_lr_fraction: float = ratio(0.01)
    grad_clip: float = 1.0
    preset: str = "tiny"
    image_size: int | None = None
    augment: dict[str, Any] | None = None
    seed: int = 0
    device: Literal["cpu", "cuda"] = "cpu"
    num_threads: int = 0
    eval_batch_size: int = count(256)

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (YAML friendly); :func:`vqa_config_from_dict` reads it back."""
        return dataclasses.asdict(self)


def vqa_config_from_dict(data: dict[str, Any] | None) -> VQAConfig:
    """Validate ``data`` (any subset of :class:`VQAConfig`'s fields) into a config."""
    cfg = validate_config(VQAConfig, {} if data is None else data, "vqa_config")
    if cfg.image_size is not None and cfg.image_size < 8:
        raise ConfigError(f"vqa_config.image_size must be null or an int >= 8, "
                          f"got {cfg.image_size!r}")
    return cfg


def load_vqa_config(path: str | Path | None) -> VQAConfig:
    """Read a VQA config YAML (``None``: the defaults); errors name the file."""
    if path is None:
        return VQAConfig()
    try:
        return vqa_config_from_dict(read_config_file(path))
    except ConfigError as e:
        raise ConfigError(f"{path}: {e}") from None
