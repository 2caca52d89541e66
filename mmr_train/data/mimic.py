"""MIMIC-CXR-JPG -> manifest.

Layout (PhysioNet ``mimic-cxr-jpg/2.0.0``)::

    ROOT/mimic-cxr-2.0.0-metadata.csv.gz   dicom_id, subject_id, study_id, ViewPosition, ...
    ROOT/mimic-cxr-2.0.0-split.csv.gz      dicom_id, study_id, subject_id, split
    ROOT/mimic-cxr-2.0.0-chexpert.csv.gz   subject_id, study_id, <14 observations>
    ROOT/files/p10/p10000032/s50414267/<dicom_id>.jpg

Reports come from MIMIC-CXR (not -JPG): ``mimic-cxr-reports.zip`` or its extracted folder,
holding ``files/p10/p10000032/s50414267.txt``. The ``.csv`` files may also be uncompressed.
"""

from __future__ import annotations

import csv
import functools
import gzip
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from mmr_augment.errors import InputError
from mmr_augment.text import OBSERVATIONS, find_headers

from ._convert import ManifestWriter, dataset_root, find_first
from ._fields import split_name

_PREFIX = "mimic-cxr-2.0.0-"
_REPORT_PLACES = ("mimic-cxr-reports.zip", "mimic-cxr-reports", ".")
_LABEL_CELLS = {"1.0": "1", "1": "1", "0.0": "0", "0": "0", "-1.0": "-1", "-1": "-1", "": ""}


def _table(root: Path, name: str) -> Iterator[dict[str, str]]:
    file = find_first(root, (f"{_PREFIX}{name}.csv.gz", f"{_PREFIX}{name}.csv"),
                      f"MIMIC-CXR-JPG {name} table")
    opener = gzip.open if file.suffix == ".gz" else open
    with opener(file, "rt", encoding="utf-8", newline="") as stream:
        yield from csv.DictReader(stream)


def report_sections(text: str, sections: Sequence[str] | None) -> str:
    """The named sections of a free-text report as ``"NAME: body"`` blocks (whitespace
    collapsed), in report order; the whole text when ``sections`` is None. Headers are found
    with the report parser's section lexicon (:func:`mmr_augment.text.find_headers`).

    Example:
        >>> report_sections("INDICATION: cough.\\n FINDINGS:\\n Clear lungs.\\n "
        ...                 "IMPRESSION: Normal.", ("FINDINGS", "IMPRESSION"))
        'FINDINGS: Clear lungs.\\n\\nIMPRESSION: Normal.'
    """
    if sections is None:
        return " ".join(text.split())
    headers = find_headers(text)
    blocks = []
    for k, (_, end, name) in enumerate(headers):
        stop = headers[k + 1][0] if k + 1 < len(headers) else len(text)
        body = " ".join(text[end:stop].split())
        if name in sections and body:
            blocks.append(f"{name}: {body}")
    return "\n\n".join(blocks)


class _Reports:
    """Report text by (subject, study) from the reports zip or folder."""

    def __init__(self, source: Path) -> None:
        self.zip = zipfile.ZipFile(source) if source.is_file() else None
        self.folder = source
        if self.zip is not None:  # member names may carry a top folder; index by tail
            self.members = {n.split("files/", 1)[-1]: n for n in self.zip.namelist()
                            if n.endswith(".txt")}

    @functools.lru_cache(maxsize=256)  # noqa: B019 - one reader per build; images share studies
    def get(self, subject: str, study: str) -> str | None:
        tail = f"p{subject[:2]}/p{subject}/s{study}.txt"
        if self.zip is not None:
            member = self.members.get(tail)
            return None if member is None else self.zip.read(member).decode("utf-8", "replace")
        for base in (self.folder / "files", self.folder):
            if (base / tail).is_file():
                return (base / tail).read_text(encoding="utf-8", errors="replace")
        return None


def _report_source(root: Path, reports: str | Path | None) -> Path:
    if reports is not None:
        if not Path(reports).exists():
            raise InputError(f"mimic-cxr-jpg: reports {reports} not found; pass the MIMIC-CXR "
                             f"mimic-cxr-reports.zip or the folder it was extracted into")
        return Path(reports)
    for place in _REPORT_PLACES:
        if (root / place).exists() and (place != "." or any((root / "files").glob("p*/p*/s*.txt"))):
            return root / place
    raise InputError(f"mimic-cxr-jpg: no reports in {root}; pass reports= the MIMIC-CXR "
                     f"mimic-cxr-reports.zip (or its extracted folder)")


def build_mimic_cxr_manifest(root: str | Path, out_csv: str | Path, *,
                             reports: str | Path | None = None,
                             views: Sequence[str] | None = ("PA", "AP"),
                             sections: Sequence[str] | None = ("FINDINGS", "IMPRESSION"),
                             domain: str = "mimic-cxr") -> int:
    """Write a manifest of MIMIC-CXR-JPG images with their reports and CheXpert labels.

    One row per image (``id`` = dicom_id), with the official split (``validate`` -> ``val``)
    and the study's labels from the CheXpert table. Images whose file, report or wanted
    sections are missing are skipped, with one warning per reason.

    Args:
        root: the MIMIC-CXR-JPG folder (layout in the module docstring).
        out_csv: manifest to write; image paths are relative to ``root``.
        reports: ``mimic-cxr-reports.zip`` or its folder; default: looked for in ``root``.
        views: ViewPosition values to keep (default frontal: PA, AP); None keeps all.
        sections: report sections to keep, in report order; None keeps the whole text.
        domain: the ``domain`` cell of every row.

    Returns:
        The number of rows written.
    """
    base = dataset_root(root, "mimic-cxr-jpg")
    source = _Reports(_report_source(base, reports))
    split = {r["dicom_id"]: split_name(r["split"], "mimic-cxr-jpg split table")
             for r in _table(base, "split")}
    labels = {r["study_id"]: {o: _LABEL_CELLS.get(r.get(o) or "", "") for o in OBSERVATIONS}
              for r in _table(base, "chexpert")}
    wanted = None if views is None else {v.upper() for v in views}
    with ManifestWriter(out_csv, ("subject_id", "study_id", "view"), "mimic-cxr-jpg") as out:
        for meta in _table(base, "metadata"):
            dicom, subject, study = meta["dicom_id"], meta["subject_id"], meta["study_id"]
            view = meta.get("ViewPosition", "")
            if wanted is not None and view.upper() not in wanted:
                continue
            image = f"files/p{subject[:2]}/p{subject}/s{study}/{dicom}.jpg"
            text = source.get(subject, study)
            report = report_sections(text, sections) if text is not None else ""
            if not (base / image).is_file():
                out.skip("image file missing", image)
            elif text is None:
                out.skip("no report for the study", f"s{study}")
            elif not report:
                out.skip(f"report without {'/'.join(sections or ())} text", f"s{study}")
            else:
                out.write({"id": dicom, "image": image, "report": report,
                           **labels.get(study, {}), "domain": domain,
                           "split": split.get(dicom) or "", "subject_id": subject,
                           "study_id": study, "view": view})
    return out.count
