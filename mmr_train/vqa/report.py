"""VQA results on disk: ``results.json``, ``report.md`` and ``figures/``, and the side-by-side
comparison of several models (e.g. baseline vs Robust-MMR, one result per seed).

Example:
    >>> import tempfile
    >>> cell = {"correct": 3, "total": 4, "accuracy": 0.75}
    >>> res = {"run": "r", "dataset": ["slake"], "questions": 4, "answer_vocabulary": 9,
    ...        "clean": {"overall": cell, "closed": cell, "open": cell, "out_of_vocabulary": 0,
    ...                  "by": {}}, "clean_xray": None, "timings_s": {}}
    >>> out = compare_vqa({"baseline": [res], "robust_mmr": [res]}, tempfile.mkdtemp())
    >>> "| clean overall | 0.7500 ± 0.0000 | 0.7500 ± 0.0000 |" in out.read_text()
    True
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .evaluate import YES_NO_RULE
from .perturb import XRAY_ONLY


def _fmt(value: Any) -> str:
    return "-" if value is None else f"{value:.4f}"


def _cell(c: dict[str, Any]) -> str:
    return f"{_fmt(c['accuracy'])} ({c['correct']}/{c['total']})"


def severity_curves(runs: dict[str, Sequence[dict[str, Any]]], path: str | Path) -> Path:
    """One panel per perturbation family: overall accuracy vs severity (0 = clean; the X-ray
    clean accuracy for X-ray-only families) per model, mean over its results (seeds) with a
    +-1 std band. Writes and returns the PNG ``path``."""
    from ..evaluate.plots import severity_panels

    first = next(iter(runs.values()))[0]["perturbed"]["families"]
    panels = {}
    for name, fam in first.items():
        sev = [int(s) for s in fam["severity"]]
        panels[name + (" (X-ray)" if fam["xray_only"] else "")] = {
            model: {0: [(r["clean_xray"] or {}).get("overall") if fam["xray_only"]
                        else r["clean"]["overall"]["accuracy"] for r in results]}
            | {s: [r["perturbed"]["families"][name]["severity"][str(s)]["overall"]
                   for r in results] for s in sev}
            for model, results in runs.items()}
    return severity_panels(panels, path, "overall accuracy")


def report_markdown(result: dict[str, Any]) -> str:
    """The ``report.md`` text of one evaluation."""
    c = result["clean"]
    lines = [f"# VQA evaluation of `{result['run']}`", "",
             f"Scored on {result['questions']} questions of {', '.join(result['dataset'])} "
             f"(fine-tuned on {', '.join(result.get('trained_on') or ['?'])}); answer "
             f"vocabulary: the {result['answer_vocabulary']} training answers. A true answer "
             f"outside it is scored wrong: {c['out_of_vocabulary']} such questions here.", "",
             "## Clean", "", "| | accuracy (correct/total) |", "|---|---|"]
    lines += [f"| {k} | {_cell(c[k])} |" for k in ("overall", "closed", "open")]
    for group, cells in c["by"].items():
        lines += ["", f"### Per {group.replace('_', ' ')}", "", "| | accuracy |", "|---|---|"]
        lines += [f"| {v} | {_cell(cell)} |" for v, cell in cells.items()]
    ablation = result.get("image_ablation")
    if ablation:
        lines += ["", "## Without the image", "",
                  "Each question with its image absent (missing-image tokens) and with another "
                  "image of this set: a model that answers from the question alone scores the "
                  "same as clean.", "", "| | overall | closed | open |", "|---|---|---|---|"]
        lines += [f"| image {k} | {_fmt(v['overall'])} | {_fmt(v['closed'])} | "
                  f"{_fmt(v['open'])} |" for k, v in ablation.items()]
    if result.get("cross_rule"):
        lines += ["", f"Cross-dataset selection: {result['cross_rule']}."]
    p = result.get("perturbed")
    if p:
        sev = p["severities"]
        lines += ["", "## Perturbed", "",
                  f"Mean over all {len(p['families'])} scored families (mean over severities "
                  f"{sev} first): **{_fmt(p.get('mean_all'))}** (image "
                  f"{_fmt(p.get('mean_image'))}, text {_fmt(p.get('mean_text'))}); worst: "
                  f"{p['worst']['family']} {_fmt(p['worst']['mean'])}. Families "
                  f"{', '.join(XRAY_ONLY)} only make sense on radiographs and are scored on the "
                  f"X-ray questions only (clean X-ray accuracy: "
                  f"{_fmt((result.get('clean_xray') or {}).get('overall'))}).", "",
                  "| family | modality | questions | " + " | ".join(f"s{s}" for s in sev)
                  + " | mean |", "|---" * (len(sev) + 4) + "|"]
        for name, f in p["families"].items():
            kind = f["modality"] + (" (X-ray only)" if f["xray_only"] else "")
            lines.append(f"| {name} | {kind} | {f['questions']} | "
                         + " | ".join(_fmt(f["severity"][str(s)]["overall"]) for s in sev)
                         + f" | {_fmt(f['mean'])} |")
        if "both" in p:
            lines += ["", "Both modalities (round robin over the general image and the scored "
                      "text families): " + ", ".join(f"s{s} {_fmt(v['overall'])}"
                                                     for s, v in p["both"].items()) + "."]
        if p["skipped"]:
            lines += ["", "Skipped: " + "; ".join(f"{n}: {why}"
                                                  for n, why in p["skipped"].items()) + "."]
    if result.get("policy"):
        pol = result["policy"]
        lines += ["", "## User policy", "", f"`{pol['file']}` ({pol['kind']}): overall "
                  f"{_fmt(pol['overall'])}, closed {_fmt(pol['closed'])}, open "
                  f"{_fmt(pol['open'])}."]
    lines += ["", "Timings (s): " + ", ".join(f"{k} {v}" for k, v in
                                             result["timings_s"].items()), ""]
    return "\n".join(lines)


def write_outputs(result: dict[str, Any], out: str | Path) -> Path:
    """Write ``results.json``, ``report.md`` and (with perturbed scores)
    ``figures/severity.png`` under ``out``; returns ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(result, indent=1), encoding="utf-8")
    (out / "report.md").write_text(report_markdown(result), encoding="utf-8")
    if result.get("perturbed", {}).get("families"):
        severity_curves({"model": [result]}, out / "figures" / "severity.png")
    return out


