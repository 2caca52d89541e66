"""Meaning-changing ops, for hard negatives only (never in the default policies): negation flip
and laterality swap. Each changes at least one finding (or side) per report that has one."""

from __future__ import annotations

import numpy as np

from ...core import Params
from ..base import draws, group_spans
from ..report import Report, TokenFlag
from ._rated import RatedTextOp, per_row
from ._tables import Tokens

__all__ = ["LateralitySwap", "NegationFlip"]

_SEVERITY = {"rate": (0.2, 0.4, 0.6, 0.8, 1.0)}
_SIDES = {"left": "right", "l": "r", "lt": "rt", "left-sided": "right-sided", "lll": "rll",
          "lul": "rul"}
SIDE_SWAP = {**_SIDES, **{v: k for k, v in _SIDES.items()}}


def choose_at_least_one(row: np.ndarray, batch: int, u: np.ndarray, rate: np.ndarray
                        ) -> np.ndarray:
    """``u < rate``, plus the smallest draw of every row where nothing was chosen.

    Example:
        >>> choose_at_least_one(np.array([0, 0, 1]), 2, np.array([.5, .3, .9]),
        ...                     np.array([.1, .1, .1])).tolist()
        [False, True, True]
    """
    chosen = u < rate
    order = np.lexsort((u, row))
    first = np.searchsorted(row[order], np.arange(batch))
    has = np.bincount(row, minlength=batch) > 0
    empty = has & (np.bincount(row, chosen, batch) == 0)
    chosen[order[first[empty]]] = True
    return chosen


class NegationFlip(RatedTextOp):
    """Flip the polarity of finding mentions: "No pneumothorax." -> "Pneumothorax.",
    "Cardiomegaly." -> "No cardiomegaly.". Each positive or negative mention is picked with
    probability ``rate`` (at least one per report that has one, at most one per sentence).
    A negative mention loses its nearest negation cue; a positive one gets "no" in front.
    Normality statements ("heart size is normal") are left alone: without its cue an attribute
    says nothing, it does not turn positive.

    Example:
        >>> from mmr_augment.text.parse import parse
        >>> NegationFlip(rate=1.0)([parse("No pneumothorax. Cardiomegaly.")], generator=0).texts
        ['Pneumothorax. No cardiomegaly.']
    """

    family = "negation_flip"
    effect = "meaning_changing"
    severity_table = _SEVERITY

    def __init__(self, rate=(0.2, 0.6), *, p: float = 1.0, severity: int | None = None) -> None:
        super().__init__(rate, p=p, severity=severity)

    def _edit(self, reports: list[Report], params: Params):
        tok = Tokens.of(reports)
        cands = [(b, m.token_start, m.polarity) for b, r in enumerate(reports)
                 for m in r.mentions
                 if (m.polarity == "positive" or m.polarity == "negative" and _negated(r, m))
                 and m.observation != "No Finding"]
        row = np.array([c[0] for c in cands], dtype=np.int64)
        at = np.array([c[1] for c in cands], dtype=np.int64)
        u = draws(params["seed"], tok.counts)[(np.cumsum(tok.counts) - tok.counts)[row] + at]
        chosen = choose_at_least_one(row, len(reports), u, per_row(params["rate"], row))
        spans: list[list[tuple[int, int, str]]] = [[] for _ in reports]
        done: set[tuple[int, int]] = set()
        for i in chosen.nonzero()[0].tolist():
            b, first, polarity = cands[i]
            report = reports[b]
            sentence = int(report.token_sentence[first])
            if (b, sentence) in done:
                continue
            done.add((b, sentence))
            edit = (_negate(report, first, sentence) if polarity == "positive"
                    else _affirm(report, first, sentence))
            if edit is not None:
                spans[b].append(edit)
        return [sorted(s) for s in spans]


_NEGATED = int(TokenFlag.NEGATION | TokenFlag.NEGATED)


def _negated(report: Report, mention) -> bool:
    """A negation cue or scope covers the mention (not a normality statement alone)."""
    return bool((report.token_flags[mention.token_start:mention.token_end] & _NEGATED).any())


