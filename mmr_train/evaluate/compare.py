"""Several models, several seeds: headline numbers, mean and std, and the paper's targets.

Headline metrics of one evaluation (:func:`headline`), all "higher is better" except ranks,
relative errors and degradations:

- ``source_accuracy`` / ``source_auc`` / ``held_out_accuracy`` / ``held_out_auc``: fused
  probe, macro over observations, mean over domains; ``held_out_accuracy_image``: the same on
  image-encoder features.
- ``clean_accuracy``: the robustness set, both modalities; ``corrupted_accuracy_s3plus``:
  mean over families and severities >= 3; ``relative_error`` (all families), and per modality.
- ``clean_balanced_error``: the robustness set's balanced error (MedMNIST-C's error);
  ``medmnistc_be`` / ``medmnistc_rbe`` (all families) and ``..._image`` (the image families,
  MedMNIST-C's own set): its BE and rBE against the reference model, None without one.
- ``image_only_accuracy`` / ``text_only_accuracy``: missing-modality probe accuracy.
- ``{i2r,r2i}_{R@1,R@5,R@10}``, ``..._mean_rank`` and ``..._mean_rank_perturbed``,
  ``..._degradation`` (perturbed minus clean mean rank); ``..._within_mean_rank`` and
  ``..._within_degradation``, the same with each query's gallery restricted to its own domain,
  and ``..._domain_match``, the clean share of top-1 items from the query's domain (None when
  the robustness set has one domain).

Example:
    >>> aggregate([{"x": 1.0}, {"x": 3.0}])["x"]
    {'mean': 2.0, 'std': 1.414..., 'values': [1.0, 3.0]}
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import Any

from .results import EvaluationResult, RankScores

DIRECTIONS = {"i2r": "image_to_report", "r2i": "report_to_image"}
#: Held-out accuracy gain, in points, that the paper reports over the strongest baseline.
TARGET_GAIN_POINTS = 3.8
TARGET_DEGRADATION_FACTOR = 2.0


def family_s3plus(result: EvaluationResult) -> dict[str, float]:
    """Per corruption family: mean probe accuracy over severities >= 3."""
    means = {name: fam.s3plus() for name, fam in result.corruption.families.items()}
    return {name: m for name, m in means.items() if m is not None}


def headline(result: EvaluationResult) -> dict[str, float | None]:
    """The flat headline metrics of one evaluation (see the module docstring)."""
    fused, cor, miss = result.cross_domain.fused, result.corruption, result.missing_modality
    h: dict[str, float | None] = {
        "source_accuracy": fused.source.accuracy,
        "source_auc": fused.source.auc,
        "held_out_accuracy": fused.held_out.accuracy,
        "held_out_auc": fused.held_out.auc,
        "held_out_accuracy_image": result.cross_domain.by_features["image"].held_out.accuracy,
        "clean_accuracy": cor.clean.accuracy,
    }
    s3 = list(family_s3plus(result).values())
    h["corrupted_accuracy_s3plus"] = sum(s3) / len(s3) if s3 else None
    h["relative_error"] = cor.mean_relative_error.all
    h["relative_error_image"] = cor.mean_relative_error.image
    h["relative_error_text"] = cor.mean_relative_error.text
    h["clean_balanced_error"] = cor.clean_balanced_error
    mc = cor.medmnistc
    for key in ("be", "rbe"):
        h[f"medmnistc_{key}"] = getattr(mc, key).all if mc else None
        h[f"medmnistc_{key}_image"] = getattr(mc, key).image if mc else None
    h["image_only_accuracy"] = miss.image_only.accuracy
    h["text_only_accuracy"] = miss.text_only.accuracy
    ret, within = result.retrieval, result.retrieval.within_domain
    for short, key in DIRECTIONS.items():
        clean: RankScores = getattr(ret.clean, key)
        for k, v in clean.recall.items():
            h[f"{short}_R@{k}"] = v
        h[f"{short}_mean_rank"] = clean.mean_rank
        h[f"{short}_mean_rank_perturbed"] = getattr(ret.perturbed, key).mean_rank
        h[f"{short}_degradation"] = getattr(ret.degradation, key).delta
        inside: RankScores | None = getattr(within.clean, key) if within else None
        h[f"{short}_within_mean_rank"] = inside.mean_rank if inside else None
        h[f"{short}_within_degradation"] = (getattr(within.degradation, key).delta
                                            if within else None)
        h[f"{short}_domain_match"] = inside.domain_match if inside else None
    return h


def aggregate(rows: Sequence[dict[str, float | None]]) -> dict[str, dict[str, Any]]:
    """Mean, sample standard deviation (0 for one value) and the values, per metric."""
    out = {}
    for key in rows[0]:
        values = [r[key] for r in rows if r.get(key) is not None]
        if not values:
            out[key] = {"mean": None, "std": None, "values": []}
            continue
        std = statistics.stdev(values) if len(values) > 1 else 0.0
        out[key] = {"mean": statistics.fmean(values), "std": std, "values": values}
    return out


def targets(base_runs: Sequence[EvaluationResult], robust_runs: Sequence[EvaluationResult]
            ) -> dict[str, Any]:
    """Whether Robust-MMR meets each target of the issue against the baseline.

    - ``held_out_gain``: mean held-out accuracy gain >= 3.8 points and larger than the larger
      of the two models' standard deviations over seeds.
    - ``corruption``: ahead (mean over seeds) under every family at severity >= 3.
    - ``missing_modality``: ahead with the image only and with the text only.
    - ``retrieval``: the baseline's mean-rank degradation is >= 2x Robust-MMR's, both ways.
    """
    b = aggregate([headline(r) for r in base_runs])
    r = aggregate([headline(x) for x in robust_runs])
    gain = 100 * (r["held_out_accuracy"]["mean"] - b["held_out_accuracy"]["mean"])
    noise = 100 * max(b["held_out_accuracy"]["std"], r["held_out_accuracy"]["std"])
    fam_b = aggregate([family_s3plus(x) for x in base_runs])
    fam_r = aggregate([family_s3plus(x) for x in robust_runs])
    behind = sorted(f for f in fam_b if fam_r[f]["mean"] <= fam_b[f]["mean"])
    missing = {k: r[k]["mean"] - b[k]["mean"] for k in ("image_only_accuracy",
                                                        "text_only_accuracy")}
    factors, ok = {}, []
    for short in DIRECTIONS:
        db, dr = b[f"{short}_degradation"]["mean"], r[f"{short}_degradation"]["mean"]
        factors[short] = db / dr if dr > 0 else None  # None: Robust-MMR does not degrade
        ok.append(db / dr >= TARGET_DEGRADATION_FACTOR if dr > 0 else db > 0)
    return {
        "held_out_gain": {"gain_points": gain, "noise_points": noise,
                          "met": gain >= TARGET_GAIN_POINTS and gain > noise},
        "corruption": {"families": len(fam_b), "ahead": len(fam_b) - len(behind),
                       "behind": behind, "met": not behind},
        "missing_modality": {"gain": missing, "met": all(v > 0 for v in missing.values())},
        "retrieval": {"degradation_factor": factors, "met": all(ok)},
    }
