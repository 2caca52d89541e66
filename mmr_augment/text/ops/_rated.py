"""Shared parts of the rate-driven text ops: the ``rate`` spec, params and helpers."""

from __future__ import annotations

import numpy as np
import torch

from ..._rng import draw_seeds
from ...core import Params
from ..base import TextPerturbation


class RatedTextOp(TextPerturbation, abstract=True):
    """A text op whose strength is a per-sample ``rate`` in ``[0, 1]`` (a probability per
    eligible unit); params are ``rate`` (B,) float64 and ``seed`` (B,) int64."""

    severity_table = {"rate": (0.1, 0.2, 0.3, 0.4, 0.5)}

    def __init__(self, rate=(0.05, 0.3), *, p: float = 1.0, severity: int | None = None
                 ) -> None:
        super().__init__(p=p, severity=severity)
        self.rate = self.spec("rate", rate, low=0.0, high=1.0)

    def _sample(self, batch_size: int, generator: torch.Generator) -> Params:
        return {"rate": self.rate.sample(batch_size, generator),
                "seed": draw_seeds(batch_size, generator)}


def keep_one(group: np.ndarray, n_groups: int, live: np.ndarray, drop: np.ndarray,
             u: np.ndarray) -> np.ndarray:
    """``drop`` with, in every group whose live units would all go, the live unit with the
    largest draw kept.

    Example:
        >>> keep_one(np.array([0, 0, 1]), 2, np.array([True, True, True]),
        ...          np.array([True, True, False]), np.array([.1, .2, .3])).tolist()
        [True, False, False]
    """
    live_n = np.bincount(group, live, n_groups)
    drop_n = np.bincount(group, live & drop, n_groups)
    full = (drop_n == live_n) & (live_n > 0)
    if not full.any():
        return drop
    order = np.lexsort((np.where(live, u, -1.0), group))
    last = np.searchsorted(group[order], np.arange(n_groups), side="right") - 1
    drop = drop.copy()
    drop[order[last[full]]] = False
    return drop


def per_row(values: torch.Tensor, row: np.ndarray) -> np.ndarray:
    """A ``(B,)`` param spread to every unit of a flat table."""
    return values.numpy()[row]
