"""Apply any op to one dict item (``{"image": (C, H, W) tensor, "report": str, ...}``).

Shared by the MONAI adapter and the torch ``Dataset`` wrapper. Which keys an op touches follows
from the values' types: tensors go to image ops, strings to text ops, and a
``MultiModalPolicy`` takes one of each.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import torch

from ..core import Perturbation
from ..errors import ConfigError, InputTypeError


def check_op(op: Any, owner: str) -> Perturbation:
    """Raise ``ConfigError`` unless ``op`` is an mmr_augment perturbation."""
    if not isinstance(op, Perturbation):
        raise ConfigError(f"{owner}: op must be an mmr_augment Perturbation (an image or text op, "
                          f"a composition, a style or a MultiModalPolicy), got {op!r}")
    return op


def _split_keys(item: Mapping[str, Any], keys: Sequence[str], owner: str
                ) -> tuple[list[str], list[str]]:
    images, reports = [], []
    for key in keys:
        value = item[key]
        if isinstance(value, torch.Tensor):
            images.append(key)
        elif isinstance(value, str):
            reports.append(key)
        else:
            raise InputTypeError(f"{owner}: item[{key!r}] is {type(value).__name__}; expected an "
                                 f"image tensor (C, H, W) or a report str")
    return images, reports


def _plain(x: torch.Tensor) -> torch.Tensor:
    """A MONAI ``MetaTensor`` as a plain tensor (ops run on plain tensors; meta is re-attached)."""
    return x.as_tensor() if hasattr(x, "as_tensor") else x


def _like(y: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    if hasattr(x, "as_tensor"):
        return type(x)(y, meta=dict(x.meta), applied_operations=list(x.applied_operations))
    return y


def perturb_item(op: Perturbation, item: Mapping[str, Any], keys: Sequence[str],
                 generator: torch.Generator, meta_key: str = "mmr",
                 owner: str = "adapter") -> dict[str, Any]:
    """A copy of ``item`` with ``op`` applied to ``keys``, every draw from ``generator``.

    A ``MultiModalPolicy`` needs one image key and one report key; it also stores, under
    ``meta_key``, what a trainer needs per sample (all collatable by ``default_collate``):
    ``clean_image``, ``clean_report``, ``mode``, ``image_present``, ``text_present``,
    ``severity``, ``damage``, ``occlusion`` and ``text_edits`` (a JSON string).
    """
    out = dict(item)
    missing = [k for k in keys if k not in item]
    if missing:
        raise InputTypeError(f"{owner}: item has no key(s) {missing}; it has {sorted(item)}")
    image_keys, report_keys = _split_keys(item, keys, owner)
    if op.modality == "multimodal":
        if len(image_keys) != 1 or len(report_keys) != 1:
            raise ConfigError(f"{owner}: a MultiModalPolicy needs exactly one image key and one "
                              f"report key, got images {image_keys} and reports {report_keys}")
        image, report = item[image_keys[0]], item[report_keys[0]]
        batch = op(_plain(image)[None], [report], generator=generator)
        out[image_keys[0]] = _like(batch.images[0], image)
        out[report_keys[0]] = batch.texts[0]
        out[meta_key] = {
            "clean_image": _plain(image), "clean_report": report, "mode": batch.mode[0],
            "image_present": batch.image_present[0], "text_present": batch.text_present[0],
            "severity": batch.severity[0], "damage": batch.damage[0],
            "occlusion": batch.occlusion[0], "text_edits": json.dumps(batch.text_edits[0])}
        return out
    wrong = report_keys if op.modality == "image" else image_keys if op.modality == "text" else []
    if wrong:
        raise ConfigError(f"{owner}: {type(op).__name__} is a {op.modality} op but keys {wrong} "
                          f"hold the other modality; pass keys={image_keys or report_keys}")
    for key in image_keys:
        out[key] = _like(op(_plain(item[key])[None], generator=generator)[0], item[key])
    for key in report_keys:
        out[key] = op([item[key]], generator=generator).texts[0]
    return out
