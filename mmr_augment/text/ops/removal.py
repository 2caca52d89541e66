"""Information-removing ops: sentence deletion, truncation and word dropout.

They only ever remove whole sentences or unprotected, non-finding words, so a finding mention
is either kept intact or dropped with its sentence: no polarity can flip. Sentences go only
where the report-level labels of what stays are the original's or unmentioned
(:func:`~mmr_augment.text.labeler.labels_kept`): deleting "Small left effusion." from "Small
left effusion. Blunting may represent effusion." would turn a positive label uncertain.
"""

from __future__ import annotations

import numpy as np
import torch

from ...core import Params
from .._drops import inert_tokens, kept_drops
from ..base import TextPerturbation, draws, group_spans
from ..labeler import aggregate, labels_kept, sentence_readings
from ..report import Report, TokenFlag
from ._rated import RatedTextOp, keep_one, per_row
from ._tables import Sentences, Tokens, removal_spans
from ._verify import verified

__all__ = ["SentenceDeletion", "Truncation", "WordDropout"]


class SentenceDeletion(RatedTextOp):
    """Delete each body sentence with probability ``rate`` (headers stay).

    Severity: rate .1 .2 .3 .4 .5. At least one sentence is kept unless ``allow_empty``, and
    a drawn sentence stays where its deletion would change a report-level label other than
    to unmentioned.

    Example:
        >>> op = SentenceDeletion(rate=0.5)
        >>> op(["No effusion. Heart is normal. Lungs are clear."], generator=3).texts
        ['No effusion. Lungs are clear.']
    """

    family = "sentence_delete"
    effect = "information_removing"

    def __init__(self, rate=(0.05, 0.3), *, allow_empty: bool = False, p: float = 1.0,
                 severity: int | None = None) -> None:
        super().__init__(rate, p=p, severity=severity)
        self.allow_empty = bool(allow_empty)

    def _edit(self, reports: list[Report], params: Params):
        tok = Tokens.of(reports)
        sen = Sentences.of(reports, tok)
        u = draws(params["seed"], sen.counts)
        drop = sen.live & (u < per_row(params["rate"], sen.row))
        if not self.allow_empty:
            drop = keep_one(sen.row, len(reports), sen.live, drop, u)
        first = np.cumsum(sen.counts) - sen.counts
        for b in np.unique(sen.row[drop]).tolist():
            drops = sen.pos[drop & (sen.row == b)].tolist()
            kept = set(safe_deletions(reports[b], drops))
            for k in drops:
                drop[first[b] + k] = k in kept
        return group_spans(*_sentence_cuts(tok, sen, drop), len(reports))


def _mute(reading) -> bool:
    """A sentence reading that no report-level label depends on (normal statements aside)."""
    return not reading or all(o == "No Finding" for o, _ in reading)


def safe_deletions(report: Report, drops: list[int]) -> list[int]:
    """The sentences of ``drops`` (ascending indices) that can go, taken greedily in order:
    each one only if the labels of what stays are still the original's or unmentioned.

    Example:
        >>> from mmr_augment.text.parse import parse
        >>> r = parse("Small left effusion. Blunting may represent effusion. No pneumothorax.")
        >>> safe_deletions(r, [0, 2]), safe_deletions(r, [1, 2])
        ([2], [1, 2])
    """
    readings = list(sentence_readings(report))
    if all(_mute(readings[k]) for k in drops):
        return drops
    want = aggregate(readings)
    out = []
    for k in drops:
        old, readings[k] = readings[k], None
        if _mute(old) or labels_kept(want, aggregate(readings), "information_removing"):
            out.append(k)
        else:
            readings[k] = old
    return out


