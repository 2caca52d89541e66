"""Manifest converters for public dataset layouts, by name (for the CLI).

Each converter is ``build(root, out_csv, **options) -> int`` (rows written) and writes the CSV
format of :mod:`mmr_train.data.manifest` with image paths relative to ``root``, except
``vqa-rad`` and ``slake``: they write grey PNGs beside ``out_csv`` and paths relative to its
folder, with reports built from the training questions only (:mod:`mmr_train.data.vqa`).
Layouts and commands: ``docs/data.md``.

Example:
    >>> CONVERTERS["iu-xray"] is build_iu_xray_manifest
    True
"""

from __future__ import annotations

from collections.abc import Callable

from .iu_xray import build_iu_xray_manifest
from .mimic import build_mimic_cxr_manifest
from .roco import build_roco_manifest
from .vqa import build_slake_manifest, build_vqa_rad_manifest

#: Converter name -> function; names are the suggested ``mmr-train manifest NAME`` words.
CONVERTERS: dict[str, Callable[..., int]] = {
    "mimic-cxr-jpg": build_mimic_cxr_manifest,
    "iu-xray": build_iu_xray_manifest,
    "roco": build_roco_manifest,
    "vqa-rad": build_vqa_rad_manifest,
    "slake": build_slake_manifest,
}

__all__ = ["CONVERTERS", "build_iu_xray_manifest", "build_mimic_cxr_manifest",
           "build_roco_manifest", "build_slake_manifest", "build_vqa_rad_manifest"]
