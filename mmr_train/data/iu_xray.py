"""IU X-ray (Open-i, Indiana University chest X-ray collection) -> manifest.

Layout (the Open-i downloads ``NLMCXR_reports.tgz`` and ``NLMCXR_png.tgz``, extracted)::

    ROOT/ecgen-radiology/1.xml ...      one report per study: <uId id="CXR1"/>,
                                        <AbstractText Label="FINDINGS">...</AbstractText>,
                                        <AbstractText Label="IMPRESSION">...</AbstractText>,
                                        <parentImage id="CXR1_1_IM-0001-3001"> per image
    ROOT/NLMCXR_png/CXR1_1_IM-0001-3001.png

The collection has no view labels (frontal and lateral images both appear), no official split
and no labels: splits are drawn per study from a hash of its id, labels optionally from
:func:`mmr_augment.text.label`.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

from mmr_augment.errors import InputError

from ._convert import ManifestWriter, dataset_root, hash_split, report_labels

_SECTIONS = ("FINDINGS", "IMPRESSION")


def _study(xml_file: Path) -> tuple[str, str, list[str]]:
    """``(study id, report text, image ids)`` of one report file."""
    try:
        tree = ET.parse(xml_file)
    except ET.ParseError as err:
        raise InputError(f"iu-xray: {xml_file} is not valid XML ({err}); re-extract the "
                         f"reports archive") from None
    node = tree.find(".//uId")
    study = node.get("id", "") if node is not None else ""
    texts = {t.get("Label", "").upper(): " ".join("".join(t.itertext()).split())
             for t in tree.iter("AbstractText")}
    report = "\n\n".join(f"{name}: {texts[name]}" for name in _SECTIONS if texts.get(name))
    images = [p.get("id", "") for p in tree.iter("parentImage") if p.get("id")]
    return study or xml_file.stem, report, images


def build_iu_xray_manifest(root: str | Path, out_csv: str | Path, *, label_reports: bool = False,
                           split: Sequence[float] = (0.8, 0.1, 0.1), domain: str = "iu-xray",
                           reports_dir: str = "ecgen-radiology",
                           images_dir: str = "NLMCXR_png") -> int:
    """Write a manifest of IU X-ray images with their study's FINDINGS and IMPRESSION.

    One row per image (``id`` = the parentImage id); every image of a study shares its report
    and its split. Studies without findings or impression text, and images without a PNG, are
    skipped with one warning per reason.

    Args:
        root: the dataset folder (layout in the module docstring).
        out_csv: manifest to write; image paths are relative to ``root``.
        label_reports: fill the 14 CheXpert columns with the rule labeler's output.
        split: train / val / test shares, assigned per study by hash (stable).
        domain: the ``domain`` cell of every row.
        reports_dir, images_dir: folder names under ``root``.

    Returns:
        The number of rows written.
    """
    base = dataset_root(root, "iu-xray")
    if not (base / reports_dir).is_dir():
        raise InputError(f"iu-xray: no {reports_dir}/ folder in {base}; extract "
                         f"NLMCXR_reports.tgz there (or pass reports_dir=)")
    hash_split("", split)  # validate the shares before writing anything
    with ManifestWriter(out_csv, ("study_id",), "iu-xray") as out:
        for xml_file in sorted((base / reports_dir).glob("*.xml"),
                               key=lambda p: (len(p.stem), p.stem)):
            study, report, images = _study(xml_file)
            if not report:
                out.skip("report without FINDINGS / IMPRESSION text", xml_file.name)
                continue
            labels = report_labels(report) if label_reports else {}
            for image_id in images:
                image = f"{images_dir}/{image_id}.png"
                if not (base / image).is_file():
                    out.skip("image file missing", image)
                    continue
                out.write({"id": image_id, "image": image, "report": report, **labels,
                           "domain": domain, "split": hash_split(study, split),
                           "study_id": study})
    return out.count
