"""Flat (ragged) token and sentence tables over a batch of reports, and removal spans.

Every op works on these concatenated numpy arrays, so per-token and per-sentence decisions are
vectorised over the whole batch; only the final string splice is per edit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..report import PROTECTED, Report, TokenFlag

_HEADER, _PUNCT = int(TokenFlag.HEADER), int(TokenFlag.PUNCT)
_PROTECTED = int(PROTECTED)


def _cat(reports: list[Report], name: str) -> np.ndarray:
    parts = [np.asarray(getattr(r, name), dtype=np.int64) for r in reports]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


@dataclass
class Tokens:
    """All tokens of a batch: ``row`` (sample), ``pos`` (index in its report), char spans,
    flags, and each token's neighbours in the same report (``-1`` where there is none)."""

    counts: np.ndarray
    row: np.ndarray
    pos: np.ndarray
    start: np.ndarray
    end: np.ndarray
    flags: np.ndarray
    sentence: np.ndarray
    has_prev: np.ndarray
    has_next: np.ndarray
    prev_end: np.ndarray
    next_start: np.ndarray

    @classmethod
    def of(cls, reports: list[Report]) -> Tokens:
        counts = np.array([len(r.token_start) for r in reports], dtype=np.int64)
        row = np.repeat(np.arange(len(reports)), counts)
        pos = np.arange(len(row)) - np.repeat(np.cumsum(counts) - counts, counts)
        start, end = _cat(reports, "token_start"), _cat(reports, "token_end")
        has_prev = pos > 0
        has_next = pos < np.repeat(counts, counts) - 1
        prev_end = np.where(has_prev, np.roll(end, 1), -1)
        next_start = np.where(has_next, np.roll(start, -1), -1)
        return cls(counts, row, pos, start, end, _cat(reports, "token_flags"),
                   _cat(reports, "token_sentence"), has_prev, has_next, prev_end, next_start)

    def has(self, flag: int) -> np.ndarray:
        return (self.flags & int(flag)) != 0

    @property
    def word(self) -> np.ndarray:
        """Tokens that are neither header nor punctuation."""
        return (self.flags & (_HEADER | _PUNCT)) == 0

    @property
    def protected(self) -> np.ndarray:
        return (self.flags & _PROTECTED) != 0

    @property
    def whole_word(self) -> np.ndarray:
        """Tokens not glued to a neighbouring word ("can" in "cannot" is not whole): the
        units a word-level op may drop, misspell or recase."""
        word = (self.flags & _PUNCT) == 0
        glued_prev = self.has_prev & (self.prev_end == self.start) & np.roll(word, 1)
        glued_next = self.has_next & (self.next_start == self.end) & np.roll(word, -1)
        return word & ~glued_prev & ~glued_next


@dataclass
class Sentences:
    """All sentences of a batch with their body (the part after any header tokens):
    ``first``/``last`` flat token indices, char span, ``words`` (body word count)."""

    counts: np.ndarray
    row: np.ndarray
    pos: np.ndarray
    section: np.ndarray
    first: np.ndarray
    last: np.ndarray
    words: np.ndarray

    @classmethod
    def of(cls, reports: list[Report], tokens: Tokens) -> Sentences:
        counts = np.array([len(r.sentence_bounds) for r in reports], dtype=np.int64)
        row = np.repeat(np.arange(len(reports)), counts)
        pos = np.arange(len(row)) - np.repeat(np.cumsum(counts) - counts, counts)
        offset = np.repeat(np.cumsum(tokens.counts) - tokens.counts, counts)
        bounds = (np.concatenate([np.asarray(r.sentence_bounds, dtype=np.int64).reshape(-1, 2)
                                  for r in reports]) if len(row) else np.zeros((0, 2), int))
        lo, hi = bounds[:, 0] + offset, bounds[:, 1] + offset
        body = ~tokens.has(_HEADER)
        n = len(tokens.row)
        # first body token of each sentence: next body index at or after lo (n if none)
        nxt = np.minimum.accumulate(np.where(body, np.arange(n), n)[::-1])[::-1]
        first = nxt[np.minimum(lo, max(n - 1, 0))] if n else lo
        cum = np.concatenate([[0], np.cumsum(tokens.word)])
        words = np.where(hi > lo, cum[hi] - cum[lo], 0)
        first = np.where((first < hi) & (words > 0), first, hi)
        return cls(counts, row, pos, _cat(reports, "sentence_section"), first, hi - 1, words)

    @property
    def live(self) -> np.ndarray:
        """Sentences with at least one body word."""
        return self.words > 0


def removal_spans(start: np.ndarray, end: np.ndarray, prev_end: np.ndarray,
                  next_start: np.ndarray, forward: np.ndarray, same_row_prev: np.ndarray,
                  drop: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Char spans that remove units (tokens or sentences) with the whitespace that separated
    them, so ``"The lungs are clear."`` minus ``clear`` reads ``"The lungs are."``.

    A run of consecutive removed units eats the gap after it when its last unit is
    ``forward`` (another unit follows after whitespace), else the gap before it. Arrays are
    per unit in row order; ``prev_end`` / ``next_start`` are ``-1`` where there is no
    neighbour; ``same_row_prev`` says whether the previous flat unit is in the same report.

    Example:
        >>> s, e = removal_spans(np.array([0, 4]), np.array([3, 7]), np.array([-1, 3]),
        ...                      np.array([4, -1]), np.array([True, False]),
        ...                      np.array([False, True]), np.array([False, True]))
        >>> s.tolist(), e.tolist()
        ([0, 3], [3, 7])
    """
    cont = drop & same_row_prev & np.roll(drop, 1)
    run = np.cumsum(drop & ~cont)
    last = drop & ~np.roll(cont, -1)
    run_forward = np.zeros(int(run[-1]) + 1 if len(run) else 1, dtype=bool)
    run_forward[run[last]] = forward[last]
    fwd = run_forward[run]
    lead = np.where(prev_end >= 0, prev_end, start)
    return np.where(fwd, start, lead), np.where(fwd, next_start, end)
