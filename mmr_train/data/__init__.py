"""Real-data input for training: manifests, a torch Dataset over them, converters, VQA readers.

- :func:`load_manifest` reads and validates a CSV / JSONL manifest (format in
  :mod:`mmr_train.data.manifest`); :class:`ManifestDataset` serves its samples.
- :data:`CONVERTERS` builds manifests from public layouts: MIMIC-CXR-JPG, IU X-ray / Open-i,
  ROCO (``docs/data.md``), and pretraining manifests from VQA-RAD / SLAKE training questions.
- :func:`read_vqa_rad`, :func:`read_slake` (or :func:`read_vqa` by name) read the medical VQA
  benchmarks as :class:`VQARow` lists; :func:`vqa_rad_holdout` is VQA-RAD's validation part;
  :func:`load_vqa_image` reads their images; :func:`build_vqa_pretraining_manifest` turns
  training rows into an ``mmr-train fit`` manifest.

Example:
    >>> sorted(CONVERTERS)
    ['iu-xray', 'mimic-cxr-jpg', 'roco', 'slake', 'vqa-rad']
"""

from .converters import (
    CONVERTERS,
    build_iu_xray_manifest,
    build_mimic_cxr_manifest,
    build_roco_manifest,
    build_slake_manifest,
    build_vqa_rad_manifest,
)
from .dataset import ManifestDataset
from .manifest import METADATA_COLUMNS, Manifest, ManifestRow, load_manifest
from .slake import read_slake
from .vqa import build_vqa_pretraining_manifest, read_vqa
from .vqa_rad import read_vqa_rad, vqa_rad_holdout
from .vqa_rows import ANSWER_TYPES, VQARow, load_vqa_image

__all__ = [
    "ANSWER_TYPES", "CONVERTERS", "METADATA_COLUMNS", "Manifest", "ManifestDataset",
    "ManifestRow", "VQARow", "build_iu_xray_manifest", "build_mimic_cxr_manifest",
    "build_roco_manifest", "build_slake_manifest", "build_vqa_pretraining_manifest",
    "build_vqa_rad_manifest", "load_manifest", "load_vqa_image", "read_slake", "read_vqa",
    "read_vqa_rad", "vqa_rad_holdout",
]
