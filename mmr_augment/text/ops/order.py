"""Meaning-preserving reordering: sentences within a section, whole sections.

Units move whole (a sentence with its cues and numbers; a section with its header), into the
slots other selected units left, so the spacing between slots is the original one.
"""

from __future__ import annotations

import numpy as np

from ...core import Params
from ..base import draws, group_spans
from ..report import Report
from ._rated import RatedTextOp, per_row
from ._tables import Sentences, Tokens

__all__ = ["SectionShuffle", "SentenceShuffle"]

_SHUFFLE_SEVERITY = {"rate": (0.2, 0.4, 0.6, 0.8, 1.0)}


def permute_slots(row: np.ndarray, group: np.ndarray, pos: np.ndarray, chosen: np.ndarray,
                  key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pair each chosen unit's slot with the chosen unit that moves there: within a group,
    chosen units sorted by ``key`` fill the chosen slots in order of ``pos``.

    Example:
        >>> permute_slots(np.zeros(3, int), np.zeros(3, int), np.arange(3),
        ...               np.array([True, False, True]), np.array([.9, .5, .1]))
        (array([0, 2]), array([2, 0]))
        >>> permute_slots(np.zeros(2, int), np.zeros(2, int), np.arange(2),
        ...               np.array([True, True]), np.array([.1, .9]))  # rotated
        (array([0, 1]), array([1, 0]))
    """
    idx = chosen.nonzero()[0]
    slots = idx[np.lexsort((pos[idx], group[idx], row[idx]))]
    movers = idx[np.lexsort((key[idx], group[idx], row[idx]))]
    # a group whose draw left every unit in place is rotated by one, so 2+ units always move
    unit = np.stack([row[slots], group[slots]], 1)
    new_group = np.r_[True, (unit[1:] != unit[:-1]).any(1)] if len(slots) else np.zeros(0, bool)
    gid = np.cumsum(new_group) - 1
    size = np.bincount(gid)[gid] if len(gid) else gid
    still = np.bincount(gid, slots != movers)[gid] == 0 if len(gid) else gid.astype(bool)
    first = np.flatnonzero(new_group)[gid] if len(gid) else gid
    turn = first + (np.arange(len(slots)) - first + 1) % np.maximum(size, 1)
    movers = np.where(still & (size > 1), movers[turn], movers)
    return slots, movers


class SentenceShuffle(RatedTextOp):
    """Reorder sentences within each section: each sentence joins the shuffle with
    probability ``rate`` (two or more joined always move). Headers, and sentences without a
    final ``. ! ?`` (whose move could merge two sentences), stay put. Severity: rate .2 .4 .6
    .8 1.

    Example:
        >>> SentenceShuffle(rate=1.0)(["No effusion. Heart is normal. Lungs clear."],
        ...                           generator=0).texts
        ['Lungs clear. Heart is normal. No effusion.']
    """

    family = "sentence_shuffle"
    effect = "meaning_preserving"
    severity_table = _SHUFFLE_SEVERITY

    def _edit(self, reports: list[Report], params: Params):
        tok = Tokens.of(reports)
        sen = Sentences.of(reports, tok)
        start, end = tok.start[sen.first.clip(0, max(len(tok.row) - 1, 0))], tok.end[sen.last]
        live = sen.live.nonzero()[0].tolist()
        terminal = np.zeros(len(sen.row), dtype=bool)
        terminal[live] = [reports[sen.row[i]].text[end[i] - 1] in ".!?" for i in live]
        chosen = terminal & (draws(params["seed"], sen.counts) < per_row(params["rate"], sen.row))
        key = draws(params["seed"], sen.counts, stream=1)
        slots, movers = permute_slots(sen.row, sen.section, sen.pos, chosen, key)
        moved = slots != movers
        slots, movers = slots[moved], movers[moved]
        news = [reports[sen.row[m]].text[start[m]:end[m]] for m in movers.tolist()]
        return group_spans(sen.row[slots], start[slots], end[slots], news, len(reports))


class SectionShuffle(RatedTextOp):
    """Reorder headed sections (header and body move together); each joins the shuffle with
    probability ``rate``. Text before the first header stays first. Severity: rate .2 .4 .6
    .8 1.

    Example:
        >>> from mmr_augment.text.parse import parse
        >>> op = SectionShuffle(rate=1.0)
        >>> op([parse("FINDINGS: No effusion.\\nIMPRESSION: Normal.")], generator=2).texts
        ['IMPRESSION: Normal.\\nFINDINGS: No effusion.']
    """

    family = "section_shuffle"
    effect = "meaning_preserving"
    severity_table = _SHUFFLE_SEVERITY

    def _edit(self, reports: list[Report], params: Params):
        blocks = [(b, k, *_block(r, s)) for b, r in enumerate(reports)
                  for k, s in enumerate(r.sections) if s.header_span is not None]
        counts = np.array([len(r.sections) for r in reports], dtype=np.int64)
        row, pos, start, end = (np.array([x[i] for x in blocks], dtype=np.int64).reshape(-1)
                                for i in range(4))
        # draws are indexed by section position, so a slice of the batch replays exactly
        at = (np.cumsum(counts) - counts)[row] + pos
        rate = per_row(params["rate"], np.repeat(np.arange(len(reports)), counts))
        chosen = (draws(params["seed"], counts) < rate)[at]
        key = draws(params["seed"], counts, stream=1)[at]
        slots, movers = permute_slots(row, row, pos, chosen, key)
        moved = slots != movers
        slots, movers = slots[moved], movers[moved]
        news = [reports[row[m]].text[start[m]:end[m]] for m in movers.tolist()]
        return group_spans(row[slots], start[slots], end[slots], news, len(reports))


def _block(report: Report, section) -> tuple[int, int]:
    """Char span of a section: header start to the end of its last token."""
    end = section.header_span[1]
    if section.sentence_end > section.sentence_start:
        last_token = int(report.sentence_bounds[section.sentence_end - 1][1]) - 1
        end = max(end, int(report.token_end[last_token]))
    return section.header_span[0], end
