"""The demo's ``report.md`` and figures: baseline vs Robust-MMR over seeds, the ablation,
the targets, honestly stated whether met or not.

Example:
    >>> verdict(True), verdict(False)
    ('**met**', '**not met**')
"""

from __future__ import annotations

from concurrent.futures import Executor
from pathlib import Path
from typing import Any

from mmr_augment.core import REGISTRY

from ..views import DEFAULT_POLICY
from .compare import headline
from .corruption import CorruptionBank
from .plots import domain_bars, gallery, robustness_curves
from .report import comparison_table, family_table, fmt, table
from .results import EvaluationResult

ABLATION_KEYS = (("held_out_accuracy", 100), ("corrupted_accuracy_s3plus", 100),
                 ("relative_error", 100), ("image_only_accuracy", 100),
                 ("text_only_accuracy", 100), ("i2r_degradation", 1), ("r2i_degradation", 1))


def verdict(met: bool) -> str:
    """Bold "met" / "not met"."""
    return "**met**" if met else "**not met**"


def write_figures(runs: dict[str, list[EvaluationResult]], bank: CorruptionBank,
                  folder: Path, pool: Executor | None = None) -> dict[str, Path]:
    """Robustness curves, per-domain bars and the perturbation gallery; with an executor
    ``pool`` the three are drawn at once in its workers (the curves' 35 panels take seconds)."""
    corruption = {m: [r.corruption for r in rs] for m, rs in runs.items()}
    domains = {m: [r.cross_domain.fused for r in rs] for m, rs in runs.items()}
    work = {"curves": (robustness_curves, corruption, folder / "robustness_curves.png"),
            "domains": (domain_bars, domains, folder / "domain_accuracy.png"),
            "gallery": (gallery, bank, folder / "perturbation_gallery.png")}
    if pool is None:
        return {name: draw(*args) for name, (draw, *args) in work.items()}
    drawing = {name: pool.submit(draw, *args) for name, (draw, *args) in work.items()}
    return {name: future.result() for name, future in drawing.items()}


def _targets_section(t: dict[str, Any]) -> list[str]:
    g, c, m, r = (t[k] for k in ("held_out_gain", "corruption", "missing_modality",
                                 "retrieval"))
    factors = ", ".join(f"{k}: {'no degradation' if v is None else f'{v:.2f}x'}"
                        for k, v in r["degradation_factor"].items())
    return [
        "## Targets from the issue", "",
        f"- Held-out-domain accuracy >= 3.8 points above the baseline, beyond one std: gain "
        f"{g['gain_points']:+.2f} points (larger std {g['noise_points']:.2f}) - "
        f"{verdict(g['met'])}.",
        f"- Ahead under every corruption family at severity >= 3: ahead on {c['ahead']} of "
        f"{c['families']}" + (f" (behind or tied: {', '.join(c['behind'])})" if c["behind"]
                              else "") + f" - {verdict(c['met'])}.",
        "- Ahead with a missing modality: " + ", ".join(
            f"{k.replace('_accuracy', '')} {100 * v:+.2f} points" for k, v in m["gain"].items())
        + f" - {verdict(m['met'])}.",
        f"- Retrieval mean-rank degradation >= 2x smaller (baseline / Robust-MMR): {factors} - "
        f"{verdict(r['met'])}.", "",
    ]


def policy_families(policy: Any) -> list[str]:
    """Corruption families a fit config's ``policy`` entry trains Robust-MMR with.

    Example:
        >>> policy_families("default")[:3]
        ['gaussian_noise', 'poisson_noise', 'gaussian_blur']
    """
    spec = DEFAULT_POLICY if policy == "default" else policy
    if not isinstance(spec, dict):
        return []
    ops = [op for part in ("image", "text") if isinstance(spec.get(part), dict)
           for op in spec[part].get("ops", [spec[part]])]
    return [REGISTRY[op["type"]].family for op in ops if op.get("type") in REGISTRY]


