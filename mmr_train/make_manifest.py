"""``mmr-train manifest``: build a manifest from a folder of images and their reports.

Reports come from a CSV (``--id-column`` matched to each image's file name without extension,
``--report-column`` the text) or a folder of ``<image stem>.txt`` files. Every image is read
once (a progress bar shows it), every report labelled with the CheXpert-style rule labeler
(:func:`mmr_augment.text.label`: 1 positive, 0 negative, -1 uncertain, empty not mentioned),
and rows that cannot train (no report, an empty report, an unreadable image, a duplicate id)
are dropped and counted by reason in the printed summary.

The manifest's image paths are relative to its own folder when the images lie under it;
otherwise they are absolute and training needs ``data.root`` (``fit --root``) set to the
image folder. The default output, ``IMAGES/manifest.csv``, needs neither.

Example:
    >>> import tempfile, torch
    >>> from mmr_augment.io import write_png
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     write_png(f"{tmp}/a.png", torch.zeros(1, 4, 4))
    ...     _ = Path(tmp, "a.txt").write_text("Mild cardiomegaly. No effusion.")
    ...     summary = build_manifest(tmp, tmp, progress=False)
    ...     rows = Path(summary.path).read_text().splitlines()
    >>> summary.kept, rows[1].startswith("a,a.png,Mild cardiomegaly. No effusion.")
    (1, True)
"""

from __future__ import annotations

import argparse
import csv
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from mmr_augment.errors import InputError

from .cli import add_paths

HELP = "build a labelled manifest CSV from an image folder and a reports CSV or folder"
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".dcm", ".dicom")
_CODES = {"positive": 1, "negative": 0, "uncertain": -1}


@dataclass
class ManifestSummary:
    """What :func:`build_manifest` wrote: the path, rows kept, dropped ids by reason, and the
    data root training needs (``None``: the manifest's folder, the default)."""

    path: str
    kept: int
    dropped: dict[str, list[str]] = field(default_factory=dict)
    root: str | None = None

    def __str__(self) -> str:
        lines = [f"wrote {self.path}: {self.kept} row(s)"]
        for reason, ids in self.dropped.items():
            shown = ", ".join(ids[:5]) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")
            lines.append(f"  dropped {len(ids)}: {reason} ({shown})")
        if self.root:
            lines.append(f"  the images lie outside the manifest's folder: train with "
                         f"--root {self.root} (data.root)")
        return "\n".join(lines)


def _reports(source: Path, id_column: str, report_column: str) -> dict[str, str]:
    """Image stem -> report text, from a CSV or a folder of ``.txt`` files."""
    if source.is_dir():
        return {p.stem: p.read_text(encoding="utf-8", errors="replace")
                for p in sorted(source.glob("*.txt"))}
    if not source.is_file():
        raise InputError(f"reports {source} not found; pass a CSV or a folder of .txt files")
    with source.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        missing = [c for c in (id_column, report_column) if c not in (reader.fieldnames or [])]
        if missing:
            raise InputError(f"{source}: no column(s) {missing}; it has {reader.fieldnames}; "
                             f"pass --id-column / --report-column")
        return {Path(str(r[id_column]).strip()).stem: r[report_column] or "" for r in reader}


def build_manifest(images: str | Path, reports: str | Path, out: str | Path | None = None, *,
                   id_column: str = "id", report_column: str = "report",
                   progress: bool = True) -> ManifestSummary:
    """Write a labelled manifest CSV for the images under ``images`` (see the module docs)."""
    from tqdm.auto import tqdm

    from mmr_augment.io import read_image
    from mmr_augment.text import OBSERVATIONS, label

    folder = Path(images).resolve()
    if not folder.is_dir():
        raise InputError(f"image folder {images} not found")
    out = Path(out) if out is not None else folder / "manifest.csv"
    base = out.resolve().parent
    texts = _reports(Path(reports), id_column, report_column)
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise InputError(f"no {'/'.join(IMAGE_SUFFIXES)} images under {folder}")
    dropped: dict[str, list[str]] = {}
    seen: Counter[str] = Counter()
    rows = []
    for path in tqdm(files, desc="checking images", unit="image", disable=not progress):
        stem = path.stem
        seen[stem] += 1
        reason = None
        if seen[stem] > 1:
            reason = "duplicate image name (ids must be unique)"
        elif stem not in texts:
            reason = "no report for this image"
        elif not texts[stem].strip():
            reason = "empty report"
        else:
            try:
                read_image(path)
            except Exception as e:  # noqa: BLE001 - any failure to decode drops the row
                reason = f"unreadable image ({type(e).__name__})"
        if reason:
            dropped.setdefault(reason, []).append(stem)
            continue
        name = path.relative_to(base).as_posix() if path.is_relative_to(base) else str(path)
        labels = label(texts[stem])
        rows.append({"id": stem, "image": name, "report": texts[stem].strip(),
                     **{o: _CODES[labels[o]] for o in OBSERVATIONS if o in labels}})
    unused = sorted(set(texts) - set(seen))
    if unused:
        dropped["report without an image"] = unused
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, ["id", "image", "report", *OBSERVATIONS])
        writer.writeheader()
        writer.writerows(rows)
    outside = not folder.is_relative_to(base)
    return ManifestSummary(os.fspath(out), len(rows), dropped, str(folder) if outside else None)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``manifest`` subcommand's arguments."""
    add_paths(parser, {
        "--images": "folder of PNG / JPEG / DICOM images (searched recursively)",
        "--reports": "reports CSV, or a folder of <image name>.txt files"}, required=True)
    add_paths(parser, {"--out": "manifest CSV to write (default: IMAGES/manifest.csv)"})
    parser.add_argument("--id-column", default="id",
                        help="CSV column holding the image file name or stem (default: id)")
    parser.add_argument("--report-column", default="report",
                        help="CSV column holding the report text (default: report)")
    parser.add_argument("--no-progress", dest="progress", action="store_false",
                        help="hide the progress bar")


def run(args: argparse.Namespace) -> int:
    """Entry of the ``manifest`` subcommand."""
    summary = build_manifest(args.images, args.reports, args.out, id_column=args.id_column,
                             report_column=args.report_column, progress=args.progress)
    print(summary)
    return 0 if summary.kept else 2
