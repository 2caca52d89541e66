"""Agreement of the labeler with the curators' MeSH tags of IU X-ray reports.

Usage:
    python benchmarks/mesh_agreement.py REPORTS_CSV

REPORTS_CSV is an IU X-ray style CSV (``Findings``, ``Impression``, ``Manual Tags``; see
``text_safety.py``). ``Manual Tags`` holds the MeSH terms the curators assigned from each
report, ``;``- or ``,``-separated. :data:`MESH_TO_OBSERVATION` maps terms to CheXpert
observations; a report is *tagged* with an observation when one of its terms maps to it. The
labeler *finds* an observation when it labels it positive or uncertain
(:func:`mmr_augment.text.report_labels` of the FINDINGS + IMPRESSION text). Printed per
observation: tagged and found counts, true positives, precision, recall and F1. Reports tagged
"no indexing" are left out (the curators did not index them).

Not evaluable here, so not mapped: Enlarged Cardiomediastinum (the split tags lose which
structure "enlarged" or "mediastinum" refers to), Pleural Other ("pleura" and "thickening" are
separate terms), and granulomas: CheXpert counts a calcified granuloma as no Lung Lesion.
Negatives have no MeSH tag; they are tested on hand-written sentences in
``tests/text/test_chexpert_normality.py``.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import re

from mmr_augment.text import OBSERVATIONS, report_labels

#: MeSH term (lower case) -> CheXpert observation. Terms follow the IU X-ray (Open-i)
#: indexing; each maps where CheXpert's mention phrases name the same finding.
MESH_TO_OBSERVATION = {
    "normal": "No Finding",
    "cardiomegaly": "Cardiomegaly",
    "nodule": "Lung Lesion", "mass": "Lung Lesion", "lung neoplasms": "Lung Lesion",
    "opacity": "Lung Opacity", "airspace disease": "Lung Opacity", "infiltrate": "Lung Opacity",
    "pulmonary edema": "Edema", "pulmonary congestion": "Edema", "edema": "Edema",
    "consolidation": "Consolidation",
    "pneumonia": "Pneumonia",
    "pulmonary atelectasis": "Atelectasis", "atelectases": "Atelectasis",
    "pneumothorax": "Pneumothorax",
    "pleural effusion": "Pleural Effusion",
    "fractures": "Fracture", "fractures, bone": "Fracture", "rib fractures": "Fracture",
    "implanted medical device": "Support Devices", "catheters": "Support Devices",
    "catheters, indwelling": "Support Devices", "tube": "Support Devices",
    "tubes": "Support Devices", "surgical instruments": "Support Devices",
    "pacemaker, artificial": "Support Devices", "stents": "Support Devices",
    "sutures": "Support Devices", "medical device": "Support Devices",
}
_MARKERS = re.compile(r"\b(start|end)seq\b")


def _text(row: dict[str, str]) -> str:
    parts = []
    for column, header in (("Findings", "FINDINGS"), ("Impression", "IMPRESSION")):
        body = " ".join(_MARKERS.sub(" ", row.get(column) or "").split())
        if body:
            parts.append(f"{header}: {body}")
    return "\n".join(parts)


def tagged(tags: str) -> set[str]:
    """Observations the MeSH terms of one report map to.

    Example:
        >>> sorted(tagged("Cardiomegaly;Pleural Effusion/bilateral/small"))
        ['Cardiomegaly', 'Pleural Effusion']
    """
    terms = {t.strip().lower() for part in re.split(r"[;,]", tags) for t in part.split("/")}
    return {MESH_TO_OBSERVATION[t] for t in terms if t in MESH_TO_OBSERVATION}


def agreement(rows: list[dict[str, str]]) -> list[tuple[str, int, int, int]]:
    """Per mapped observation: (observation, tagged, found, both)."""
    mapped = [o for o in OBSERVATIONS if o in MESH_TO_OBSERVATION.values()]
    counts = {o: [0, 0, 0] for o in mapped}
    for row in rows:
        truth = tagged(row.get("Manual Tags") or "")
        labels = report_labels(_text(row))
        for o in mapped:
            t, f = o in truth, labels[o] in ("positive", "uncertain")
            counts[o][0] += t
            counts[o][1] += f
            counts[o][2] += t and f
    return [(o, *counts[o]) for o in mapped]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("path")
    args = ap.parse_args()
    with open(args.path, newline="", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f)
                if "no indexing" not in (r.get("Manual Tags") or "").lower() and _text(r)]
    print(f"`python benchmarks/mesh_agreement.py {args.path}` ({datetime.date.today()}, "
          f"{len(rows)} indexed reports)\n")
    print("| observation | tagged | found | both | precision | recall | F1 |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for o, t, f, both in agreement(rows):
        p = both / f if f else float("nan")
        r = both / t if t else float("nan")
        f1 = 2 * p * r / (p + r) if f and t and p + r else float("nan")
        print(f"| {o} | {t} | {f} | {both} | {p:.2f} | {r:.2f} | {f1:.2f} |")


if __name__ == "__main__":
    main()
