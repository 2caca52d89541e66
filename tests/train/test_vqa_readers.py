"""VQA-RAD and SLAKE readers, the VQA-RAD hold-out and the VQA pretraining manifest, on tiny
generated files in the released layouts (never the shared data)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

pytest.importorskip("tokenizers", reason="needs the train extra: pip install 'mmr[train]'")

from mmr_augment.errors import ConfigError, InputError
from mmr_train.data import (
    CONVERTERS,
    VQARow,
    build_vqa_pretraining_manifest,
    load_manifest,
    load_vqa_image,
    read_slake,
    read_vqa,
    read_vqa_rad,
    vqa_rad_holdout,
)


def _rad_entry(qid, image, question, answer, kind="CLOSED", qtype="PRES", organ="HEAD",
               phrase="freeform"):
    return {"qid": qid, "image_name": image, "image_organ": organ, "answer": answer,
            "answer_type": kind, "question_type": qtype, "question": question,
            "phrase_type": phrase}


RAD_TRAIN = [
    _rad_entry(1, "synpic1.jpg", "Is this an MRI?", "Yes", qtype="MODALITY"),
    _rad_entry(2, "synpic1.jpg", " Where is the lesion? ", "  Left   Temporal Lobe ", "OPEN",
               "POS", phrase="para"),
    _rad_entry(3, "synpic2.jpg", "What imaging modality was used?", "PA Xray", "OPEN",
               "MODALITY", "CHEST"),
    _rad_entry(4, "synpic2.jpg", "How many ribs?", 12, "OPEN", "COUNT", "CHEST"),
    _rad_entry(5, "synpic3.jpg", "Is this a CT image?", "no", "CLOSED ", "MODALITY", "ABD"),
]
RAD_TEST = [_rad_entry(6, "synpic3.jpg", "Is the liver enlarged?", "No", organ="ABD",
                       phrase="test_freeform"),
            _rad_entry(7, "synpic2.jpg", "Is this a CT scan?", "yes", qtype="MODALITY",
                       organ="CHEST", phrase="test_para")]


def _images(folder: Path, names):
    """A colour JPEG, a grey-as-RGB JPEG and a grey JPEG (sizes differ)."""
    folder.mkdir(parents=True, exist_ok=True)
    g = np.random.default_rng(0)
    grey = g.integers(0, 256, (24, 20), dtype=np.uint8)
    pictures = [Image.fromarray(g.integers(0, 256, (20, 30, 3), dtype=np.uint8), "RGB"),
                Image.fromarray(np.stack([grey] * 3, -1), "RGB"), Image.fromarray(grey, "L")]
    for name, picture in zip(names, pictures):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        picture.save(folder / name, quality=95)


@pytest.fixture
def vqa_rad(tmp_path):
    root = tmp_path / "vqa_rad"
    _images(root / "images", ["synpic1.jpg", "synpic2.jpg", "synpic3.jpg"])
    (root / "trainset.json").write_text(json.dumps(RAD_TRAIN))
    (root / "testset.json").write_text(json.dumps(RAD_TEST))
    public = [{**e, "qid": str(e["qid"]), "question_rephrase": "NULL", "bbox": [0, 0, 1, 1]}
              for e in RAD_TRAIN + RAD_TEST]
    (root / "VQA_RAD_Dataset_Public.json").write_text(json.dumps(public))
    return root


def _slake_entry(qid, image, question, answer, lang="en", modality="CT", kind="OPEN"):
    return {"img_id": int(image[5:]), "img_name": f"{image}/source.jpg", "question": question,
            "answer": answer, "q_lang": lang, "location": "Brain_Tissue", "modality": modality,
            "answer_type": kind, "base_type": "vqa", "content_type": "Organ",
            "triple": "['vhead', '_', '_']", "qid": qid}


@pytest.fixture
def slake(tmp_path):
    root = tmp_path / "slake"
    _images(root / "imgs", ["xmlab0/source.jpg", "xmlab1/source.jpg", "xmlab2/source.jpg"])
    train = [_slake_entry(10, "xmlab0", "What organ is shown?", "Brain ", modality="MRI"),
             _slake_entry(11, "xmlab0", "图中是什么器官?", "脑", lang="zh", modality="MRI"),
             _slake_entry(12, "xmlab1", "Is this a chest X-ray?", "Yes", modality="X-Ray",
                          kind="CLOSED")]
    (root / "train.json").write_text(json.dumps(train, ensure_ascii=False))
    (root / "validate.json").write_text(json.dumps([_slake_entry(13, "xmlab2", "Q?", "A")]))
    (root / "test.json").write_text(json.dumps([]))
    return root


def test_vqa_rad_split_layout_rows_exactly(vqa_rad):
    rows = read_vqa_rad(vqa_rad)
    images = vqa_rad.resolve() / "images"
    assert rows[1] == VQARow(images / "synpic1.jpg", "Where is the lesion?",
                             "left temporal lobe", "open", "head", "mri", "pos", "2",
                             "synpic1.jpg", "vqa_rad", "train")
    assert [r.answer for r in rows] == ["yes", "left temporal lobe", "pa xray", "12", "no"]
    assert [r.answer_type for r in rows] == ["closed", "open", "open", "open", "closed"]
    # modality from training answers only: synpic3's only vote is a "no" -> unknown
    assert [r.modality for r in rows] == ["mri", "mri", "x-ray", "x-ray", ""]
    test = read_vqa("vqa_rad", vqa_rad, "test")
    assert [(r.qid, r.modality, r.split) for r in test] == [("6", "", "test"),
                                                            ("7", "x-ray", "test")]


def test_vqa_rad_public_layout_splits_on_phrase_type(vqa_rad):
    train = read_vqa_rad(vqa_rad, "train", layout="public")
    test = read_vqa_rad(vqa_rad, "test", layout="public")
    assert [r.qid for r in train] == ["1", "2", "3", "4", "5"]
    assert [r.qid for r in test] == ["6", "7"]
    assert train == read_vqa_rad(vqa_rad, "train")


def test_slake_reader_filters_language_and_normalises(slake):
    rows = read_slake(slake)
    imgs = slake.resolve() / "imgs"
    assert rows == [
        VQARow(imgs / "xmlab0" / "source.jpg", "What organ is shown?", "brain", "open",
               "brain_tissue", "mri", "organ", "10", "xmlab0", "slake", "train"),
        VQARow(imgs / "xmlab1" / "source.jpg", "Is this a chest X-ray?", "yes", "closed",
               "brain_tissue", "x-ray", "organ", "12", "xmlab1", "slake", "train")]
    assert [r.answer for r in read_slake(slake, lang="zh")] == ["脑"]
    assert len(read_slake(slake, lang=None)) == 3
    assert [r.split for r in read_vqa("slake", slake, "validate")] == ["validate"]
    assert read_slake(slake, "test") == []


def _rewrite(path: Path, index: int, **changes):
    data = json.loads(path.read_text())
    data[index] = {k: v for k, v in {**data[index], **changes}.items() if v is not None}
    path.write_text(json.dumps(data))


@pytest.mark.parametrize("changes, message", [
    ({"answer": None}, "row 2 (qid '3'): missing field 'answer'"),
    ({"answer_type": "MAYBE"}, "row 2 (qid '3'): unknown answer_type 'maybe'"),
    ({"image_name": "synpic9.jpg"}, "row 2 (qid '3'): image file"),
    ({"question": ["a"]}, "row 2 (qid '3'): field 'question' must be text"),
])
def test_vqa_rad_errors_name_file_and_row(vqa_rad, changes, message):
    _rewrite(vqa_rad / "trainset.json", 2, **changes)
    with pytest.raises(InputError, match="trainset.json") as err:
        read_vqa_rad(vqa_rad)
    assert message in str(err.value)


def test_slake_errors_name_file_and_row(slake):
    _rewrite(slake / "train.json", 2, modality="PET")
    with pytest.raises(InputError, match=r"train.json row 2 \(qid '12'\): unknown modality"):
        read_slake(slake)
    (slake / "validate.json").write_text('{"qid": 1}')
    with pytest.raises(InputError, match="validate.json holds a JSON dict, expected a list"):
        read_slake(slake, "val")
    (slake / "validate.json").write_text('[{"qid": 1},')
    with pytest.raises(InputError, match="validate.json is not valid JSON"):
        read_slake(slake, "validate")
    with pytest.raises(InputError, match="test.json not found"):
        read_slake(slake / "imgs", "test")
    with pytest.raises(ConfigError, match="unknown VQA dataset 'vqa-rad'"):
        read_vqa("vqa-rad", slake, "train")


def test_readers_refuse_a_root_that_is_not_a_folder(tmp_path):
    for reader, name in ((read_vqa_rad, "vqa_rad"), (read_slake, "slake")):
        with pytest.raises(InputError, match=f"^{name}: dataset root .*missing is not a folder$"):
            reader(tmp_path / "missing", "train")


def test_colour_rule_is_the_same_for_both_datasets(vqa_rad, slake):
    rad, sl = read_vqa_rad(vqa_rad), read_slake(slake)
    for row in (rad[0], sl[0]):  # the colour JPEG: Pillow "L" (ITU-R 601 luma), then / 255
        with Image.open(row.image) as opened:
            rgb = np.asarray(opened, dtype=np.float64)
        luma = rgb @ [0.299, 0.587, 0.114] / 255
        x = load_vqa_image(row.image, 30)[0].double()  # 30 wide: only the height is resized
        assert x.shape == (30, 30) and abs(float(x.mean()) - luma.mean()) < 3e-3
    grey_rgb, grey = load_vqa_image(rad[2].image, 16), load_vqa_image(rad[4].image, 16)
    assert torch.allclose(grey_rgb, grey, atol=3 / 255)  # grey stored as RGB stays grey


def test_holdout_groups_by_image_and_is_seeded():
    rows = [VQARow(Path(f"{i % 10}.jpg"), "Q?", "yes", "closed", "head", "", "pres", str(i),
                   f"{i % 10}.jpg", "vqa_rad", "train") for i in range(40)]
    fit, held = vqa_rad_holdout(rows, 0.2, seed=3)
    assert {r.image_id for r in fit}.isdisjoint({r.image_id for r in held})
    assert len(held) == 8 and len(fit) + len(held) == 40
    assert sorted({r.image_id for r in held}) == ["6.jpg", "9.jpg"]  # default_rng(3): 9, 6, ...
    reversed_fit, reversed_held = vqa_rad_holdout(rows[::-1], 0.2, seed=3)  # order-free
    assert reversed_fit == fit[::-1] and reversed_held == held[::-1]
    assert {r.image_id for r in vqa_rad_holdout(rows, 0.2, seed=4)[1]} != {"6.jpg", "9.jpg"}
    with pytest.raises(InputError, match="test rows"):
        vqa_rad_holdout([*rows, VQARow(**{**rows[0].__dict__, "split": "test"})])
    with pytest.raises(ConfigError, match="fraction"):
        vqa_rad_holdout(rows, 1.0)


def test_pretraining_manifest_one_row_per_image_from_given_rows(vqa_rad, slake, tmp_path):
    rows = read_vqa_rad(vqa_rad) + read_slake(slake)
    path = build_vqa_pretraining_manifest(rows, tmp_path / "corpus", size=16)
    manifest = load_manifest(path)
    assert [r.id for r in manifest] == ["vqa_rad/synpic1", "vqa_rad/synpic2", "vqa_rad/synpic3",
                                        "slake/xmlab0", "slake/xmlab1"]
    assert manifest[0].report == "Is this an MRI? Yes. Where is the lesion? Left temporal lobe."
    assert manifest[2].report == "Is this a CT image? No."
    assert manifest.domains == {"vqa_rad": 0, "slake": 1}
    assert {r.split for r in manifest} == {"train"}
    png = np.asarray(Image.open(manifest[0].image), dtype=np.float32) / 255
    assert png.shape == (16, 16)
    assert np.abs(png - load_vqa_image(rows[0].image, 16)[0].numpy()).max() <= 0.5 / 255 + 1e-6
    with pytest.raises(InputError, match="test question"):
        build_vqa_pretraining_manifest(read_vqa_rad(vqa_rad, "test"), tmp_path / "leak")


def test_converters_build_from_a_root_with_training_rows_only(vqa_rad, slake, tmp_path):
    assert CONVERTERS["vqa-rad"](vqa_rad, tmp_path / "rad" / "m.csv") == 3
    full = load_manifest(tmp_path / "rad" / "m.csv")
    assert "liver" not in " ".join(r.report for r in full)  # a test question
    with Image.open(full[0].image) as png, Image.open(vqa_rad / "images" / "synpic1.jpg") as jpg:
        assert png.mode == "L" and png.size == (30, 20)  # own size when size is None
        assert np.array_equal(np.asarray(png), np.asarray(jpg.convert("L")))
    assert CONVERTERS["slake"](slake, tmp_path / "sl" / "m.csv", size=8) == 2
    (vqa_rad / "images" / "synpic3.jpg").write_bytes(b"not a jpeg")
    with pytest.raises(InputError, match="synpic3.jpg cannot be read"):
        CONVERTERS["vqa-rad"](vqa_rad, tmp_path / "bad" / "m.csv")


@pytest.mark.slow  # a real `mmr-train fit` subprocess: about a minute on 2 shared cores
def test_mmr_train_fit_trains_on_a_vqa_manifest(vqa_rad, slake, tmp_path):
    from train_fit_cases import run_fit, write_config

    rows = read_vqa_rad(vqa_rad) + read_slake(slake)
    path = build_vqa_pretraining_manifest(rows, tmp_path / "corpus", size=32)
    config = write_config(tmp_path / "cfg", data={"kind": "manifest", "path": str(path),
                                                  "second_view": "style"},
                          train={"max_steps": 2, "checkpoint_every": 2})
    done = run_fit(config, tmp_path / "run")
    assert done.returncode == 0, done.stdout + done.stderr
    steps = [json.loads(line)["step"]
             for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert steps == [1, 2]