def _stat(values: Sequence[float | None]) -> str:
    vals = [v for v in values if v is not None]
    if not vals:
        return "-"
    std = statistics.stdev(vals) if len(vals) > 1 else 0.0
    return f"{statistics.fmean(vals):.4f} ± {std:.4f}"


def headline(result: dict[str, Any]) -> dict[str, float | None]:
    """Flat headline numbers of one evaluation (clean, perturbed mean and worst)."""
    p = result.get("perturbed") or {}
    h = {f"clean {k}": result["clean"][k]["accuracy"] for k in ("overall", "closed", "open")}
    for kind, cell in (result.get("image_ablation") or {}).items():
        h[f"image {kind} overall"] = cell["overall"]
    h["perturbed mean"] = p.get("mean_all")
    h["perturbed worst"] = (p.get("worst") or {}).get("mean")
    for name, f in p.get("families", {}).items():
        h[f"family {name}"] = f["mean"]
    return h


def compare_vqa(runs: dict[str, Sequence[dict[str, Any]]], out: str | Path) -> Path:
    """Models side by side (mean ± std over each model's results, e.g. seeds):
    ``out/comparison.md`` and, with perturbed scores, ``out/figures/comparison.png``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    heads = {m: [headline(r) for r in rs] for m, rs in runs.items()}
    keys = list(next(iter(heads.values()))[0])
    lines = ["# VQA comparison", "", f"Cross-dataset rows (where used): {YES_NO_RULE}.", "",
             "| metric | " + " | ".join(runs) + " |", "|---" * (len(runs) + 1) + "|"]
    lines += [f"| {k} | " + " | ".join(_stat([h.get(k) for h in hs]) for hs in heads.values())
              + " |" for k in keys]
    path = out / "comparison.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    if all(r.get("perturbed", {}).get("families") for rs in runs.values() for r in rs):
        severity_curves(dict(runs), out / "figures" / "comparison.png")
    return path
