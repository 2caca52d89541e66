"""The demo end to end at a tiny size (``--quick``, one seed): results schema, report, figures."""

import json

import pytest

pytest.importorskip("tokenizers", reason="needs the train extra: pip install 'mmr[train]'")

from mmr_train.demo import ABLATIONS, HELD_OUT, SOURCE, main, run_config
from mmr_train.evaluate.compare import headline
from mmr_train.evaluate.results import EvaluationResult

HEADLINE_PARTS = ("cross_domain", "corruption", "missing_modality", "retrieval")


def test_held_out_presets_are_never_used_for_training():
    held_scanners = {s for s, _ in HELD_OUT}
    held_reports = {r for _, r in HELD_OUT}
    assert not held_scanners & {s for s, _ in SOURCE}
    assert not held_reports & {r for _, r in SOURCE}
    for change in (None, *ABLATIONS.values()):
        cfg = run_config("robust_mmr", 0, 5, change)
        assert not held_scanners & set(cfg.views.scanner)
        assert not held_reports & set(cfg.views.report)
    assert run_config("baseline", 1, 5).train.seed == 1


def test_quick_demo_writes_results_report_and_figures(tmp_path, capsys):
    assert main(["--quick", "--seeds", "1", "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert "| Held-out-domain accuracy (%) |" in printed and "Targets met:" in printed
    results = json.loads((tmp_path / "results.json").read_text())
    assert set(results["models"]) == {"baseline", "robust_mmr"}
    for model in results["models"].values():
        run = model["seeds"]["0"]
        assert all(part in run for part in HEADLINE_PARTS)
        fused = run["cross_domain"]["fused"]
        assert {"source", "held_out", "per_domain"} <= set(fused)
        assert len(fused["domains"]["held_out"]) == len(HELD_OUT)
        fams = run["corruption"]["families"]
        assert set(fams["jpeg"]["accuracy"]) == {"1", "3", "5"}
        assert {"R@1", "R@5", "R@10", "mean_rank"} <= set(
            run["retrieval"]["perturbed"]["image_to_report"])
        # the robustness set mixes the three source domains: within-domain retrieval too
        within = run["retrieval"]["within_domain"]
        typed = EvaluationResult.from_json(run)
        assert typed.to_json() == run and json.dumps(typed.to_json()) == json.dumps(run)
        h = headline(typed)
        assert h["i2r_within_mean_rank"] == within["clean"]["image_to_report"]["mean_rank"]
        assert h["r2i_within_degradation"] == within["degradation"]["report_to_image"]["delta"]
        assert 0.0 <= h["i2r_domain_match"] <= 1.0
    # MedMNIST-C's BE / rBE with the same-seed baseline as the reference: 1 for the baseline
    # wherever defined, and the rows and columns in the printed and written tables
    own = results["models"]["baseline"]["seeds"]["0"]["corruption"]["medmnistc"]
    assert own["reference"] == "baseline"
    assert {v for f in own["families"].values() for v in f.values() if v is not None} == {1.0}
    robust = results["models"]["robust_mmr"]["seeds"]["0"]["corruption"]["medmnistc"]
    assert set(robust["families"]) == set(own["families"]) and robust["rbe"]["image"] is not None
    assert results["ablation"]["no_consistency"]["corruption"]["medmnistc"]["reference"] == \
        "baseline"
    assert "| MedMNIST-C rBE, all families (reference = 1) |" in printed
    assert set(results["ablation"]) == {"full", *ABLATIONS}
    assert set(results["targets"]) == {"held_out_gain", "corruption", "missing_modality",
                                       "retrieval"}
    assert results["meta"]["wall_time_s"] > 0
    for name in ("robustness_curves", "domain_accuracy", "perturbation_gallery"):
        assert (tmp_path / "figures" / f"{name}.png").stat().st_size > 0
    report = (tmp_path / "report.md").read_text()
    assert "## Ablation" in report and "## Targets from the issue" in report
    assert "| rBE baseline | rBE robust_mmr |" in report
    for k in (0,):
        assert (tmp_path / "robust_mmr" / f"seed{k}" / "checkpoints" / "latest").is_file()
    assert (tmp_path / "data" / "test" / "manifest.csv").is_file()
