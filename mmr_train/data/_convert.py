"""Shared pieces of the dataset converters: the streaming CSV writer, report labeling,
hash-based splits and skip accounting.

Converters write image paths relative to the dataset root (POSIX separators), so a manifest
written into the root loads with the default root and one written elsewhere loads with
``load_manifest(out_csv, root=dataset_root)``.
"""

from __future__ import annotations

import csv
import hashlib
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mmr_augment.errors import ConfigError, InputError
from mmr_augment.text import OBSERVATIONS, label

_POLARITY = {"positive": "1", "negative": "0", "uncertain": "-1"}
_SHOWN = 5


def dataset_root(root: str | Path, converter: str) -> Path:
    """``root`` as a resolved folder, or an error naming the converter."""
    folder = Path(root)
    if not folder.is_dir():
        raise InputError(f"{converter}: dataset root {folder} is not a folder; pass the "
                         f"folder the dataset was downloaded into")
    return folder.resolve()


def find_first(folder: Path, names: Sequence[str], what: str) -> Path:
    """The first of ``names`` that exists in ``folder``, else an error listing them."""
    for name in names:
        if (folder / name).is_file():
            return folder / name
    raise InputError(f"{what} not found in {folder}: looked for {', '.join(names)}")


def report_labels(text: str) -> dict[str, str]:
    """CheXpert-style labels of ``text`` (:func:`mmr_augment.text.label`) as manifest cells.

    Example:
        >>> report_labels("No pleural effusion. Mild cardiomegaly.")["Cardiomegaly"]
        '1'
    """
    return {obs: _POLARITY[polarity] for obs, polarity in label(text).items()}


def hash_split(key: str, fractions: Sequence[float]) -> str:
    """A fixed ``train`` / ``val`` / ``test`` split from a hash of ``key`` (no RNG, stable
    across runs and machines); ``fractions`` are the three shares.

    Example:
        >>> hash_split("CXR1", (1.0, 0.0, 0.0))
        'train'
    """
    if len(fractions) != 3 or any(f < 0 for f in fractions) or abs(sum(fractions) - 1) > 1e-6:
        raise ConfigError(f"split fractions must be three non-negative shares (train, val, "
                          f"test) that sum to 1, got {tuple(fractions)}")
    u = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") / 2**64
    return "train" if u < fractions[0] else "val" if u < fractions[0] + fractions[1] else "test"


class ManifestWriter:
    """Stream rows into a manifest CSV with columns ``id, image, report, <14 observations>,
    domain, split, <extra>``; counts rows and skipped samples (one warning per reason)."""

    def __init__(self, out_csv: str | Path, extra: Sequence[str] = (), converter: str = "") -> None:
        self.path = Path(out_csv)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.columns = ["id", "image", "report", *OBSERVATIONS, "domain", "split", *extra]
        self.converter, self.count = converter, 0
        self.skipped: dict[str, list[str]] = {}

    def __enter__(self) -> ManifestWriter:
        self._file = open(self.path, "w", newline="", encoding="utf-8")
        self._writer = csv.DictWriter(self._file, fieldnames=self.columns, restval="")
        self._writer.writeheader()
        return self

    def write(self, row: dict[str, Any]) -> None:
        """Write one row (missing label / extra cells are left empty)."""
        self._writer.writerow(row)
        self.count += 1

    def skip(self, reason: str, sample: str) -> None:
        """Remember that ``sample`` was left out because of ``reason``."""
        self.skipped.setdefault(reason, []).append(sample)

    def __exit__(self, *exc: object) -> None:
        self._file.close()
        if exc[0] is not None:
            return
        for reason, samples in self.skipped.items():
            shown = ", ".join(samples[:_SHOWN]) + (" ..." if len(samples) > _SHOWN else "")
            warnings.warn(f"{self.converter}: skipped {len(samples)} sample(s), {reason}: "
                          f"{shown}", stacklevel=3)
        if self.count == 0:
            self.path.unlink()
            raise InputError(f"{self.converter}: no sample found, nothing written to "
                             f"{self.path}; check the dataset root and layout (docs/data.md)")
