"""Meaning-preserving substitutions: clinical synonyms and abbreviation expand / contract.

Every (phrase, replacement) pair is checked once against the labeler: the replacement must
carry no protected token (cue, laterality, number) and must be labeled exactly like the phrase
it replaces, so a swap can never change which finding the labeler sees or its polarity.
"""

from __future__ import annotations

import functools

import numpy as np

from ...core import Params
from ...errors import ConfigError
from ..base import draws, group_spans
from ..report import Report
from ._phrases import PhraseTable, match_case
from ._rated import RatedTextOp, per_row
from ._tables import Tokens
from ._verify import verified

__all__ = ["AbbreviationSwap", "SynonymSwap"]

_SWAP_SEVERITY = {"rate": (0.2, 0.4, 0.6, 0.8, 1.0)}


@functools.lru_cache(maxsize=4096)
def _reading(phrase: str) -> tuple[frozenset, bool]:
    """What the labeler reads in a phrase alone, and whether it holds a protected token."""
    from ..labeler import label
    from ..parse import parse

    report = parse(phrase)
    return frozenset(label(report).items()), bool(report.protected.any())


def safe_pairs(groups: list[tuple[str, tuple[str, ...]]]) -> list[tuple[str, tuple[str, ...]]]:
    """Keep the targets that read exactly like their source and hold no protected token."""
    out = []
    for source, targets in groups:
        seen, _ = _reading(source)
        keep = tuple(t for t in targets if _reading(t) == (seen, False))
        out.append((source, keep))
    return out


@functools.lru_cache(maxsize=2)
def synonym_table(restricted: bool) -> PhraseTable:
    from ..lexicon import synonym_classes

    classes = synonym_classes(include_restricted=restricted)
    return PhraseTable(safe_pairs([(m, tuple(t for t in c if t != m))
                                   for c in classes for m in c]))


@functools.lru_cache(maxsize=3)
def abbreviation_table(direction: str) -> PhraseTable:
    from ..lexicon import abbreviations

    short = abbreviations()
    groups: list[tuple[str, tuple[str, ...]]] = []
    if direction in ("expand", "both"):
        groups += [(s, (long,)) for s, long in short.items()]
    if direction in ("contract", "both"):
        groups += [(long, tuple(s for s, v in short.items() if v == long))
                   for long in dict.fromkeys(short.values())]
    return PhraseTable(safe_pairs(groups))


class _PhraseSwap(RatedTextOp, abstract=True):
    """Swap each eligible lexicon phrase with probability ``rate``; the replacement is drawn
    uniformly among the phrase's safe targets. A phrase is eligible when none of its tokens is
    protected."""

    severity_table = _SWAP_SEVERITY

    def table(self) -> PhraseTable:
        raise NotImplementedError

    def _edit(self, reports: list[Report], params: Params):
        table = self.table()
        tok = Tokens.of(reports)
        found = [table.matches(r) for r in reports]
        counts = np.array([len(f) for f in found], dtype=np.int64)
        hits = np.concatenate(found) if found else np.zeros((0, 3), dtype=np.int64)
        row = np.repeat(np.arange(len(reports)), counts)
        base = np.repeat(np.cumsum(tok.counts) - tok.counts, counts)
        first, stop = hits[:, 0] + base, hits[:, 1] + base
        guarded = np.concatenate([[0], np.cumsum(tok.protected)])
        # draws are indexed by token position, so they do not depend on the lexicon's matches
        u = draws(params["seed"], tok.counts)[first]
        pick = ((guarded[stop] == guarded[first]) & (u < per_row(params["rate"], row)))
        which = draws(params["seed"], tok.counts, stream=1)[first[pick]].tolist()
        start, end = tok.start[first[pick]], tok.end[stop[pick] - 1]
        initial = ~tok.has_prev[first[pick]] | (tok.sentence[first[pick]] !=
                                                 tok.sentence[np.maximum(first[pick] - 1, 0)])
        news = []
        for b, s, e, sid, w, init in zip(row[pick].tolist(), start.tolist(), end.tolist(),
                                         hits[pick, 2].tolist(), which, initial.tolist(),
                                         strict=True):
            options = table.targets[sid]
            news.append(match_case(reports[b].text[s:e], options[int(w * len(options))], init,
                                   table.exact[sid]))
        spans = group_spans(row[pick], start, end, news, len(reports))
        return [verified(r, sp) for r, sp in zip(reports, spans, strict=True)]


class SynonymSwap(_PhraseSwap):
    """Replace clinical phrases by a synonym from the same equivalence class ("pleural
    effusion" -> "pleural fluid"). ``restricted=True`` also uses the classes valid only in a
    predicative slot. Severity: rate .2 .4 .6 .8 1 of eligible phrases.

    Example:
        >>> SynonymSwap(rate=1.0)(["Small pleural effusion."], generator=0).texts
        ['Small pleural fluid.']
    """

    family = "synonym"
    effect = "meaning_preserving"

    def __init__(self, rate=(0.2, 0.6), *, restricted: bool = False, p: float = 1.0,
                 severity: int | None = None) -> None:
        super().__init__(rate, p=p, severity=severity)
        self.restricted = bool(restricted)

    def table(self) -> PhraseTable:
        return synonym_table(self.restricted)


class AbbreviationSwap(_PhraseSwap):
    """Expand ("CHF" -> "congestive heart failure"), contract, or both. Severity: rate .2 .4
    .6 .8 1 of eligible phrases.

    Example:
        >>> op = AbbreviationSwap(rate=1.0, direction="expand")
        >>> op(["PA and lateral views. No PTX."], generator=0).texts
        ['Posteroanterior and lateral views. No pneumothorax.']
    """

    family = "abbreviation"
    effect = "meaning_preserving"

    def __init__(self, rate=(0.2, 0.6), *, direction: str = "both", p: float = 1.0,
                 severity: int | None = None) -> None:
        super().__init__(rate, p=p, severity=severity)
        if direction not in ("expand", "contract", "both"):
            raise ConfigError(f"AbbreviationSwap: direction must be 'expand', 'contract' or "
                              f"'both', got {direction!r}")
        self.direction = direction

    def table(self) -> PhraseTable:
        return abbreviation_table(self.direction)
