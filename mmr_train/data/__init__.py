"""Real-data input for training: manifests, a torch Dataset over them, and converters.

- :func:`load_manifest` reads and validates a CSV / JSONL manifest (format in
  :mod:`mmr_train.data.manifest`); :class:`ManifestDataset` serves its samples.
- :data:`CONVERTERS` builds manifests from public layouts: MIMIC-CXR-JPG, IU X-ray / Open-i,
  ROCO (``docs/data.md``).

Example:
    >>> sorted(CONVERTERS)
    ['iu-xray', 'mimic-cxr-jpg', 'roco']
"""

from .converters import (
    CONVERTERS,
    build_iu_xray_manifest,
    build_mimic_cxr_manifest,
    build_roco_manifest,
)
from .dataset import ManifestDataset
from .manifest import METADATA_COLUMNS, Manifest, ManifestRow, load_manifest

__all__ = [
    "CONVERTERS", "METADATA_COLUMNS", "Manifest", "ManifestDataset", "ManifestRow",
    "build_iu_xray_manifest", "build_mimic_cxr_manifest", "build_roco_manifest", "load_manifest",
]
