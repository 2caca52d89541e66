"""Medical VQA by dataset name, and a pretraining manifest built from VQA training rows.

:func:`read_vqa` picks the reader (:func:`~mmr_train.data.read_vqa_rad`,
:func:`~mmr_train.data.read_slake`). :func:`build_vqa_pretraining_manifest` turns the images of
VQA rows into an ``mmr-train fit`` manifest whose report is the image's questions and answers;
``CONVERTERS["vqa-rad"]`` / ``CONVERTERS["slake"]`` do it from a dataset root with the training
split only.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PIL import Image

from mmr_augment.errors import ConfigError, InputError
from mmr_augment.io import write_png

from ._convert import ManifestWriter
from .slake import read_slake
from .vqa_rad import read_vqa_rad
from .vqa_rows import VQARow, load_vqa_image

_READERS = {"vqa_rad": read_vqa_rad, "slake": read_slake}


def read_vqa(dataset: str, root: str | Path, split: str) -> list[VQARow]:
    """The rows of ``split`` of ``dataset`` (``"vqa_rad"`` or ``"slake"``) under ``root``.

    Example:
        >>> read_vqa("pathvqa", "/data", "train")
        Traceback (most recent call last):
        ...
        mmr_augment.errors.ConfigError: unknown VQA dataset 'pathvqa'; use one of vqa_rad, slake
    """
    if dataset not in _READERS:
        raise ConfigError(f"unknown VQA dataset {dataset!r}; use one of {', '.join(_READERS)}")
    return _READERS[dataset](root, split)


def _sentence(row: VQARow) -> str:
    question = row.question if row.question.endswith("?") else f"{row.question}?"
    answer = row.answer[:1].upper() + row.answer[1:]
    return f"{question} {answer}{'' if answer.endswith('.') else '.'}"


def build_vqa_pretraining_manifest(rows: Sequence[VQARow], out_dir: str | Path, *,
                                   size: int | None = None,
                                   filename: str = "manifest.csv") -> Path:
    """Write an ``mmr-train fit`` manifest with one row per image of ``rows``.

    **Pass training rows only.** The report of an image is built from exactly the rows given
    ("Question? Answer." per row, in order), so test (or validation) questions passed here leak
    their answers into pretraining. Rows from a ``test`` split are refused; for VQA-RAD pass
    the fit part of :func:`~mmr_train.data.vqa_rad_holdout` to keep model selection clean.

    Images become 8-bit grey PNGs under ``out_dir/images/<dataset>/`` with the colour rule of
    :mod:`mmr_train.data.vqa_rows` (Pillow ``"L"`` luma), at their own size or resized to
    ``size x size`` exactly as :func:`~mmr_train.data.load_vqa_image` does. Manifest columns:
    ``id`` (``vqa_rad/synpic100``), ``image`` (relative to ``out_dir``, the manifest's root),
    ``report``, empty CheXpert labels, ``domain`` (the dataset) and ``split`` (``train``).

    Returns:
        The manifest path, ``out_dir / filename``, loadable by
        :func:`~mmr_train.data.load_manifest` without a ``root``.

    Example:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     Image.new("RGB", (8, 8), (0, 255, 0)).save(f"{tmp}/a.jpg")
        ...     row = VQARow(Path(f"{tmp}/a.jpg"), "Is this a CT", "yes", "closed", "abd", "ct",
        ...                  "modality", "1", "a.jpg", "vqa_rad", "train")
        ...     path = build_vqa_pretraining_manifest([row], f"{tmp}/out")
        ...     from mmr_train.data import load_manifest
        ...     m = load_manifest(path)
        ...     pixel = Image.open(m[0].image).getpixel((0, 0))  # green -> .587 * 255
        >>> m[0].id, m[0].report, m.domains, pixel
        ('vqa_rad/a', 'Is this a CT? Yes.', {'vqa_rad': 0}, 150)
    """
    path = Path(out_dir) / filename
    _write_manifest(rows, path, size)
    return path


def _write_manifest(rows: Sequence[VQARow], path: Path, size: int | None) -> int:
    """The work of :func:`build_vqa_pretraining_manifest`; returns the rows written."""
    if not rows:
        raise InputError("build_vqa_pretraining_manifest: no rows given; pass the training rows "
                         "of read_vqa_rad / read_slake")
    tests = sorted({row.qid for row in rows if row.split == "test"})
    if tests:
        raise InputError(f"build_vqa_pretraining_manifest: got {len(tests)} test question(s) "
                         f"(qid {', '.join(tests[:5])}); pretraining text must come from "
                         f"training questions only")
    if size is not None and size < 1:
        raise ConfigError(f"build_vqa_pretraining_manifest: size must be a positive int or "
                          f"None, got {size}")
    images: dict[tuple[str, str], list[VQARow]] = {}
    for row in rows:
        images.setdefault((row.dataset, row.image_id), []).append(row)
    base = path.parent
    with ManifestWriter(path, (), "vqa") as out:
        for (dataset, image_id), group in images.items():
            relative = f"images/{dataset}/{Path(image_id).stem}.png"
            (base / relative).parent.mkdir(parents=True, exist_ok=True)
            if size is None:
                try:
                    with Image.open(group[0].image) as opened:
                        opened.convert("L").save(base / relative, format="PNG")
                except OSError as err:  # UnidentifiedImageError and FileNotFoundError too
                    raise InputError(f"VQA image {group[0].image} cannot be read ({err}); the "
                                     f"file is missing, corrupt or not an image") from err
            else:
                write_png(base / relative, load_vqa_image(group[0].image, size))
            out.write({"id": f"{dataset}/{Path(image_id).stem}", "image": relative,
                       "report": " ".join(_sentence(row) for row in group),
                       "domain": dataset, "split": "train"})
    return out.count


def build_vqa_rad_manifest(root: str | Path, out_csv: str | Path, *,
                           size: int | None = None, layout: str = "split") -> int:
    """VQA-RAD training split -> pretraining manifest at ``out_csv`` (images beside it, not
    in ``root``: :func:`build_vqa_pretraining_manifest`). Returns the rows written."""
    return _write_manifest(read_vqa_rad(root, "train", layout=layout), Path(out_csv), size)


def build_slake_manifest(root: str | Path, out_csv: str | Path, *,
                         size: int | None = None) -> int:
    """SLAKE English training split -> pretraining manifest at ``out_csv`` (images beside it:
    :func:`build_vqa_pretraining_manifest`). Returns the rows written."""
    return _write_manifest(read_slake(root, "train"), Path(out_csv), size)

