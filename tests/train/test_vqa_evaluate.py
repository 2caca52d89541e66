"""VQA evaluation: clean breakdown, perturbed families, X-ray-only scoring, user policies,
reports and the comparison helper."""

import json

import pytest
import torch

pytest.importorskip("tokenizers", reason="needs the train extra: pip install 'mmr[train]'")

from mmr_augment import GaussianNoise, MultiModalPolicy, Sequential, save_config
from mmr_augment.errors import ConfigError, InputError
from mmr_augment.text import Typo
from mmr_train.vqa import finetune_vqa, toy_vqa_rows
from mmr_train.vqa.evaluate import evaluate_vqa, image_derangement
from mmr_train.vqa.inputs import QuestionSet
from mmr_train.vqa.model import load_vqa_run
from mmr_train.vqa.report import compare_vqa

FAMILIES = ["gaussian_noise", "grid_lines", "typo", "section_shuffle"]


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    folder = tmp_path_factory.mktemp("vqa_eval")
    train = toy_vqa_rows(folder / "train", 4)
    test = toy_vqa_rows(folder / "test", 2, split="test")
    run = finetune_vqa(train, train, folder / "run",
                       config={"epochs": 1, "batch_size": 6, "image_size": 32})
    return run, test, folder


def test_perturbed_evaluation_scores_families_and_writes_reports(setup, tmp_path):
    run, test, _ = setup
    res = evaluate_vqa(run, test, tmp_path / "ev", perturbations=FAMILIES, severities=(1, 5))
    assert res["clean"]["overall"]["total"] == 6
    assert res["clean"]["by"]["modality"]["x-ray"]["total"] == 3
    p = res["perturbed"]
    assert sorted(p["families"]) == ["gaussian_noise", "grid_lines", "typo"]
    assert "section_shuffle" in p["skipped"]  # a question has no sections to shuffle
    assert p["families"]["grid_lines"]["questions"] == 3  # X-ray questions only
    assert p["families"]["gaussian_noise"]["questions"] == 6
    assert sorted(p["both"]) == ["1", "5"]
    means = [f["mean"] for f in p["families"].values()]
    assert p["mean_all"] == pytest.approx(sum(means) / 3)
    assert p["worst"]["mean"] == min(means)
    saved = json.loads((tmp_path / "ev" / "results.json").read_text())
    assert saved["perturbed"]["severities"] == [1, 5]
    report = (tmp_path / "ev" / "report.md").read_text()
    assert "scored on the X-ray questions only" in report and "section_shuffle" in report
    assert (tmp_path / "ev" / "figures" / "severity.png").stat().st_size > 0
    again = evaluate_vqa(run, test, perturbations=FAMILIES, severities=(1, 5))["perturbed"]
    strip = lambda d: {n: f["severity"] for n, f in d["families"].items()}  # noqa: E731
    assert strip(again) == strip(p) and again["both"] == p["both"]

    out = compare_vqa({"baseline": [res], "robust_mmr": [saved]}, tmp_path / "cmp")
    text = out.read_text()
    assert "| metric | baseline | robust_mmr |" in text and "family typo" in text
    assert (tmp_path / "cmp" / "figures" / "comparison.png").is_file()


def test_xray_only_families_skip_non_xray_rows(setup):
    run, test, _ = setup
    ct = [r for r in test if r.modality == "ct"]
    res = evaluate_vqa(run, ct, perturbations=["grid_lines", "markers"], severities=(3,))
    assert res["clean_xray"] is None
    assert res["perturbed"]["families"] == {}
    assert set(res["perturbed"]["skipped"]) == {"grid_lines", "markers"}
    assert "no X-ray questions" in res["perturbed"]["skipped"]["markers"]


def test_user_policies(setup, tmp_path):
    run, test, _ = setup
    image = tmp_path / "image.yaml"
    save_config(GaussianNoise(std=0.3), image)
    res = evaluate_vqa(run, test, perturbations="none", policy=image)
    assert "perturbed" not in res
    assert res["policy"]["kind"] == "image" and res["policy"]["questions"] == 6
    multi = tmp_path / "multi.json"
    save_config(MultiModalPolicy(image=GaussianNoise(std=0.3), text=Typo(), drop={"image": 0.5}),
                multi)
    assert evaluate_vqa(run, test, perturbations="none", policy=multi)["policy"]["kind"] == \
        "multimodal"
    text = tmp_path / "text.yaml"
    save_config(Sequential([Typo(severity=5)]), text)
    assert evaluate_vqa(run, test, perturbations="none", policy=text)["policy"]["kind"] == "text"
    mixed = tmp_path / "mixed.yaml"
    mixed.write_text("type: Sequential\nops: [{type: GaussianNoise}, {type: Typo}]\n")
    with pytest.raises(ConfigError, match="MultiModalPolicy"):
        evaluate_vqa(run, test, perturbations="none", policy=mixed)


def test_evaluation_errors(setup):
    run, test, folder = setup
    with pytest.raises(InputError, match="unknown perturbation families"):
        evaluate_vqa(run, test, perturbations=["nosie"])
    with pytest.raises(InputError, match="within 1-5"):
        evaluate_vqa(run, test, severities=(0,))
    with pytest.raises(InputError, match="no rows"):
        evaluate_vqa(run, [])
    with pytest.raises(InputError, match="not a VQA run folder"):
        evaluate_vqa(folder, test)


def _accuracy(model, images, data, present=None):
    with torch.no_grad():
        logits = model.answer_logits(model.encode_images(images, present),
                                     model.encode_texts(data.input_ids, data.attention_mask))
    return (logits.argmax(1) == data.targets).float().mean().item()


def test_image_ablation_scores_no_image_and_another_image(setup, tmp_path):
    run, test, _ = setup
    res = evaluate_vqa(run, test, tmp_path / "ev", perturbations="none", seed=3)
    model, tokenizer, vocab, _ = load_vqa_run(run)
    data = QuestionSet.build(test, 32, tokenizer, model.backbone.config.model.max_text_length,
                             vocab)
    per_question = data.images[data.image_index]
    moved = data.images[image_derangement(len(data.images), 3)[data.image_index]]
    assert not torch.equal(moved, per_question)
    ablation = res["image_ablation"]
    assert ablation["shuffled"]["overall"] == pytest.approx(_accuracy(model, moved, data))
    absent = torch.zeros(len(data), dtype=torch.bool)
    assert ablation["absent"]["overall"] == pytest.approx(
        _accuracy(model, per_question, data, absent))
    assert ablation["absent"]["questions"] == 6
    assert "| image shuffled |" in (tmp_path / "ev" / "report.md").read_text()
    assert evaluate_vqa(run, test[:1], perturbations="none")["image_ablation"] is None


@pytest.mark.parametrize("n", [2, 3, 7, 50])
def test_image_derangement_moves_every_image(n):
    perm = image_derangement(n, seed=11)
    assert sorted(perm.tolist()) == list(range(n))
    assert not (perm == torch.arange(n)).any()
    assert torch.equal(perm, image_derangement(n, seed=11))
    assert image_derangement(1, seed=0).tolist() == [0]
