"""Meaning-preserving misspellings: keyboard neighbours, OCR confusions, transpositions."""

from __future__ import annotations

import functools
import re

import numpy as np

from ...core import Params
from .._drops import inert_tokens
from ..base import draws, group_spans
from ..report import Report, TokenFlag
from ._rated import RatedTextOp, per_row
from ._tables import Tokens

__all__ = ["Typo"]

_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
#: QWERTY neighbours (same row left/right, and the keys above and below).
KEYBOARD: dict[str, str] = {
    c: "".join(_ROWS[r2][c2] for r2, c2 in ((r, i - 1), (r, i + 1), (r - 1, i), (r - 1, i + 1),
                                              (r + 1, i - 1), (r + 1, i))
               if 0 <= r2 < 3 and 0 <= c2 < len(_ROWS[r2]))
    for r, keys in enumerate(_ROWS) for i, c in enumerate(keys)
}
#: Letter confusions typical of OCR'd or scanned reports. Letters only: a digit would turn the
#: word into a protected number token.
OCR: tuple[tuple[str, str], ...] = (
    ("rn", "m"), ("m", "rn"), ("cl", "d"), ("d", "cl"), ("i", "l"), ("l", "i"), ("e", "c"),
    ("c", "e"), ("vv", "w"), ("w", "vv"), ("h", "b"), ("n", "ri"), ("li", "h"), ("u", "v"),
)


@functools.lru_cache(maxsize=1)
def _forbidden() -> frozenset[str]:
    """Words a misspelling must never produce: cues, hedges, laterality, finding words."""
    from ..lexicon import default_lexicon

    lex = default_lexicon()
    groups = [*lex.negation.values(), *lex.uncertainty.values(), *lex.findings.values(),
              *lex.attributes.values(), lex.hedges, tuple(lex.laterality), lex.temporal,
              *(v for v in lex.sections.values())]
    phrases = [p for group in groups for p in group]
    return frozenset(w for p in phrases for w in re.findall(r"[a-z0-9]+", p.lower()))


def _find_all(text: str, part: str) -> list[int]:
    found, i = [], text.find(part)
    while i >= 0:
        found.append(i)
        i = text.find(part, i + 1)
    return found


def misspell(word: str, kind: float, where: float, which: float) -> str:
    """One typo in ``word`` from three uniforms: the kind (keyboard / OCR / transposition),
    the position and the replacement.

    Example:
        >>> misspell("clear", 0.1, 0.5, 0.0), misspell("clear", 0.9, 0.0, 0.0)
        ('clwar', 'lcear')
    """
    lower = word.lower()
    if 1 / 3 <= kind < 2 / 3:
        hits = [(i, a, b) for a, b in OCR for i in _find_all(lower, a)]
        if hits:
            i, a, b = hits[int(where * len(hits))]
            b = b[0].upper() + b[1:] if word[i].isupper() else b
            return word[:i] + b + word[i + len(a):]
    if kind >= 2 / 3 and len(word) > 1:
        i = int(where * (len(word) - 1))
        if word[i] != word[i + 1]:
            return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    i = int(where * len(word))
    keys = KEYBOARD.get(lower[i])
    if not keys:
        return word
    new = keys[int(which * len(keys))]
    return word[:i] + (new.upper() if word[i].isupper() else new) + word[i + 1:]


class Typo(RatedTextOp):
    """Misspell each eligible word with probability ``rate``.

    Eligible: alphabetic body words of 3+ letters outside protected tokens (cues, normality
    words, laterality, numbers, ``XXXX``, headers) and, with ``protect_findings`` (default),
    outside every finding, attribute or cue phrase match and the reach of its gaps and side
    windows (:func:`~mmr_augment.text._drops.inert_tokens`), so the labeler's reading is
    unchanged. A typo that would spell a word of any lexicon phrase is skipped.
    Severity: rate .1 .2 .3 .4 .5 of eligible words.

    Example:
        >>> op = Typo(rate=0.5)
        >>> op(["Heart size is normal. Bony structures are intact without acute abnormality."],
        ...    generator=2).texts
        ['Heart size is normal. Bony strvctures are lntact without qcute abnormality.']
    """

    family = "typo"
    effect = "meaning_preserving"

    def __init__(self, rate=(0.05, 0.3), *, protect_findings: bool = True, p: float = 1.0,
                 severity: int | None = None) -> None:
        super().__init__(rate, p=p, severity=severity)
        self.protect_findings = bool(protect_findings)

    def _edit(self, reports: list[Report], params: Params):
        tok = Tokens.of(reports)
        seed = params["seed"]
        eligible = tok.whole_word & ~tok.protected & (tok.end - tok.start >= 3)
        if self.protect_findings:
            eligible &= ~tok.has(TokenFlag.FINDING)
            if len(reports):
                eligible &= np.concatenate([inert_tokens(r) for r in reports])
        pick = (eligible & (draws(seed, tok.counts) < per_row(params["rate"], tok.row)))
        pick = pick.nonzero()[0]
        u = [draws(seed, tok.counts, stream=k)[pick].tolist() for k in (1, 2, 3)]
        forbidden = _forbidden()
        rows, starts, ends, news = [], [], [], []
        for j, i in enumerate(pick.tolist()):
            b, s, e = int(tok.row[i]), int(tok.start[i]), int(tok.end[i])
            word = reports[b].text[s:e]
            if not word.isalpha():
                continue
            new = misspell(word, u[0][j], u[1][j], u[2][j])
            if new.lower() in forbidden:
                continue
            rows.append(b), starts.append(s), ends.append(e), news.append(new)
        return group_spans(np.array(rows, dtype=np.int64), np.array(starts, dtype=np.int64),
                           np.array(ends, dtype=np.int64), news, len(reports))