def safe_cut(report: Report, keep: int) -> int:
    """The fewest leading sentences, at least ``keep``, whose labels are the report's or
    unmentioned (all of them when no shorter prefix is).

    A prefix of ``k`` sentences keeps an observation's label when it holds none of its
    mentions below the report's polarity, or already one at it: ``k <= low`` or ``k > top``
    (first sentence with a lower / the report's polarity). No Finding, when the report is
    abnormal: no reading sentence kept yet, or an abnormal one kept.

    Example:
        >>> from mmr_augment.text.parse import parse
        >>> safe_cut(parse("No effusion. Small left effusion. Heart is normal."), 1)
        2
    """
    readings = sentence_readings(report)
    n = len(readings)
    if all(_mute(r) for r in readings[keep:]):
        return keep
    want = aggregate(readings)
    low: dict[str, int] = {}
    top: dict[str, int] = {}
    first_sentence = first_abnormal = n
    for k, reading in enumerate(readings):
        if reading is None:
            continue
        first_sentence = min(first_sentence, k)
        for observation, polarity in reading:
            if observation not in want or observation == "No Finding":
                if observation != "No Finding" and polarity != "negative":
                    first_abnormal = min(first_abnormal, k)  # an "Other Finding"
                continue
            if observation != "Support Devices" and polarity != "negative":
                first_abnormal = min(first_abnormal, k)
            bound = top if polarity == want[observation] else low
            bound.setdefault(observation, k)
    rules = [(low[o], top.get(o, n)) for o in low]
    if want["No Finding"] != "positive" and first_sentence < n:
        rules.append((first_sentence, first_abnormal))
    for k in range(keep, n):
        if all(k <= a or k > b for a, b in rules):
            return k
    return n


class Truncation(TextPerturbation):
    """Cut the report's tail: drop the last ``fraction`` of body words, rounded up to whole
    sentences (a sentence that crosses the cut goes). The first sentence always stays, and the
    cut moves later where the labels of the kept part would differ from the report's other
    than by being unmentioned.

    Severity: fraction .1 .2 .3 .4 .5.

    Example:
        >>> Truncation(fraction=0.3)(["No effusion. Heart is normal."], generator=0).texts
        ['No effusion.']
    """

    family = "truncate"
    effect = "information_removing"
    severity_table = {"fraction": (0.1, 0.2, 0.3, 0.4, 0.5)}

    def __init__(self, fraction=(0.1, 0.5), *, p: float = 1.0, severity: int | None = None
                 ) -> None:
        super().__init__(p=p, severity=severity)
        self.fraction = self.spec("fraction", fraction, low=0.0, high=1.0)

    def _sample(self, batch_size: int, generator: torch.Generator) -> Params:
        return {"fraction": self.fraction.sample(batch_size, generator)}

    def _edit(self, reports: list[Report], params: Params):
        tok = Tokens.of(reports)
        sen = Sentences.of(reports, tok)
        words = np.where(sen.live, sen.words, 0)
        within = _row_cumsum(words, sen.row, len(reports))
        first_live = sen.live & (_row_cumsum(sen.live, sen.row, len(reports)) == 1)
        total = np.bincount(sen.row, words, len(reports))
        budget = total * (1.0 - params["fraction"].numpy())
        keep = sen.live & ((within <= budget[sen.row] + 1e-9) | first_live)
        cut = np.bincount(sen.row, sen.live & ~keep, len(reports)) > 0
        last = np.full(len(reports), -1)
        np.maximum.at(last, sen.row, np.where(keep, np.arange(len(sen.row)), -1))
        first = np.cumsum(sen.counts) - sen.counts
        for b in cut.nonzero()[0].tolist():
            k = safe_cut(reports[b], int(sen.pos[last[b]]) + 1)
            cut[b] = k < sen.counts[b]
            last[b] = first[b] + k - 1
        ends = tok.end[sen.last[np.maximum(last, 0)]] if len(sen.row) else last
        return [[(int(e), len(r.text), "")] if c else []
                for r, c, e in zip(reports, cut.tolist(), ends.tolist(), strict=True)]


