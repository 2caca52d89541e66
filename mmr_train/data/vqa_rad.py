"""VQA-RAD (Lau et al., Scientific Data 2018) -> :class:`~mmr_train.data.VQARow` lists.

Two released layouts, both with the 315 images in ``ROOT/images/synpic*.jpg``:

- ``layout="split"``: ``trainset.json`` (3,064 questions) / ``testset.json`` (451), the split
  the medical VQA literature (MEVF, M3AE) reports on. ``split`` is ``"train"`` or ``"test"``.
- ``layout="public"``: the official ``VQA_RAD_Dataset_Public.json``. Its test questions are the
  entries whose ``phrase_type`` is ``test_freeform`` or ``test_para`` (451, the same questions as
  ``testset.json``); every other entry (``freeform``, ``para``: 1,797) is training. One row per
  entry, from its ``question`` field (``question_rephrase`` / ``question_frame`` are not
  expanded, so this training set is smaller than ``trainset.json``).

VQA-RAD has no modality field. It is derived per image from that image's **training** questions
(never a test answer): each question votes for the modalities its answer names ("CT", "MRI -
FLAIR", "PA xray"); if the answer names none and is not "no", for those its question names ("Is
this an MRI?" -> yes; "Is there blood on this head CT?"). Words: ``ct`` -> ``ct``; ``mri``,
``mr``, ``flair``, ``t1``, ``t2``, ``dwi``, ``adc``, ``diffusion weighted`` -> ``mri``;
``x-ray``, ``xray``, ``cxr``, ``radiograph``, ``film``, ``kub`` -> ``x-ray``. The most voted
modality wins; no vote or a tie gives ``""`` (about two thirds of the images: most are never
asked about their modality). There is no fallback from the organ: each of the release's organs
(head, chest, abdomen) is imaged by more than one modality, so the organ never decides it.

No validation split exists: :func:`vqa_rad_holdout` holds out a fixed, seeded part of the
training questions, grouped by image, for model selection.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from mmr_augment.errors import ConfigError, InputError

from ._vqa_json import QuestionRecord, dataset_root, load_question_list
from .vqa_rows import VQARow

_SPLIT_FILES = {"train": "trainset.json", "test": "testset.json"}
_PUBLIC_FILE = "VQA_RAD_Dataset_Public.json"
_PUBLIC_TEST = frozenset({"test_freeform", "test_para"})
_MODALITY_WORDS = {
    "ct": re.compile(r"\bct\b|computed tomograph"),
    "mri": re.compile(r"\bmri?\b|\bflair\b|\bt[12]\b|\bdwi\b|\badc\b|diffusion[- ]weighted"),
    "x-ray": re.compile(r"\bx[- ]?rays?\b|\bcxr\b|radiograph|\bfilm\b|\bkub\b"),
}


def _named_modalities(text: str) -> list[str]:
    return [name for name, pattern in _MODALITY_WORDS.items() if pattern.search(text)]


def _modality_votes(question: str, answer: str) -> list[str]:
    """The modalities one training question names about its image (see the module doc)."""
    named = _named_modalities(answer)
    if named or answer == "no":
        return named
    return _named_modalities(question.lower())


def image_modalities(rows: Sequence[VQARow]) -> dict[str, str]:
    """``image_id -> modality`` voted from ``rows`` (pass training rows only).

    Example:
        >>> row = VQARow(Path("a.jpg"), "What imaging modality was used?", "mr - flair",
        ...              "open", "head", "", "modality", "1", "a.jpg", "vqa_rad", "train")
        >>> image_modalities([row])
        {'a.jpg': 'mri'}
    """
    votes: dict[str, Counter] = {}
    for row in rows:
        counter = votes.setdefault(row.image_id, Counter())
        counter.update(_modality_votes(row.question, row.answer))
    result = {}
    for image_id, counter in votes.items():
        ranked = counter.most_common(2)
        tie = len(ranked) == 2 and ranked[0][1] == ranked[1][1]
        result[image_id] = ranked[0][0] if ranked and not tie else ""
    return result


def _read_file(root: Path, path: Path, split: str, keep: set[str] | None) -> list[VQARow]:
    """Rows of ``path`` (public layout: only entries whose phrase_type is in ``keep``)."""
    rows = []
    for index, raw in enumerate(load_question_list(path, "vqa_rad")):
        entry = QuestionRecord(path, index, raw)
        if keep is not None and entry.text("phrase_type").lower() not in keep:
            continue
        name = entry.text("image_name")
        rows.append(VQARow(
            image=entry.image_file(root / "images", name), question=entry.text("question"),
            answer=entry.answer(), answer_type=entry.answer_type(),
            organ=entry.text("image_organ").lower(), modality="",
            question_type=entry.text("question_type").lower(), qid=entry.text("qid"),
            image_id=name, dataset="vqa_rad", split=split))
    return rows


def _read_layout(root: Path, split: str, layout: str) -> list[VQARow]:
    if layout == "split":
        return _read_file(root, root / _SPLIT_FILES[split], split, None)
    phrases = {"freeform", "para"} if split == "train" else set(_PUBLIC_TEST)
    return _read_file(root, root / _PUBLIC_FILE, split, phrases)


def read_vqa_rad(root: str | Path, split: str = "train", *, layout: str = "split"
                 ) -> list[VQARow]:
    """Read one VQA-RAD split as :class:`VQARow` objects, in file order (module doc).

    Args:
        root: the dataset folder (holding ``images/`` and the question files).
        split: ``"train"`` or ``"test"``.
        layout: ``"split"`` (``trainset.json`` / ``testset.json``) or ``"public"``
            (``VQA_RAD_Dataset_Public.json``).

    Returns:
        The rows; ``modality`` is derived from the training questions (module doc).

    Raises:
        ConfigError: an unknown split or layout.
        InputError: a missing or malformed file, field, answer type or image, naming the file
            and the row.

    Example:
        >>> read_vqa_rad("/nowhere", "val")
        Traceback (most recent call last):
        ...
        mmr_augment.errors.ConfigError: vqa_rad: unknown split 'val'; ...
    """
    if split not in _SPLIT_FILES:
        raise ConfigError(f"vqa_rad: unknown split {split!r}; VQA-RAD has 'train' and 'test' "
                          f"(use vqa_rad_holdout for a validation part)")
    if layout not in ("split", "public"):
        raise ConfigError(f"vqa_rad: unknown layout {layout!r}; use 'split' (trainset.json / "
                          f"testset.json) or 'public' ({_PUBLIC_FILE})")
    base = dataset_root(root, "vqa_rad")
    rows = _read_layout(base, split, layout)
    train = rows if split == "train" else _read_layout(base, "train", layout)
    modality = image_modalities(train)
    return [replace(row, modality=modality.get(row.image_id, "")) for row in rows]


def vqa_rad_holdout(rows: Sequence[VQARow], fraction: float = 0.15, seed: int = 0
                    ) -> tuple[list[VQARow], list[VQARow]]:
    """Split training rows into (fit, hold-out) by image, for model selection.

    Images are shuffled by a NumPy generator seeded with ``seed`` (independent of row order)
    and moved to the hold-out until it holds at least ``fraction`` of the questions, so no image
    is in both parts. Both parts keep the input order.

    Example:
        >>> rows = [VQARow(Path(f"{i % 4}.jpg"), "Q?", "yes", "closed", "head", "", "pres",
        ...                str(i), f"{i % 4}.jpg", "vqa_rad", "train") for i in range(8)]
        >>> fit, held = vqa_rad_holdout(rows, 0.25)
        >>> len(fit), len(held), {r.image_id for r in fit} & {r.image_id for r in held}
        (6, 2, set())
    """
    if not 0.0 < fraction < 1.0:
        raise ConfigError(f"vqa_rad_holdout: fraction must be in (0, 1), got {fraction}")
    if any(row.split == "test" for row in rows):
        raise InputError("vqa_rad_holdout: got test rows; hold out training questions only "
                         "(models are never selected on a test split)")
    images = sorted({(row.dataset, row.image_id) for row in rows})
    if len(images) < 2:
        raise InputError(f"vqa_rad_holdout: need questions about at least 2 images, got "
                         f"{len(images)}")
    per_image = Counter((row.dataset, row.image_id) for row in rows)
    held: set[tuple[str, str]] = set()
    count = 0
    for k in np.random.default_rng(seed).permutation(len(images)):
        if count >= fraction * len(rows) or len(held) == len(images) - 1:
            break
        held.add(images[k])
        count += per_image[images[k]]
    fit = [row for row in rows if (row.dataset, row.image_id) not in held]
    return fit, [row for row in rows if (row.dataset, row.image_id) in held]
