"""Results as JSON and markdown: one evaluation (``mmr-train eval``) or a model comparison.

Example:
    >>> table([["a", 1.0]], ["name", "value"]).splitlines()[1]
    '|---|---|'
    >>> pm({"mean": 0.8123, "std": 0.01}, scale=100)
    '81.23 ± 1.00'
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .compare import aggregate, family_s3plus, headline
from .results import EvaluationResult

#: Headline rows of the comparison table: (metric, label, scale: 100 for percentages).
ROWS = (
    ("source_accuracy", "Source-domain accuracy (%)", 100),
    ("held_out_accuracy", "Held-out-domain accuracy (%)", 100),
    ("held_out_auc", "Held-out-domain AUC (%)", 100),
    ("held_out_accuracy_image", "Held-out accuracy, image features (%)", 100),
    ("clean_accuracy", "Clean accuracy, robustness set (%)", 100),
    ("corrupted_accuracy_s3plus", "Corrupted accuracy, severity >= 3 (%)", 100),
    ("relative_error", "Relative error, all families (pts)", 100),
    ("medmnistc_be", "MedMNIST-C BE, all families (reference = 1)", 1),
    ("medmnistc_rbe", "MedMNIST-C rBE, all families (reference = 1)", 1),
    ("medmnistc_be_image", "MedMNIST-C BE, image families (reference = 1)", 1),
    ("medmnistc_rbe_image", "MedMNIST-C rBE, image families (reference = 1)", 1),
    ("image_only_accuracy", "Image-only accuracy (%)", 100),
    ("text_only_accuracy", "Text-only accuracy (%)", 100),
    ("i2r_R@1", "Image->report R@1 (%)", 100),
    ("i2r_mean_rank", "Image->report mean rank, clean", 1),
    ("i2r_mean_rank_perturbed", "Image->report mean rank, perturbed", 1),
    ("i2r_degradation", "Image->report mean-rank degradation", 1),
    ("r2i_degradation", "Report->image mean-rank degradation", 1),
    ("i2r_domain_match", "Image->report top-1 from the query's domain, clean (%)", 100),
    ("i2r_within_mean_rank", "Image->report mean rank within domain, clean", 1),
    ("i2r_within_degradation", "Image->report within-domain degradation", 1),
    ("r2i_within_degradation", "Report->image within-domain degradation", 1),
)


def write_json(obj: Any, path: str | Path) -> Path:
    """Indented JSON (NaN / inf refused: every value must be finite or None)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=1, allow_nan=False), encoding="utf-8")
    return path


def fmt(value: float | None, scale: float = 1) -> str:
    """A number with two decimals, ``-`` for None."""
    return "-" if value is None else f"{value * scale:.2f}"


def pm(stat: dict[str, Any], scale: float = 1) -> str:
    """``mean ± std`` of an :func:`~.compare.aggregate` entry."""
    if stat["mean"] is None:
        return "-"
    return f"{stat['mean'] * scale:.2f} ± {stat['std'] * scale:.2f}"


