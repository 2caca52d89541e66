"""Tiny VQA-RAD and SLAKE trees in their released layouts, from generated images and rows
(shared by the VQA CLI and study tests; the suite never reads the real datasets)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

pytest.importorskip("tokenizers", reason="needs the train extra: pip install 'mmr[train]'")

from mmr_train.vqa import toy_vqa_rows


def write_slake(root: Path, tmp: Path) -> None:
    """``train``/``validate``/``test`` json and ``imgs/xmlab*/source.jpg`` under ``root``."""
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


def write_vqa_rad(root: Path, tmp: Path, train_questions: int = 2) -> None:
    """``trainset.json``/``testset.json`` and ``images/`` under ``root``."""
    (root / "images").mkdir(parents=True)
    for split, n in (("train", train_questions), ("test", 2)):
        entries = []
        for i, r in enumerate(toy_vqa_rows(tmp / f"rad{split}", n, "vqa_rad", split)):
            name = f"synpic{split}{i // 3}.jpg"
            shutil.copy(r.image, root / "images" / name)
            entries.append({"qid": len(entries), "image_name": name, "image_organ": r.organ,
                            "answer": r.answer, "answer_type": r.answer_type.upper(),
                            "question_type": r.question_type.upper(), "question": r.question,
                            "phrase_type": "freeform"})
        (root / f"{split}set.json").write_text(json.dumps(entries))
