"""`mmr-train vqa fit` and `mmr-train vqa eval` end to end on tiny files in the released
SLAKE and VQA-RAD layouts (fit, resume, eval with a user policy, cross-dataset, errors)."""

import json

import pytest

pytest.importorskip("tokenizers", reason="needs the train extra: pip install 'mmr[train]'")

from vqa_layouts import write_slake, write_vqa_rad

from mmr_augment import GaussianNoise, save_config
from mmr_train.cli import main


@pytest.fixture(scope="module")
def roots(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("vqa_cli")
    write_slake(tmp / "data" / "slake", tmp / "gen")
    write_vqa_rad(tmp / "data" / "vqa_rad", tmp / "gen")
    return tmp


def test_fit_and_eval_with_policy_and_cross(roots, capsys):
    data, run, cfg = roots / "data", roots / "run", roots / "vqa.yaml"
    cfg.write_text("epochs: 2\nbatch_size: 6\nimage_size: 32\n")
    base = ["vqa", "fit", "--dataset", "slake", "--root", str(data / "slake"), "--out",
            str(run), "--config", str(cfg)]
    assert main(base) == 0
    assert "12 training, 6 validation questions" in capsys.readouterr().out
    assert main(base) == 2  # checkpoints exist, no --resume
    assert "pass --resume" in capsys.readouterr().err
    assert main(base + ["--resume"]) == 0
    policy = roots / "policy.yaml"
    save_config(GaussianNoise(std=0.2), policy)
    out = roots / "eval"
    assert main(["vqa", "eval", str(run), "--dataset", "slake", "--root", str(data / "slake"),
                 "--out", str(out), "--perturbation", str(policy), "--cross"]) == 0
    res = json.loads((out / "results.json").read_text())
    assert res["clean"]["overall"]["total"] == 6 and res["policy"]["kind"] == "image"
    cross = json.loads((out / "cross" / "results.json").read_text())
    assert cross["dataset"] == ["vqa_rad"] and cross["questions"] == 2  # closed yes/no only
    assert "exactly 'yes' or 'no'" in (out / "cross" / "report.md").read_text()


def test_cli_errors(roots, capsys):
    data = roots / "data"
    assert main(["vqa", "fit", "--dataset", "pathvqa", "--root", str(data), "--out",
                 str(roots / "x")]) == 2
    assert "unknown dataset 'pathvqa'" in capsys.readouterr().err
    assert main(["vqa", "fit", "--dataset", "slake", "--root", str(data / "slake"), "--out",
                 str(roots / "y"), "--pretrained", str(roots / "missing")]) == 2
    assert "no checkpoint" in capsys.readouterr().err
    assert main(["vqa", "eval", str(roots / "none"), "--dataset", "slake", "--root",
                 str(data / "slake"), "--out", str(roots / "z"), "--perturbation", "none"]) == 2
    assert "not a VQA run folder" in capsys.readouterr().err
