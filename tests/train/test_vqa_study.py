"""benchmarks/vqa_study.py end to end in quick mode on tiny generated files in the released
VQA-RAD and SLAKE layouts (the suite never needs the shared data)."""

import importlib.util
import json
import sys
from pathlib import Path

import pytest

pytest.importorskip("tokenizers", reason="needs the train extra: pip install 'mmr[train]'")

from vqa_layouts import write_slake, write_vqa_rad

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "vqa_study.py"


@pytest.fixture(scope="module")
def study():
    spec = importlib.util.spec_from_file_location("vqa_study", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["vqa_study"] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    yield module
    del sys.modules["vqa_study"]


@pytest.fixture(scope="module")
def roots(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("vqa_study")
    write_slake(tmp / "slake", tmp / "gen")
    write_vqa_rad(tmp / "vqa_rad", tmp / "gen", train_questions=4)
    return tmp


def test_quick_study_end_to_end(study, roots, tmp_path, capsys):
    work = tmp_path / "work"
    assert study.main(["--vqa-rad", str(roots / "vqa_rad"), "--slake", str(roots / "slake"),
                       "--setting", "cpu", "--quick", "--jobs", "1", "--work", str(work)]) == 0
    printed = capsys.readouterr().out
    assert "| vqa_rad | robust_mmr |" in printed and "| slake | scratch |" in printed
    res = json.loads((work / "results.json").read_text())
    # Corpus: training images only (VQA-RAD: its fit part), one report per image.
    corpus = res["meta"]["corpus"]
    assert corpus["images"] == {"vqa_rad": 3, "slake": 4} and corpus["questions"] == 21
    manifest = (work / "corpus" / "manifest.csv").read_text()
    assert "synpictest" not in manifest and "xmlabtest" not in manifest
    for dataset in ("vqa_rad", "slake"):
        entry = res["summary"][dataset]
        assert set(entry["models"]) == {"baseline", "robust_mmr", "scratch"}
        base = res["per_seed"][dataset]["baseline"][0]
        assert 0 <= base["clean_overall"] <= 1 and base["perturbed_mean"] is not None
        assert res["per_seed"][dataset]["scratch"][0]["perturbed_mean"] is None  # clean only
        assert set(entry["deltas"]) == set(base["families"]) and "typo" in entry["deltas"]
        assert set(entry["targets"]) == {"clean", "perturbed"}
        assert (work / "figures" / dataset / "figures" / "comparison.png").is_file()
    assert (work / "figures" / "family_deltas.png").is_file()
    assert "Robust-MMR minus baseline per family" in (work / "report.md").read_text()
    # Same pretraining budget and corpus for both methods; Robust-MMR restyles its second view.
    cfg = {m: (work / "pretrain" / m / "seed0.yaml").read_text() for m in ("baseline",
                                                                         "robust_mmr")}
    assert cfg["baseline"].replace("baseline", "robust_mmr") == cfg["robust_mmr"]
    assert "second_view: style" in cfg["robust_mmr"]
    # Cross-dataset: the other benchmark's closed yes/no test questions (2 images -> 2).
    cross = json.loads((work / "eval" / "slake" / "baseline" / "seed0" / "cross" /
                        "results.json").read_text())
    assert cross["dataset"] == ["vqa_rad"] and cross["questions"] == 2
    # Every job is marked done, so a rerun resumes with nothing left to do.
    setting = study.study_setting("cpu", quick=True, jobs=1)
    plan = study.plan(setting, {"vqa_rad": roots / "vqa_rad", "slake": roots / "slake"}, work,
                      corpus["manifest"])
    assert len(plan) == 15  # 3 pretrainings (the floor's is its step 0), 6 fits, 6 evaluations
    assert set(study.run_jobs(plan, 1, 0)) == {job.name for job in plan}
    assert capsys.readouterr().out == ""


def test_targets_rule(study):
    def stats(clean, clean_std, pert, pert_std):
        return {"clean_overall": {"mean": clean, "std": clean_std},
                "perturbed_mean": {"mean": pert, "std": pert_std}}

    t = study.targets(stats(0.60, 0.02, 0.50, 0.01), stats(0.59, 0.01, 0.54, 0.02))
    assert t["clean"]["met"] and t["perturbed"]["met"]
    assert t["perturbed"]["delta_points"] == pytest.approx(4.0)
    t = study.targets(stats(0.60, 0.01, 0.50, 0.05), stats(0.57, 0.01, 0.54, 0.01))
    assert not t["clean"]["met"] and not t["perturbed"]["met"]  # 4 points < 5-point std


def test_gpu_setting_needs_cuda(study, roots, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(study.torch.cuda, "is_available", lambda: False)
    assert study.main(["--vqa-rad", str(roots / "vqa_rad"), "--slake", str(roots / "slake"),
                       "--setting", "gpu", "--work", str(tmp_path)]) == 2
    assert "needs a CUDA device" in capsys.readouterr().err