def table(rows: Sequence[Sequence[Any]], header: Sequence[str]) -> str:
    """A GitHub markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def comparison_table(runs: dict[str, Sequence[EvaluationResult]]) -> str:
    """Headline metrics (mean ± std over seeds), one column per model."""
    stats = {m: aggregate([headline(r) for r in rs]) for m, rs in runs.items()}
    rows = [[label, *(pm(stats[m][key], scale) for m in runs)] for key, label, scale in ROWS]
    return table(rows, ["metric", *runs])


def family_table(runs: dict[str, Sequence[EvaluationResult]]) -> str:
    """Per corruption family: accuracy at severity >= 3 and relative error, per model."""
    fams = {m: aggregate([family_s3plus(r) for r in rs]) for m, rs in runs.items()}
    rel = {m: aggregate([{f: v.relative_error for f, v in r.corruption.families.items()}
                         for r in rs]) for m, rs in runs.items()}
    first = next(iter(runs.values()))[0].corruption.families
    rows = [[f, first[f].modality, *(pm(fams[m][f], 100) for m in runs),
             *(pm(rel[m][f], 100) for m in runs)] for f in first]
    head = ["family", "modality", *(f"acc s>=3 {m}" for m in runs),
            *(f"rel. err {m}" for m in runs)]
    if all(r.corruption.medmnistc is not None for rs in runs.values() for r in rs):
        for key in ("be", "rbe"):
            got = {m: aggregate([{f: getattr(v, key) for f, v in
                                  r.corruption.medmnistc.families.items()} for r in rs])
                   for m, rs in runs.items()}
            rows = [row + [pm(got[m][row[0]]) for m in runs] for row in rows]
            head += [f"{'BE' if key == 'be' else 'rBE'} {m}" for m in runs]
    if all(v.retrieval_degradation is not None for v in first.values()):
        mr = {m: {f: [sum(getattr(r.corruption.families[f].retrieval_degradation, d)
                          for r in rs) / len(rs) for d in ("image_to_report", "report_to_image")]
                  for f in first} for m, rs in runs.items()}
        rows = [row + [f"{mr[m][row[0]][0]:.1f} / {mr[m][row[0]][1]:.1f}" for m in runs]
                for row in rows]
        head += [f"MR degr. i2r / r2i {m}" for m in runs]
    return table(rows, head)


def observation_rows(scores: dict[str, Any]) -> list[list[str]]:
    """Per observation, per test domain: ``accuracy / AUC`` (%) or why it is not measurable.

    ``scores``: test domain -> :class:`~.results.ProbeScores`.

    Example:
        >>> from mmr_train.evaluate.results import ProbeScores, Scores
        >>> s = ProbeScores({"Effusion": Scores(0.75, 0.9),
        ...                  "Nodule": Scores(None, None, "no positive case in the test studies")},
        ...                 Scores(0.75, 0.9))
        >>> for row in observation_rows({"site_a": s}):
        ...     print(row)
        ['Effusion', '75.00 / 90.00']
        ['Nodule', 'not measurable: no positive case in the test studies']
    """
    first = next(iter(scores.values()), None)
    names = list(first.per_observation) if first else []
    rows = []
    for name in names:
        row = [name]
        for domain in scores.values():
            s = domain.per_observation[name]
            row.append(f"not measurable: {s.note}" if s.note else
                       f"{fmt(s.accuracy, 100)} / {fmt(s.auc, 100)}")
        rows.append(row)
    return rows


def eval_markdown(result: EvaluationResult) -> str:
    """The markdown report of one evaluation."""
    h = headline(result)
    cd = result.cross_domain.fused
    domain_rows = [[d, "held-out" if d in cd.domains.held_out else "source",
                    fmt(v.macro.accuracy, 100), fmt(v.macro.auc, 100)]
                   for d, v in cd.per_domain.items()]
    mc = result.corruption.medmnistc
    fam_rows = [[f, v.modality, *(fmt(a, 100) for a in v.accuracy.values()),
                 fmt(v.relative_error, 100),
                 *((fmt(mc.families[f].be), fmt(mc.families[f].rbe)) if mc else ())]
                for f, v in result.corruption.families.items()]
    sev = result.corruption.severities
    ret = result.retrieval
    ret_rows = [[d, *(cell for s in (getattr(ret.clean, d), getattr(ret.perturbed, d))
                      for cell in (*(fmt(s.recall[k], 100) for k in (1, 5, 10)),
                                   fmt(s.mean_rank))),
                 fmt(getattr(ret.degradation, d).delta)]
                for d in ("image_to_report", "report_to_image")]
    missing = result.missing_modality
    parts = [
        "# Evaluation report", "",
        f"Probe fitted on {result.n_train} studies, scored on {result.n_test}.", "",
        f"Labels probed: {', '.join(result.observations) or 'none'}.", "",
        *(["Held-out metrics show \"-\": every test domain is also a training domain; give the "
           "test manifest a domain the probe-training manifest lacks to measure transfer.", ""]
          if not cd.domains.held_out else []),
        "## Headline", "", table([[k, fmt(v)] for k, v in h.items()], ["metric", "value"]), "",
        "## Cross-domain (fused embeddings, linear probe)", "",
        table(domain_rows, ["domain", "kind", "accuracy (%)", "AUC (%)"]), "",
        "Accuracy and AUC are macro means over the observations measurable in that domain: an "
        "observation with one class only among its test studies (no positive or no negative "
        "case) cannot be scored (a probe that always says \"absent\" would get 100% accuracy) "
        "and is left out of every mean.", "",
        "### Per observation (accuracy % / AUC %)", "",
        table(observation_rows(cd.per_domain), ["observation", *cd.per_domain]), "",
        "## Corruptions (probe accuracy %, relative error in points)", "",
        *medmnistc_note(result), table(fam_rows, ["family", "modality",
                                                  *(f"s{s}" for s in sev), "rel. err",
                                                  *(("BE", "rBE") if mc else ())]), "",
        "## Missing modality", "",
        table([[k, fmt(v.accuracy, 100), fmt(v.auc, 100)]
               for k, v in (("both", missing.both), ("image_only", missing.image_only),
                            ("text_only", missing.text_only))],
              ["condition", "accuracy (%)", "AUC (%)"]), "",
        f"## Retrieval (gallery {ret.gallery_size}, perturbed: severity "
        f"{ret.severity} on both sides)", "",
        table(ret_rows, ["direction", *(f"{c} {k}" for c in ("clean", "pert.")
                                        for k in ("R@1", "R@5", "R@10", "MR")),
                         "MR degradation"]), "",
    ]
    return "\n".join(parts)


def medmnistc_note(result: EvaluationResult) -> list[str]:
    """The lines before the corruption table that say what BE / rBE are normalised by."""
    mc, cor = result.corruption.medmnistc, result.corruption
    if mc is None:
        return []
    return [f"BE and rBE are MedMNIST-C's (balanced error, normalised by the reference model "
            f"`{mc.reference}`: 1 is its level, lower is more robust). Means over families: "
            f"BE {fmt(mc.be.all)} (image {fmt(mc.be.image)}), rBE {fmt(mc.rbe.all)} (image "
            f"{fmt(mc.rbe.image)}); clean balanced error {fmt(cor.clean_balanced_error)}, the "
            f"reference's {fmt(mc.reference_clean_balanced_error)}.", ""]


def write_eval_report(result: EvaluationResult, out: str | Path) -> dict[str, Path]:
    """``results.json``, ``report.md`` and ``figures/`` of one evaluation in ``out``."""
    from .plots import domain_bars, robustness_curves

    out = Path(out)
    paths = {"results": write_json(result.to_json(), out / "results.json")}
    paths["curves"] = robustness_curves({"model": [result.corruption]},
                                        out / "figures" / "robustness_curves.png")
    paths["domains"] = domain_bars({"model": [result.cross_domain.fused]},
                                   out / "figures" / "domain_accuracy.png")
    text = eval_markdown(result) + ("\n![robustness](figures/robustness_curves.png)\n"
                                    "![domains](figures/domain_accuracy.png)\n")
    paths["report"] = out / "report.md"
    paths["report"].write_text(text, encoding="utf-8")
    return paths
