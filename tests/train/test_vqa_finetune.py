"""VQA fine-tuning: from scratch and from a `mmr-train fit` run, exact resume, errors."""

import json

import pytest
import torch
import yaml

pytest.importorskip("tokenizers", reason="needs the train extra: pip install 'mmr[train]'")

from mmr_augment.errors import ConfigError, InputError
from mmr_train.checkpoint import load_checkpoint
from mmr_train.vqa import finetune_vqa, load_vqa_run, toy_vqa_rows

CFG = {"epochs": 3, "batch_size": 4, "image_size": 32, "lr": 3e-4, "num_threads": 2}


@pytest.fixture(scope="module")
def rows(tmp_path_factory):
    folder = tmp_path_factory.mktemp("vqa")
    return toy_vqa_rows(folder / "train", 4), toy_vqa_rows(folder / "val", 2, split="val")


def _weights(path):
    return load_checkpoint(path)["model"]


def test_scratch_run_selects_on_validation_and_resumes_bit_identically(rows, tmp_path):
    train, val = rows
    full = finetune_vqa(train, val, tmp_path / "full", config=CFG)
    info = json.loads((full / "run.json").read_text())
    assert info["answers"] == ["chest", "ct", "head", "no", "x-ray", "yes"]
    assert info["pretrained"] is None and info["train_questions"] == 12
    metrics = [json.loads(line) for line in (full / "metrics.jsonl").read_text().splitlines()]
    assert [m["epoch"] for m in metrics] == [1, 2, 3]
    best = max(metrics, key=lambda m: m["val_overall"])  # first epoch reaching the max
    assert load_checkpoint(full / "best.pt")["epoch"] == best["epoch"]
    assert metrics[-1]["best_val_overall"] == best["val_overall"]

    part = finetune_vqa(train, val, tmp_path / "part", config=CFG, stop_after=1)
    assert len((part / "metrics.jsonl").read_text().splitlines()) == 1
    finetune_vqa(train, val, part, config=CFG, resume=True)
    a, b = _weights(full / "checkpoints" / "step_00000003.pt"), \
        _weights(part / "checkpoints" / "step_00000003.pt")
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert all(torch.equal(v, _weights(part / "best.pt")[k])
               for k, v in _weights(full / "best.pt").items())
    model, tokenizer, vocab, _ = load_vqa_run(full)
    assert not model.training and len(vocab) == 6 and tokenizer.vocab_size > 5


def test_same_seed_same_weights_augmentation_and_resume_guards(rows, tmp_path):
    train, val = rows
    cfg = dict(CFG, epochs=1)
    a = finetune_vqa(train, val, tmp_path / "a", config=cfg)
    b = finetune_vqa(train, val, tmp_path / "b", config=cfg)
    assert all(torch.equal(v, _weights(b / "best.pt")[k]) for k, v in
               _weights(a / "best.pt").items())
    noisy = finetune_vqa(train, val, tmp_path / "c", config=dict(
        cfg, augment={"type": "GaussianNoise", "std": 0.2}))
    assert not torch.equal(_weights(a / "best.pt")["head.layers.0.weight"],
                           _weights(noisy / "best.pt")["head.layers.0.weight"])
    with pytest.raises(ConfigError, match="already holds checkpoints"):
        finetune_vqa(train, val, a, config=cfg)
    with pytest.raises(ConfigError, match="cannot resume"):
        finetune_vqa(train, val, a, config=dict(cfg, lr=1e-3), resume=True)


def test_finetune_from_a_fit_run(rows, tmp_path):
    from mmr_train.fit import fit

    config = tmp_path / "fit.yaml"
    config.write_text(yaml.safe_dump({
        "preset": "tiny", "model": {"image_size": 32, "vocab_size": 300},
        "data": {"n": 8}, "train": {"batch_size": 4, "max_steps": 2, "warmup_steps": 1,
                                    "precision": "fp32"}}))
    fit(config, tmp_path / "pre", progress=False)
    train, val = rows
    run = finetune_vqa(train, val, tmp_path / "ft", pretrained=tmp_path / "pre",
                       config={"epochs": 1, "batch_size": 6})
    info = json.loads((run / "run.json").read_text())
    assert info["pretrained"] == str(tmp_path / "pre")
    assert info["model"]["model"]["image_size"] == 32
    pre = load_checkpoint(tmp_path / "pre" / "checkpoints" / "step_00000002.pt")["model"]
    tuned = _weights(run / "best.pt")
    # the backbone starts from the pretrained weights: parameters without gradient keep them
    assert torch.equal(tuned["backbone.decoder.mask_token"], pre["decoder.mask_token"])
    assert (run / "tokenizer.json").read_bytes() == \
        (tmp_path / "pre" / "checkpoints" / "tokenizer.json").read_bytes()
    with pytest.raises(ConfigError, match="image_size cannot be set"):
        finetune_vqa(train, val, tmp_path / "ft2", pretrained=tmp_path / "pre",
                     config={"image_size": 64})


def test_errors(rows, tmp_path):
    train, val = rows
    with pytest.raises(InputError, match="training and validation rows"):
        finetune_vqa([], val, tmp_path / "x")
    with pytest.raises(InputError, match="no checkpoint"):
        finetune_vqa(train, val, tmp_path / "y", pretrained=tmp_path / "missing")
    with pytest.raises(InputError, match="not a VQA run folder"):
        load_vqa_run(tmp_path)
