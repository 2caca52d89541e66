"""`mmr-train vqa fit` and `mmr-train vqa eval` end to end on tiny files in the released
SLAKE and VQA-RAD layouts (fit, resume, eval with a user policy, cross-dataset, errors)."""

import json
import shutil

import pytest

pytest.importorskip("tokenizers", reason="needs the train extra: pip install 'mmr[train]'")

from mmr_augment import GaussianNoise, save_config
from mmr_train.cli import main
from mmr_train.vqa import toy_vqa_rows


def _slake(root, tmp):
    for split, n in (("train", 4), ("validate", 2), ("test", 2)):
        entries = []
        for i, r in enumerate(toy_vqa_rows(tmp / split, n, "slake", split)):
            name = f"xmlab{split}{i // 3}/source.jpg"
            (root / "imgs" / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(r.image, root / "imgs" / name)
            entries.append({"img_id": i // 3, "img_name": name, "question": r.question,
                            "answer": r.answer.upper(), "q_lang": "en", "location": r.organ,
                            "modality": {"x-ray": "X-Ray", "ct": "CT"}[r.modality],
                            "answer_type": r.answer_type.upper(), "base_type": "vqa",
                            "content_type": r.question_type, "qid": len(entries)})
        (root / f"{split}.json").write_text(json.dumps(entries))


def _vqa_rad(root, tmp):
    (root / "images").mkdir(parents=True)
    for split, n in (("train", 2), ("test", 2)):
        entries = []
        for i, r in enumerate(toy_vqa_rows(tmp / f"rad{split}", n, "vqa_rad", split)):
            name = f"synpic{split}{i // 3}.jpg"
            shutil.copy(r.image, root / "images" / name)
            entries.append({"qid": len(entries), "image_name": name, "image_organ": r.organ,
                            "answer": r.answer, "answer_type": r.answer_type.upper(),
                            "question_type": r.question_type.upper(), "question": r.question,
                            "phrase_type": "freeform"})
        (root / f"{split}set.json").write_text(json.dumps(entries))


@pytest.fixture(scope="module")
def roots(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("vqa_cli")
    _slake(tmp / "data" / "slake", tmp / "gen")
    _vqa_rad(tmp / "data" / "vqa_rad", tmp / "gen")
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