def _negate(report: Report, first: int, sentence: int) -> tuple[int, int, str]:
    """Negate the noun phrase ending in the mention at token ``first``: its article becomes
    "no" ("There is a small effusion" -> "There is no small effusion"), else "no" goes in
    front of its modifiers ("Mild cardiomegaly" -> "No mild cardiomegaly")."""
    lo = int(report.sentence_bounds[sentence][0])
    text, k = report.text, first
    while k - 1 >= lo and _modifier(report, k - 1):
        k -= 1
    if k - 1 >= lo and _word(report, k - 1).lower() in _ARTICLES:
        s, e = int(report.token_start[k - 1]), int(report.token_end[k - 1])
        return s, e, "No" if text[s].isupper() else "no"
    s = int(report.token_start[k])
    if k > lo and not report.token_flags[k - 1] & int(TokenFlag.HEADER):
        return s, s, "no "
    word = _word(report, k)
    return s, s + 1, "No " + (text[s] if len(word) > 1 and word.isupper() else text[s].lower())


_ARTICLES = {"a", "an", "the", "some"}
_STOP = {"is", "are", "was", "were", "be", "been", "there", "of", "with", "and", "or", "in",
         "at", "on", "to", "for", "from", "by", "as", "this", "that", "which", "seen", "noted"}
_STOP_FLAGS = int(TokenFlag.NEGATION | TokenFlag.UNCERTAINTY | TokenFlag.PSEUDO_NEGATION
                  | TokenFlag.TERMINATION | TokenFlag.HEADER | TokenFlag.PUNCT | TokenFlag.DEID)


def _word(report: Report, i: int) -> str:
    return report.text[int(report.token_start[i]):int(report.token_end[i])]


def _modifier(report: Report, i: int) -> bool:
    word = _word(report, i).lower()
    return not report.token_flags[i] & _STOP_FLAGS and word not in _STOP | _ARTICLES


def _affirm(report: Report, first: int, sentence: int) -> tuple[int, int, str] | None:
    """Remove the negation cue run nearest before (else after) token ``first``."""
    lo, hi = (int(v) for v in report.sentence_bounds[sentence])
    cue = np.nonzero(report.token_flags[lo:hi] & int(TokenFlag.NEGATION))[0] + lo
    if len(cue) == 0:
        return None
    before = cue[cue < first]
    k = int(before[-1]) if len(before) else int(cue[0])
    a = k
    while a - 1 >= lo and a - 1 in cue:
        a -= 1
    z = k
    while z + 1 < hi and z + 1 in cue:
        z += 1
    text = report.text
    s, e = int(report.token_start[a]), int(report.token_end[z])
    if z + 1 < hi:
        nxt = int(report.token_start[z + 1])
        head = text[s:s + 1].isupper() and text[nxt:nxt + 1].islower()
        return (s, nxt + 1, text[nxt].upper()) if head else (s, nxt, "")
    return (int(report.token_end[a - 1]) if a > lo else s), e, ""


class LateralitySwap(RatedTextOp):
    """Swap left and right ("left", "L", "LLL", "left-sided" ...): each side word is swapped
    with probability ``rate``, at least one per report that has one. Severity: rate .2 .4 .6
    .8 1.

    Example:
        >>> from mmr_augment.text.parse import parse
        >>> LateralitySwap(rate=1.0)([parse("Left pleural effusion.")], generator=0).texts
        ['Right pleural effusion.']
    """

    family = "laterality_swap"
    effect = "meaning_changing"
    severity_table = _SEVERITY

    def __init__(self, rate=(0.2, 0.6), *, p: float = 1.0, severity: int | None = None) -> None:
        super().__init__(rate, p=p, severity=severity)

    def _edit(self, reports: list[Report], params: Params):
        tok = Tokens.of(reports)
        side = tok.has(TokenFlag.LATERALITY).nonzero()[0]
        words = [reports[b].text[s:e] for b, s, e in zip(tok.row[side].tolist(),
                                                          tok.start[side].tolist(),
                                                          tok.end[side].tolist(), strict=True)]
        swap = np.array([w.lower() in SIDE_SWAP for w in words], dtype=bool)
        side, words = side[swap], [w for w, k in zip(words, swap, strict=True) if k]
        row = tok.row[side]
        u = draws(params["seed"], tok.counts)[side]
        chosen = choose_at_least_one(row, len(reports), u, per_row(params["rate"], row))
        news = [_other_side(w) for w, c in zip(words, chosen, strict=True) if c]
        pick = side[chosen]
        return group_spans(tok.row[pick], tok.start[pick], tok.end[pick], news, len(reports))


def _other_side(word: str) -> str:
    new = SIDE_SWAP[word.lower()]
    if word.isupper():
        return new.upper()
    return new.capitalize() if word[:1].isupper() else new
