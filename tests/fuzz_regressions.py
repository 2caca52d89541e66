"""Fuzz cases worth keeping: every failure a fuzz run found, and hand-picked extremes.

Each entry is ``(target, case)`` where ``case`` is the plain dict the strategies in
tests/hostile/test_fuzz.py draw; ``test_fuzz.py::test_regression`` replays them through the same
checks on every run. When a fuzz run fails, hypothesis prints the falsifying ``case``: add it
here with a comment naming the bug, then fix the bug.
"""

from __future__ import annotations

_TINY = dict(b=1, c=1, h=1, w=1, dtype="float16", value_range=(0.0, 1.0), fill="uniform",
             p=1.0, severity=None, seed=0, data_seed=0)

#: Image cases: extremes every op must take (1x1, 1xN, constant images, narrow value ranges).
IMAGE: list[tuple[str, dict]] = [
    ("*", _TINY),
    ("*", {**_TINY, "b": 3, "c": 3, "h": 1, "w": 257, "dtype": "bfloat16", "fill": "high"}),
    ("*", {**_TINY, "b": 2, "h": 65, "w": 1, "dtype": "float64", "fill": "low", "seed": 2**31}),
    ("*", {**_TINY, "b": 4, "c": 3, "h": 3, "w": 5, "dtype": "float32",
           "value_range": (-1024.0, 3071.0), "fill": "binary", "p": 0.5, "severity": 5}),
    ("*", {**_TINY, "b": 2, "h": 7, "w": 7, "dtype": "bfloat16",
           "value_range": (-1024.0, 3071.0), "fill": "uniform", "severity": 1}),
]

#: Text cases: hostile strings every text op must take.
TEXT: list[tuple[str, dict]] = [
    ("*", dict(texts=["", " ", "\n\t", "XXXX", "XXXX XXXX."], p=1.0, severity=5, seed=0)),
    ("*", dict(texts=[bytes(range(256)).decode("latin-1")], p=1.0, severity=None, seed=1)),
    ("*", dict(texts=["الرئتان صافيتان. لا يوجد انصباب.", "😀🫁 No effusion 🙂", "\u202eleft."],
               p=1.0, severity=3, seed=2)),
    ("*", dict(texts=["FINDINGS:\nIMPRESSION:", "FINDINGS: no sentence end",
                      "IMPRESSION: 1. No pneumothorax. 2. Left effusion."],
               p=1.0, severity=5, seed=3)),
]
