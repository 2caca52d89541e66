"""Shared parsing for the VQA-RAD and SLAKE question files: JSON lists, fields, answers.

Every error names the file and the row: ``trainset.json row 12 (qid '13')``, where the row is
the 0-based position in the file's JSON list (``data[12]``) and the qid is the release's own.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mmr_augment.errors import InputError

from .vqa_rows import ANSWER_TYPES


def dataset_root(root: str | Path, dataset: str) -> Path:
    """``root`` resolved, or an error when it is not a folder."""
    base = Path(root)
    if not base.is_dir():
        raise InputError(f"{dataset}: dataset root {base} is not a folder")
    return base.resolve()


def load_question_list(path: Path, dataset: str) -> list[Any]:
    """The JSON list in ``path``, or an error naming the file and what is wrong."""
    if not path.is_file():
        raise InputError(f"{dataset}: question file {path} not found; pass the folder the "
                         f"dataset was unpacked into (docs: mmr_train.data.{dataset})")
    try:
        with open(path, encoding="utf-8") as stream:
            data = json.load(stream)
    except json.JSONDecodeError as err:
        raise InputError(f"{dataset}: {path} is not valid JSON ({err.msg} at line {err.lineno} "
                         f"column {err.colno}); re-download the file") from None
    except UnicodeDecodeError as err:
        raise InputError(f"{dataset}: {path} is not UTF-8 text ({err.reason})") from None
    if not isinstance(data, list):
        raise InputError(f"{dataset}: {path} holds a JSON {type(data).__name__}, expected a "
                         f"list of question objects")
    return data


class QuestionRecord:
    """One entry of a question list, with the ``file row N (qid 'x')`` name for errors."""

    def __init__(self, path: Path, index: int, record: Any) -> None:
        qid = record.get("qid", "?") if isinstance(record, dict) else "?"
        self.where = f"{path} row {index} (qid {str(qid)!r})"
        if not isinstance(record, dict):
            raise InputError(f"{self.where}: expected a JSON object, got "
                             f"{type(record).__name__}")
        self.record = record

    def get(self, key: str) -> Any:
        """The value of ``key``, or an error naming the row and the missing field."""
        if key not in self.record:
            raise InputError(f"{self.where}: missing field {key!r}; every question needs it")
        return self.record[key]

    def text(self, key: str) -> str:
        """A text (or number) field, stripped; other types are an error."""
        value = self.get(key)
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise InputError(f"{self.where}: field {key!r} must be text, got "
                             f"{type(value).__name__}")
        return str(value).strip()

    def answer(self) -> str:
        """The answer as released, stripped, lower-cased, inner whitespace collapsed."""
        return normalise_answer(self.text("answer"))

    def answer_type(self) -> str:
        """``closed`` / ``open`` (stray spaces and case removed), else an error."""
        kind = self.text("answer_type").lower()
        if kind not in ANSWER_TYPES:
            raise InputError(f"{self.where}: unknown answer_type {kind!r}; expected one of "
                             f"{', '.join(ANSWER_TYPES)}")
        return kind

    def image_file(self, folder: Path, name: str) -> Path:
        """``folder / name`` if that file exists, else an error naming the row."""
        path = folder / name
        if not path.is_file():
            raise InputError(f"{self.where}: image file {path} does not exist; check the "
                             f"dataset root (images are read from {folder})")
        return path


def normalise_answer(text: str) -> str:
    """The scoring key of an answer: stripped, lower-cased, inner whitespace collapsed.

    Example:
        >>> normalise_answer("  Left   Lung ")
        'left lung'
    """
    return " ".join(text.split()).lower()
