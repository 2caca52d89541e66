"""VQA answer vocabulary, accuracy breakdowns, config validation and family metadata."""

import argparse

import pytest
import torch

pytest.importorskip("tokenizers", reason="needs the train extra: pip install 'mmr[train]'")

from mmr_augment.errors import ConfigError, InputError
from mmr_train.data.vqa_rows import VQARow
from mmr_train.vqa import AnswerVocab, VQAConfig, load_vqa_config, score, vqa_config_from_dict
from mmr_train.vqa.command import parse_severities, training_splits
from mmr_train.vqa.evaluate import comparable_yes_no
from mmr_train.vqa.perturb import XRAY_ONLY, perturb_images, vqa_families


def _row(answer, kind="closed", organ="chest", modality="x-ray", qtype="pres"):
    return VQARow(image="a.png", question="q?", answer=answer, answer_type=kind, organ=organ,
                  modality=modality, question_type=qtype, qid="1", image_id="a.png",
                  dataset="slake", split="test")


def test_vocabulary_is_sorted_distinct_training_answers():
    vocab = AnswerVocab.from_answers(["yes", "no", "yes", "left lung"])
    assert vocab.answers == ["left lung", "no", "yes"]
    assert [vocab.index(a) for a in ("no", "yes", "liver")] == [1, 2, -1]
    with pytest.raises(InputError, match="empty"):
        AnswerVocab.from_answers([])


def test_breakdown_counts_on_a_hand_made_prediction_set():
    vocab = AnswerVocab.from_answers(["yes", "no", "lung", "liver"])
    truth = ["yes", "no", "yes", "lung", "liver", "heart"]   # "heart": out of vocabulary
    pred = ["yes", "yes", "yes", "lung", "lung", "lung"]
    kinds = ["closed", "closed", "closed", "open", "open", "open"]
    groups = {"organ": ["chest", "chest", "abd", "chest", "abd", "chest"],
              "modality": ["x-ray", "ct", "ct", "x-ray", "mri", ""]}
    out = score(pred, truth, kinds, groups, vocab)
    assert out["overall"] == {"correct": 3, "total": 6, "accuracy": 0.5}
    assert out["closed"] == {"correct": 2, "total": 3, "accuracy": 2 / 3}
    assert out["open"] == {"correct": 1, "total": 3, "accuracy": 1 / 3}
    assert out["out_of_vocabulary"] == 1
    assert out["by"]["organ"] == {"abd": {"correct": 1, "total": 2, "accuracy": 0.5},
                                  "chest": {"correct": 2, "total": 4, "accuracy": 0.5}}
    assert {k: (v["correct"], v["total"]) for k, v in out["by"]["modality"].items()} == {
        "ct": (1, 2), "mri": (0, 1), "unknown": (0, 1), "x-ray": (2, 2)}
    with pytest.raises(InputError, match="predictions"):
        score(pred[:2], truth, kinds, {}, vocab)


def test_open_accuracy_is_none_without_open_questions():
    out = score(["yes"], ["yes"], ["closed"], {}, AnswerVocab(["yes"]))
    assert out["open"] == {"correct": 0, "total": 0, "accuracy": None}


def test_comparable_yes_no_keeps_closed_yes_no_only():
    rows = [_row("yes"), _row("no"), _row("left", "closed"), _row("yes", "open"), _row("lung",
                                                                                       "open")]
    assert [r.answer for r in comparable_yes_no(rows)] == ["yes", "no"]


def test_config_errors_and_yaml(tmp_path):
    assert vqa_config_from_dict({"lr": 1}).lr == 1.0
    for bad, match in (({"epochs": 0}, "epochs must be >= 1"), ({"lr": "x"}, "must be float"),
                       ({"warmup_fraction": 2.0}, r"must be in \[0, 1\]"),
                       ({"bach_size": 2}, "batch_size"), ({"lr": -1.0}, "lr must be >= 0"),
                       ({"augment": "noise"}, "augment"), ({"device": "tpu"}, "device"),
                       ({"image_size": 4}, "image_size"), ({"epochs": True}, "must be int")):
        with pytest.raises(ConfigError, match=match):
            vqa_config_from_dict(bad)
    path = tmp_path / "vqa.yaml"
    path.write_text("epochs: 2\nseed: 3\n")
    assert (load_vqa_config(path).epochs, load_vqa_config(path).seed) == (2, 3)
    assert load_vqa_config(None) == VQAConfig()
    path.write_text("epoch: 2\n")
    with pytest.raises(ConfigError, match=r"vqa\.yaml.*did you mean 'epochs'"):
        load_vqa_config(path)


def test_families_flag_radiograph_only_ones_and_keep_meaning():
    fams = vqa_families()
    assert {n for n, f in fams.items() if f.xray_only} == set(XRAY_ONLY)
    text = {n for n, f in fams.items() if f.modality == "text"}
    assert {"typo", "synonym", "abbreviation", "case_whitespace"} <= text
    assert not text & {"word_dropout", "truncate", "sentence_delete", "negation_flip"}


def test_two_way_families_perturb_in_their_own_direction():
    fams = vqa_families()
    x = torch.full((2, 1, 16, 16), 0.5)
    for name in ("brightness", "contrast", "gamma"):
        up, down = fams[f"{name}_up"], fams[f"{name}_down"]
        assert (up.direction, down.direction) == ("up", "down")
        assert up.op(5).to_config() != down.op(5).to_config()
    assert perturb_images(x, fams["brightness_up"], 5).mean() > 0.5
    assert perturb_images(x, fams["brightness_down"], 5).mean() < 0.5
    assert fams["gaussian_noise"].direction is None


def test_severity_parsing_and_unknown_dataset():
    assert parse_severities("1-5") == [1, 2, 3, 4, 5]
    assert parse_severities("5,1-2") == [1, 2, 5]
    for bad in ("0-2", "x", "4-9"):
        with pytest.raises(argparse.ArgumentTypeError):
            parse_severities(bad)
    with pytest.raises(InputError, match="unknown dataset 'pathvqa'"):
        training_splits("pathvqa", "nowhere")
