"""ROCO (Radiology Objects in COntext) -> manifest.

Layout (the ``roco-dataset`` repository after ``scripts/fetch.py``)::

    ROOT/data/{train,validation,test}/{radiology,non-radiology}/
        captions.txt      "ROCO_00020<TAB> Axial computed tomography ..." per line
        dlinks.txt        "ROCO_00020<TAB>wget ... PMC3498864.tar.gz ...<TAB>fig2.jpg"
        images/           ROCO_00020.jpg, or PMC3498864_fig2.jpg as fetch.py names them

``ROOT`` may also be the ``data`` folder itself. An image is looked up as ``images/<id>.jpg``
(``.jpeg`` / ``.png``) first, then under the name ``dlinks.txt`` gives it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from mmr_augment.errors import InputError

from ._convert import ManifestWriter, dataset_root, report_labels
from ._fields import split_name

_SPLITS = ("train", "validation", "test")
_SUFFIXES = (".jpg", ".jpeg", ".png")


def _lines(folder: Path, stem: str) -> list[list[str]]:
    """Tab-separated lines of ``stem.txt`` (or the first ``stem*.txt``); [] when absent."""
    files = [folder / f"{stem}.txt"] if (folder / f"{stem}.txt").is_file() else sorted(
        folder.glob(f"{stem}*.txt"))
    if not files:
        return []
    with open(files[0], encoding="utf-8", errors="replace") as stream:
        return [line.rstrip("\r\n").split("\t") for line in stream if "\t" in line]


def _fetched_names(folder: Path) -> dict[str, str]:
    """ROCO id -> file name as fetch.py saves it (``<PMC id>_<figure name>``)."""
    names = {}
    for cells in _lines(folder, "dlinks"):
        archive = next((w for w in cells[1].split() if w.endswith(".tar.gz")), "")
        names[cells[0].strip()] = f"{Path(archive).name[:-7]}_{cells[-1].strip()}"
    return names


def _image(folder: Path, sample: str, fetched: dict[str, str]) -> Path | None:
    for suffix in _SUFFIXES:
        if (folder / "images" / f"{sample}{suffix}").is_file():
            return folder / "images" / f"{sample}{suffix}"
    name = fetched.get(sample)
    return folder / "images" / name if name and (folder / "images" / name).is_file() else None


def build_roco_manifest(root: str | Path, out_csv: str | Path, *,
                        subsets: Sequence[str] = ("radiology",),
                        splits: Sequence[str] = _SPLITS, label_reports: bool = False,
                        domain: str = "roco") -> int:
    """Write a manifest of ROCO images with their captions as reports.

    One row per image (``id`` = the ROCO id), ``split`` from the folder (``validation`` ->
    ``val``). Captions without an image file are skipped with one warning.

    Args:
        root: the repository folder (holding ``data/``) or the ``data`` folder.
        out_csv: manifest to write; image paths are relative to ``root``.
        subsets: ``radiology`` and / or ``non-radiology``.
        splits: split folders to read.
        label_reports: fill the 14 CheXpert columns with the rule labeler's output (most
            captions are not chest X-rays, so most cells stay empty).
        domain: the ``domain`` cell of every row.

    Returns:
        The number of rows written.
    """
    base = dataset_root(root, "roco")
    data = base / "data" if (base / "data").is_dir() else base
    folders = [(s, data / s / sub) for s in splits for sub in subsets]
    if not any((f / "images").is_dir() or _lines(f, "captions") for _, f in folders):
        raise InputError(f"roco: no {'/'.join(splits)} x {'/'.join(subsets)} folders with "
                         f"captions.txt under {data}; pass the roco-dataset folder")
    with ManifestWriter(out_csv, (), "roco") as out:
        for split, folder in folders:
            fetched = _fetched_names(folder)
            for cells in _lines(folder, "captions"):
                sample, caption = cells[0].strip(), " ".join(" ".join(cells[1:]).split())
                image = _image(folder, sample, fetched)
                if image is None:
                    out.skip("image file missing", f"{folder.name}/{sample}")
                elif not caption:
                    out.skip("empty caption", sample)
                else:
                    out.write({"id": sample, "image": image.relative_to(base).as_posix(),
                               "report": caption,
                               **(report_labels(caption) if label_reports else {}),
                               "domain": domain, "split": split_name(split, "roco")})
    return out.count
