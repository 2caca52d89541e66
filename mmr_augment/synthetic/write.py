"""Write a synthetic paired dataset to disk: one image per study plus ``manifest.csv``.

``manifest.csv`` (UTF-8, comma-separated, header row, standard CSV quoting: reports contain
newlines) has one row per study with the columns:

- ``id``: study index (int); the study is a pure function of the seed and this index.
- ``image``: image path relative to the manifest's folder (``images/000042.png`` or ``.dcm``).
- ``report``: the report text (``FINDINGS: ...`` blank line ``IMPRESSION: ...``).
- ``domain``: domain index (int, 0 with a single domain).
- ``split``: ``train`` / ``val`` / ``test`` (about 80 / 10 / 10, fixed per study).
- one column per observation of :data:`OBSERVATIONS` ("No Finding", "Cardiomegaly", ...): 0/1.
- ``effusion_side``, ``pneumothorax_side``, ``lesion_side``, ``consolidation_side``: the
  patient's side, ``right`` / ``left`` / ``bilateral`` (effusion only), empty when absent.
- ``effusion_size``, ``pneumothorax_size``: ``small`` / ``moderate`` / ``large`` or empty.
- ``lesion_cm`` (diameter, 0 when absent), ``lesion_lobe``, ``consolidation_lobe`` (e.g.
  ``right upper lobe``), ``ctr`` (cardiothoracic ratio), ``devices`` (``;``-joined names).
- ``pixel_spacing_cm``: nominal pixel spacing the sizes refer to.

PNG images are 16-bit grayscale (value = round(65535 x intensity)); DICOM images are 16-bit
MONOCHROME2 DX files written by :func:`mmr_augment.io.write_dicom` with the pixel spacing set.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from ..errors import ConfigError, InputError
from ._draws import SPLIT, draws, study_keys
from .dataset import SyntheticBatch, render_studies
from .domains import Domain
from .findings import OBSERVATIONS, pixel_spacing_cm

_SIDE_COLUMNS = {"effusion_side": "Pleural Effusion", "pneumothorax_side": "Pneumothorax",
                 "lesion_side": "Lung Lesion", "consolidation_side": "Consolidation"}
_DETAIL_COLUMNS = ("effusion_size", "pneumothorax_size", "lesion_cm", "lesion_lobe",
                   "consolidation_lobe", "ctr", "devices")
_CHUNK = 256


def _splits(seed: int, indices: torch.Tensor) -> list[str]:
    u = draws(study_keys(seed, indices), 1, SPLIT)[:, 0].tolist()
    return ["train" if x < 0.8 else "val" if x < 0.9 else "test" for x in u]


def _save(path: Path, image: torch.Tensor, fmt: str, spacing_mm: float, seed: int) -> None:
    if fmt == "png":
        pixels = (image[0].double() * 65535).round().numpy().astype(np.uint16)
        Image.fromarray(pixels).save(path)
    else:
        from ..io import write_dicom

        write_dicom(path, image, {"pixel_spacing": (spacing_mm, spacing_mm)}, bits_stored=16,
                    seed=seed)


def _rows(batch: SyntheticBatch, domain: int, splits: list[str], names: list[str],
          spacing_cm: float) -> list[dict[str, Any]]:
    rows = []
    for r, study in enumerate(batch.study_ids.tolist()):
        side, detail = batch.laterality(r), batch.details(r)
        row = {"id": study, "image": names[r], "report": batch.reports[r], "domain": domain,
               "split": splits[r]}
        row.update({o: int(v) for o, v in zip(OBSERVATIONS, batch.labels[r].tolist(),
                                              strict=True)})
        row.update({col: side[obs] for col, obs in _SIDE_COLUMNS.items()})
        row.update({col: detail[col] for col in _DETAIL_COLUMNS})
        row["pixel_spacing_cm"] = round(spacing_cm, 6)
        rows.append(row)
    return rows


def write(out_dir: str | Path, n: int, size: int = 128, scanner_style: Any = None,
          report_style: Any = None, seed: int = 0, format: str = "png", *,
          domains: list[Any] | None = None) -> Path:
    """Render ``n`` studies and write their images and ``manifest.csv`` into ``out_dir``.

    Args:
        out_dir: output folder (created; existing files of the same names are overwritten).
        n: number of studies.
        size: image side in pixels.
        scanner_style, report_style: the single domain's styles (None, an op, a preset name or
            a YAML path).
        seed: dataset seed.
        format: ``"png"`` or ``"dicom"``.
        domains: instead of the two styles, several domains; study ``i`` goes to domain
            ``i % len(domains)``.

    Returns:
        The manifest path.

    Example:
        >>> import csv, tempfile
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     rows = list(csv.DictReader(open(write(tmp, 3, 64))))
        >>> [r["image"] for r in rows], rows[0]["split"] in ("train", "val", "test")
        (['images/000000.png', 'images/000001.png', 'images/000002.png'], True)
    """
    if format not in ("png", "dicom"):
        raise InputError(f"format must be 'png' or 'dicom', got {format!r}")
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise InputError(f"n must be a positive int, got {n!r}")
    if domains is not None and (scanner_style is not None or report_style is not None):
        raise ConfigError("give either domains or scanner_style / report_style, not both")
    resolved = [Domain.of(d).resolved() for d in (domains or [(scanner_style, report_style)])]
    out = Path(out_dir)
    (out / "images").mkdir(parents=True, exist_ok=True)
    spacing_cm = pixel_spacing_cm(size)
    rows: list[dict[str, Any]] = []
    for start in range(0, n, _CHUNK):
        chunk = torch.arange(start, min(start + _CHUNK, n))
        for d, domain in enumerate(resolved):
            indices = chunk[chunk % len(resolved) == d]
            if not len(indices):
                continue
            batch = render_studies(indices, size, seed, domain)
            names = [f"images/{i:06d}.{'png' if format == 'png' else 'dcm'}"
                     for i in indices.tolist()]
            for image, name, study in zip(batch.images, names, indices.tolist(), strict=True):
                _save(out / name, image, format, spacing_cm * 10, seed * 1_000_003 + study)
            rows += _rows(batch, d, _splits(seed, indices), names, spacing_cm)
    rows.sort(key=lambda r: r["id"])
    manifest = out / "manifest.csv"
    with open(manifest, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return manifest