def demo_markdown(results: dict[str, Any]) -> str:
    """The whole demo report, from the demo's ``results.json`` content."""
    meta = results["meta"]
    runs = {m: [EvaluationResult.from_json(r) for r in v["seeds"].values()]
            for m, v in results["models"].items()}
    cfg = meta["config"]
    ablation = {k: headline(EvaluationResult.from_json(v))
                for k, v in results["ablation"].items()}
    abl_rows = [[k, *(fmt(h[key], scale) for key, scale in ABLATION_KEYS)]
                for k, h in ablation.items()]
    met = [v["met"] for v in results["targets"].values()]
    summary = ("Robust-MMR met every target." if all(met) else
               f"Robust-MMR met {sum(met)} of {len(met)} targets; the rest are reported as "
               "not met below. Nothing was tuned on held-out domains.")
    lines = [
        "# Demo: baseline vs Robust-MMR on synthetic multi-domain chest films", "",
        summary, "",
        f"Seeds: {meta['seeds']} (mean ± sample std over seeds). Same data, steps "
        f"({cfg['train']['max_steps']}), batch ({cfg['train']['batch_size']}) and seeds for "
        f"both models. Wall time {meta['wall_time_s']:.0f} s.", "",
        "Source domains (training, probe): " + ", ".join(
            "+".join(d) for d in meta["source_domains"]) + ".  ",
        "Held-out domains (never seen in training, tuning or checkpoint selection): "
        + ", ".join("+".join(d) for d in meta["held_out_domains"]) + ".", "",
        "## Comparison", "", comparison_table(runs), "",
        *_targets_section(results["targets"]),
        "## Corruption families", "", family_table(runs), "",
        f"## Ablation (seed {meta['ablation_seeds']} only: one training run per variant)", "",
        table(abl_rows, ["variant", "held-out acc", "corrupted acc s>=3", "rel. err",
                         "image-only acc", "text-only acc", "i2r MR degr.", "r2i MR degr."]),
        "",
        "## How to read this", "",
        "- Accuracy is per-observation binary accuracy at p = 0.5, macro over the observations "
        "with both classes among the test studies (AUC likewise; an observation with no "
        "positive case is not measurable and left out); the linear probe is fitted on the "
        "source training studies' fused embeddings and never on test data.",
        "- Relative error: error above clean averaged over severities 1-5 (MedMNIST-C style, "
        "not normalised by the baseline).",
        "- BE / rBE: MedMNIST-C's balanced error (1 - balanced accuracy, mean over labels) "
        "averaged over severities, divided by the reference model's (BE), and its rise above "
        "clean divided by the reference's rise (rBE), per family then averaged; the reference "
        "is the baseline of the same seed (MedMNIST-C uses AlexNet), so the baseline scores 1 "
        "wherever the ratio is defined.",
        "- Retrieval degradation: perturbed mean rank minus clean mean rank (both sides "
        "corrupted at severity 3, every family in turn); the family table's \"MR degr.\" "
        "columns corrupt one family's modality only, every study, at severity 3.",
        "- The retrieval gallery mixes the source domains, and each domain pairs a scanner "
        "look with a report style. \"Top-1 from the query's domain\" shows how much a model "
        "retrieves by that style cue; the within-domain rows rank each query against its own "
        "domain's items only, so they measure content. A corruption that changes the look "
        "breaks the cue: most of a model's whole-gallery degradation with a small "
        "within-domain one is domain confusion. Robust-MMR's consistency term makes the "
        "embeddings style-invariant on purpose, which removes the cue and costs clean "
        "whole-gallery mean rank.",
        "- Robust-MMR's training policy perturbs with "
        + ", ".join(policy_families(cfg.get("policy", "default")))
        + "; the other corruption families are not seen in training (the second style views "
        "use source-domain scanner and report presets only).",
        "- Settings were chosen for the CPU budget and, where compared (training steps, "
        "which embeddings the consistency term covers, its weight on the retrieval "
        "projections), on a separate validation set of "
        "source-domain studies, never on held-out domains or on these test studies.",
        "- The synthetic data are small and the models tiny (CPU budget); numbers show the "
        "method's direction on this data, not the paper's benchmarks.", "",
        "## Figures", "",
        "![robustness curves](figures/robustness_curves.png)", "",
        "![per-domain accuracy](figures/domain_accuracy.png)", "",
        "![perturbation gallery](figures/perturbation_gallery.png)", "",
        "## Timings (s)", "",
        table([[k, v] for k, v in meta["timings_s"].items()], ["stage", "seconds"]), "",
    ]
    return "\n".join(lines)
