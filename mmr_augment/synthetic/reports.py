"""Reports written from a study's findings: FINDINGS and IMPRESSION in standard wording.

Positives carry their side and size ("2.1 cm nodule in the right upper lobe"), negatives are
the usual pertinent ones ("No pneumothorax."), and normal studies get normal statements. The
wording is picked per study from a few templates by the study's own draws. Every phrase is one
the shipped lexicons (``assets/lexicons/findings.tsv``, ``negation.tsv``) read unambiguously:
no hedges, no "opacity" (a separate CheXpert observation), and normal statements ("The lungs
are clear.") only in studies without pathology, so the rule labeler recovers the labels
exactly.
"""

from __future__ import annotations

import torch

from ._draws import WORDING, draws
from .findings import LOBES, SIDES, SIZES, Findings

_HEART = (("The heart is enlarged.", "Cardiomegaly.", "The cardiac silhouette is enlarged.",
           "Moderate cardiomegaly, cardiothoracic ratio {ctr}."),
          ("Heart size is normal.", "The cardiac silhouette is normal in size.",
           "Normal heart size.", "The cardiomediastinal silhouette is within normal limits."))
_CONSOLIDATION = ("Consolidation in the {lobe}.", "Patchy consolidation in the {lobe}.",
                  "There is focal consolidation in the {lobe}.", "{Lobe} consolidation.")
_LESION = ("{cm} cm {kind} in the {lobe}.", "There is a {cm} cm {kind} in the {lobe}.",
           "A {cm} cm {kind} is seen in the {lobe}.", "{Lobe} {kind} measuring {cm} cm.")
_EFFUSION = ("{Size} {side} pleural {effusion}.", "There is a {size} {side} pleural {effusion}.",
             "{Size} {side} pleural {effusion} with blunting of the costophrenic {angle}.")
_PNEUMOTHORAX = ("{Size} {side} apical pneumothorax.", "{Size} {side} pneumothorax.",
                 "There is a {size} {side} pneumothorax with a visible pleural line.")
_NEGATIVES = {"consolidation": ("No focal consolidation.", "There is no focal consolidation."),
              "effusion": ("No pleural effusion.", "There is no pleural effusion."),
              "pneumothorax": ("No pneumothorax.", "There is no pneumothorax."),
              "pleura": ("No pleural effusion or pneumothorax.",)}
_DEVICES = (("Endotracheal tube tip is {ett} cm above the carina.",
             "The endotracheal tube terminates {ett} cm above the carina."),
            ("Right internal jugular central venous catheter tip in the superior vena cava.",
             "A right internal jugular central line terminates in the superior vena cava."),
            ("Nasogastric tube courses below the diaphragm into the stomach.",
             "The tip of the nasogastric tube is in the stomach."))
_CLEAR = ("The lungs are clear.", "Lungs are clear.")
_NORMAL_IMPRESSION = ("No acute cardiopulmonary process.", "No acute cardiopulmonary abnormality.",
                      "Normal chest radiograph.")
_N_DRAWS = 16


def _pick(options: tuple[str, ...], u: float) -> str:
    return options[min(int(u * len(options)), len(options) - 1)]


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _fill(template: str, **values: str) -> str:
    values.update({_cap(k): _cap(v) for k, v in values.items()})
    return template.format(**values)


def _positives(row: dict, u: list[float]) -> list[tuple[str, str]]:
    """``(findings sentence, impression sentence)`` for each positive, most urgent first."""
    out = []
    if row["pneumothorax_side"]:
        words = {"size": SIZES[row["pneumothorax_size"]], "side": SIDES[row["pneumothorax_side"]]}
        out.append((_fill(_pick(_PNEUMOTHORAX, u[0]), **words),
                    _fill("{Size} {side} pneumothorax.", **words)))
    if row["effusion_side"]:
        both = row["effusion_side"] == 3
        words = {"size": SIZES[row["effusion_size"]], "side": SIDES[row["effusion_side"]],
                 "effusion": "effusions" if both else "effusion",
                 "angle": "angles" if both else "angle"}
        out.append((_fill(_pick(_EFFUSION, u[1]), **words),
                    _fill("{Size} {side} pleural {effusion}.", **words)))
    if row["consolidation"]:
        lobe = LOBES[row["consolidation_lobe"]]
        out.append((_fill(_pick(_CONSOLIDATION, u[2]), lobe=lobe),
                    _fill("{Lobe} consolidation.", lobe=lobe)))
    if row["lesion"]:
        words = {"lobe": LOBES[row["lesion_lobe"]], "cm": f"{row['lesion_cm']:.1f}",
                 "kind": "mass" if row["lesion_cm"] >= 3.0 else "nodule"}
        out.append((_fill(_pick(_LESION, u[3]), **words),
                    _fill("{cm} cm {lobe} {kind}.", **words)))
    if row["cardiomegaly"]:
        out.append((_pick(_HEART[0], u[4]).format(ctr=f"{row['ctr']:.2f}"), "Cardiomegaly."))
    return out


def _findings_section(row: dict, u: list[float], positives: list[str]) -> list[str]:
    sentences = [_fill(_pick(options, u[5 + k]), ett=str(row["ett_cm"]))
                 for k, options in enumerate(_DEVICES) if row["devices"] >> k & 1]
    if not row["cardiomegaly"]:
        sentences.append(_pick(_HEART[1], u[4]))
    sentences += positives
    if not positives:
        sentences.append(_pick(_CLEAR, u[8]))
    if not row["consolidation"] and (positives or u[9] < 0.5):
        sentences.append(_pick(_NEGATIVES["consolidation"], u[10]))
    if not row["effusion_side"] and not row["pneumothorax_side"] and u[11] < 0.3:
        sentences.append(_NEGATIVES["pleura"][0])
    else:
        sentences += [_pick(_NEGATIVES[name], u[12]) for name in ("effusion", "pneumothorax")
                      if not row[f"{name}_side"]]
    return sentences


def write_reports(findings: Findings, keys: torch.Tensor) -> list[str]:
    """One report per study, worded by the study's draws.

    Example:
        >>> from mmr_augment.synthetic._draws import study_keys
        >>> from mmr_augment.synthetic.findings import sample_findings
        >>> k = study_keys(0, torch.arange(1))
        >>> report = write_reports(sample_findings(k), k)[0]
        >>> report.startswith("FINDINGS: "), "IMPRESSION: " in report
        (True, True)
    """
    names = ("cardiomegaly", "ctr", "effusion_side", "effusion_size", "pneumothorax_side",
             "pneumothorax_size", "lesion", "lesion_lobe", "lesion_cm", "consolidation",
             "consolidation_lobe", "devices", "ett_cm")
    columns = {name: getattr(findings, name).tolist() for name in names}
    wording = draws(keys, _N_DRAWS, WORDING).tolist()
    reports = []
    for i, u in enumerate(wording):
        row = {name: values[i] for name, values in columns.items()}
        positives = _positives(row, u)
        body = " ".join(_findings_section(row, u, [f for f, _ in positives]))
        if not positives:
            impression = _pick(_NORMAL_IMPRESSION[:3 if not row["devices"] else 2], u[13])
        elif u[14] < 0.4 and len(positives) > 1:
            impression = "\n".join(f"{k}. {text}" for k, (_, text) in enumerate(positives, 1))
        else:
            impression = " ".join(text for _, text in positives)
        reports.append(f"FINDINGS: {body}\n\nIMPRESSION: {impression}")
    return reports
