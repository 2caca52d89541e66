"""SLAKE (Liu et al., ISBI 2021) -> :class:`~mmr_train.data.VQARow` lists.

Layout::

    ROOT/train.json  ROOT/validate.json  ROOT/test.json   flat lists of questions
    ROOT/imgs/xmlabN/source.jpg                           the images (img_name "xmlabN/source.jpg")

Fields used: ``img_name``, ``question``, ``answer``, ``answer_type``, ``q_lang``, ``location``
(-> ``organ``, lower-cased, e.g. ``brain_tissue``), ``modality`` (``X-Ray`` / ``CT`` / ``MRI``
-> ``x-ray`` / ``ct`` / ``mri``), ``content_type`` (-> ``question_type``), ``qid``. Rows in
other languages are skipped (``lang="en"`` by default; ``lang="zh"`` for the Chinese ones,
``lang=None`` for all). ``image_id`` is the image folder (``xmlab102``).
"""

from __future__ import annotations

from pathlib import Path

from mmr_augment.errors import ConfigError, InputError

from ._vqa_json import QuestionRecord, dataset_root, load_question_list
from .vqa_rows import VQARow

_SPLIT_FILES = {"train": "train.json", "validate": "validate.json", "test": "test.json"}
_MODALITIES = {"x-ray": "x-ray", "xray": "x-ray", "ct": "ct", "mri": "mri"}


def read_slake(root: str | Path, split: str = "train", *, lang: str | None = "en"
               ) -> list[VQARow]:
    """Read one SLAKE split as :class:`VQARow` objects, in file order (module doc).

    Args:
        root: the dataset folder (holding the split files and ``imgs/``).
        split: ``"train"``, ``"validate"`` (``"val"`` is accepted) or ``"test"``.
        lang: keep rows whose ``q_lang`` is this (``"en"``), or every row with None.

    Raises:
        ConfigError: an unknown split.
        InputError: a missing or malformed file, field, answer type, modality or image,
            naming the file and the row.

    Example:
        >>> read_slake("/nowhere", "dev")
        Traceback (most recent call last):
        ...
        mmr_augment.errors.ConfigError: slake: unknown split 'dev'; ...
    """
    split = "validate" if split in ("val", "validation") else split
    if split not in _SPLIT_FILES:
        raise ConfigError(f"slake: unknown split {split!r}; use one of "
                          f"{', '.join(_SPLIT_FILES)}")
    base = dataset_root(root, "slake")
    path = base / _SPLIT_FILES[split]
    rows = []
    for index, raw in enumerate(load_question_list(path, "slake")):
        entry = QuestionRecord(path, index, raw)
        if lang is not None and entry.text("q_lang").lower() != lang:
            continue
        name = entry.text("img_name")
        modality = _MODALITIES.get(entry.text("modality").lower())
        if modality is None:
            raise InputError(f"{entry.where}: unknown modality {entry.text('modality')!r}; "
                             f"expected X-Ray, CT or MRI")
        rows.append(VQARow(
            image=entry.image_file(base / "imgs", name), question=entry.text("question"),
            answer=entry.answer(), answer_type=entry.answer_type(),
            organ=entry.text("location").lower(), modality=modality,
            question_type=entry.text("content_type").lower(), qid=entry.text("qid"),
            image_id=Path(name).parent.name or Path(name).stem, dataset="slake", split=split))
    return rows