class WordDropout(RatedTextOp):
    """Drop each unprotected body word with probability ``rate``.

    Finding-mention tokens, negation / uncertainty cues, laterality, numbers, ``XXXX``,
    headers and parts of glued words ("can" of "cannot") are never dropped; every sentence
    keeps at least one word. Spacing is restored from the original character spans.
    With ``verify`` (default) only words whose drop alone provably keeps their sentence's
    reading are drawn (outside every cue, finding and attribute phrase match, gap reach and
    sided laterality window: :func:`~mmr_augment.text._drops.inert_tokens`), and drops that
    would still let the labeler read a new phrase ("no acute [pulmonary] abnormality" -> a
    normal statement) are undone, sentence by sentence: each edited sentence is re-read on its
    own when the drops provably leave the report's structure alone
    (:mod:`mmr_augment.text._drops`), else the edited text is re-parsed.
    ``verify=False`` is about 2x faster and changes the reading of ~1.4% of real reports.
    Severity: rate .1 .2 .3 .4 .5.

    Example:
        >>> op = WordDropout(rate=0.5)
        >>> op(["The heart size is within normal limits. Mild scarring at the lung bases."],
        ...    generator=1).texts
        ['The heart size is within normal limits. Mild scarring at bases.']
    """

    family = "word_dropout"
    effect = "information_removing"

    def __init__(self, rate=(0.05, 0.3), *, verify: bool = True, p: float = 1.0,
                 severity: int | None = None) -> None:
        super().__init__(rate, p=p, severity=severity)
        self.verify = bool(verify)

    def _edit(self, reports: list[Report], params: Params):
        tok = Tokens.of(reports)
        u = draws(params["seed"], tok.counts)
        eligible = tok.whole_word & ~tok.protected & ~tok.has(TokenFlag.FINDING)
        if self.verify and len(reports):  # words whose drop alone provably keeps the reading
            eligible &= np.concatenate([inert_tokens(r) for r in reports])
        drop = eligible & (u < per_row(params["rate"], tok.row))
        n_sent = np.array([len(r.sentence_bounds) for r in reports], dtype=np.int64)
        # header tokens belong to no sentence (-1): park them in one extra group
        sentence = np.where(tok.sentence >= 0,
                            tok.sentence + np.repeat(np.cumsum(n_sent) - n_sent, tok.counts),
                            n_sent.sum())
        drop = keep_one(sentence, int(n_sent.sum()) + 1, tok.word, drop, u)
        forward = tok.has_next & (tok.next_start > tok.end)
        start, end = removal_spans(tok.start, tok.end, tok.prev_end, tok.next_start, forward,
                                   tok.has_prev, drop)
        spans = group_spans(tok.row[drop], start[drop], end[drop], [""] * int(drop.sum()),
                            len(reports))
        if self.verify:  # flat tables are row-major, so each row's drops are ascending
            cut = np.searchsorted(tok.row[drop], np.arange(len(reports) + 1)).tolist()
            pos = tok.pos[drop].tolist()
            spans = [_checked(r, s, pos[a:b])
                     for r, s, a, b in zip(reports, spans, cut, cut[1:], strict=False)]
        return spans


def _checked(report: Report, spans: list, drops: list[int]) -> list:
    """The spans of the drops that keep the report's reading: sentence by sentence where
    the structure provably stays (:func:`~mmr_augment.text._drops.kept_drops`), else by a
    re-parse of the edited text."""
    if not spans:
        return spans
    kept = kept_drops(report, drops)
    if kept is None:
        return verified(report, spans)
    if kept is drops:
        return spans
    keep = set(kept)
    return [span for span, k in zip(spans, drops, strict=True) if k in keep]


def _sentence_cuts(tok: Tokens, sen: Sentences, drop: np.ndarray):
    """Removal spans of the dropped sentences' bodies (header tokens stay)."""
    n = len(tok.row)
    first = np.minimum(sen.first, max(n - 1, 0))
    last = np.maximum(sen.last, 0)
    next_header = np.zeros(len(last), dtype=bool)
    has_next = tok.has_next[last] & sen.live
    next_header[has_next] = tok.has(TokenFlag.HEADER)[last[has_next] + 1]
    next_start = tok.next_start[last]
    forward = has_next & ~next_header & (next_start > tok.end[last])
    start, end = removal_spans(tok.start[first], tok.end[last], tok.prev_end[first], next_start,
                               forward, sen.pos > 0, drop)
    return sen.row[drop], start[drop], end[drop], [""] * int(drop.sum())


def _row_cumsum(values: np.ndarray, row: np.ndarray, batch: int) -> np.ndarray:
    """Running sum of ``values`` restarted at each row."""
    cum = np.cumsum(values.astype(np.int64))
    total = np.bincount(row, values, batch).astype(np.int64)
    return cum - np.repeat(np.cumsum(total) - total, np.bincount(row, minlength=batch))
