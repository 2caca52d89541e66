"""Answer vocabulary and accuracy breakdowns (closed / open / overall, per organ, modality and
question type, with counts).

The vocabulary is every distinct training answer (normalised lower-case, sorted). A question
whose true answer is not in it can never be answered right: it is scored wrong and counted in
``out_of_vocabulary``.

Example:
    >>> vocab = AnswerVocab.from_answers(["yes", "no", "yes", "lung"])
    >>> vocab.answers, vocab.index("liver")
    (['lung', 'no', 'yes'], -1)
    >>> breakdown = score(["yes", "lung"], ["yes", "liver"], ["closed", "open"],
    ...                   {"organ": ["chest", "chest"]}, vocab)
    >>> breakdown["overall"], breakdown["out_of_vocabulary"]
    ({'correct': 1, 'total': 2, 'accuracy': 0.5}, 1)
    >>> breakdown["by"]["organ"]["chest"]["accuracy"]
    0.5
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from mmr_augment.errors import InputError

#: Row attributes scored separately.
GROUPS = ("organ", "modality", "question_type")


class AnswerVocab:
    """Sorted distinct answers; class index ``i`` is ``answers[i]``."""

    def __init__(self, answers: Sequence[str]) -> None:
        if not answers:
            raise InputError("the answer vocabulary is empty: give at least one training row")
        self.answers = list(answers)
        self._index = {a: i for i, a in enumerate(self.answers)}

    @classmethod
    def from_answers(cls, answers: Iterable[str]) -> AnswerVocab:
        """Every distinct answer of ``answers``, sorted."""
        return cls(sorted(set(answers)))

    def __len__(self) -> int:
        return len(self.answers)

    def index(self, answer: str) -> int:
        """Class index of ``answer``, -1 when it is not in the vocabulary."""
        return self._index.get(answer, -1)


def _cell(correct: int, total: int) -> dict[str, Any]:
    return {"correct": correct, "total": total,
            "accuracy": correct / total if total else None}


def score(predicted: Sequence[str], truth: Sequence[str], answer_types: Sequence[str],
          groups: Mapping[str, Sequence[str]], vocab: AnswerVocab) -> dict[str, Any]:
    """Accuracy of ``predicted`` answers against ``truth``, overall, per answer type and per
    value of each of ``groups`` (name -> one value per question).

    Returns:
        ``{"overall", "closed", "open": {correct, total, accuracy}, "out_of_vocabulary": n,
        "by": {group: {value: {correct, total, accuracy}}}}``; accuracy is None for no rows.
    """
    if not (len(predicted) == len(truth) == len(answer_types)):
        raise InputError(f"{len(predicted)} predictions for {len(truth)} answers and "
                         f"{len(answer_types)} answer types")
    hits = [p == t for p, t in zip(predicted, truth)]
    out: dict[str, Any] = {"overall": _cell(sum(hits), len(hits))}
    for kind in ("closed", "open"):
        sel = [h for h, k in zip(hits, answer_types) if k == kind]
        out[kind] = _cell(sum(sel), len(sel))
    out["out_of_vocabulary"] = sum(vocab.index(t) < 0 for t in truth)
    out["by"] = {}
    for name, values in groups.items():
        cells: dict[str, list[int]] = {}
        for h, v in zip(hits, values):
            c = cells.setdefault(v or "unknown", [0, 0])
            c[0] += h
            c[1] += 1
        out["by"][name] = {v: _cell(*cells[v]) for v in sorted(cells)}
    return out
