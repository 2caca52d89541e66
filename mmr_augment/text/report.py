"""``Report``: a clinical report parsed once, perturbed many times.

Built by :func:`mmr_augment.text.parse` and read by the text ops and the labeler. Token-level
data are numpy arrays so text ops work on whole arrays, not per-token Python.

Example:
    >>> from mmr_augment.text import parse
    >>> r = parse("FINDINGS: No pleural effusion.")
    >>> [m.observation + ":" + m.polarity for m in r.mentions]
    ['Pleural Effusion:negative']
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from enum import IntFlag

import numpy as np


class TokenFlag(IntFlag):
    """Per-token flags (bits of ``Report.token_flags``)."""

    NEGATION = 1            # negation cue ("no", "without", "negative for", "not")
    NEGATED = 2             # inside a negation scope
    UNCERTAINTY = 4         # uncertainty cue ("may represent", "cannot exclude", "likely")
    UNCERTAIN = 8           # inside an uncertainty scope
    PSEUDO_NEGATION = 16    # "no change", "no interval change": not a negation
    TERMINATION = 32        # "but", "however": ends a scope
    LATERALITY = 64         # left / right / bilateral / L / R
    NUMBER = 128            # number or measurement ("2.5", "cm", "T10")
    TEMPORAL = 256          # stable, unchanged, new, increased, ...
    FINDING = 512           # part of a finding mention
    DEID = 1024             # de-identification mask ("XXXX"), one opaque token
    HEADER = 2048           # part of a section header
    PUNCT = 4096            # punctuation
    NORMAL = 8192           # inside a normality statement's scope ("heart size is normal")
    STABLE = 16384          # inside a "stable" / "unchanged" statement's scope


#: Tokens that meaning-preserving and information-removing ops never delete, change or move
#: out of their sentence.
PROTECTED = (TokenFlag.NEGATION | TokenFlag.UNCERTAINTY | TokenFlag.PSEUDO_NEGATION
             | TokenFlag.TERMINATION | TokenFlag.LATERALITY | TokenFlag.NUMBER
             | TokenFlag.DEID | TokenFlag.HEADER)


#: Words that end the window after a mention in which the parser looks for its side
#: ("left effusion and [right] atelectasis").
SIDE_WINDOW_STOPS = frozenset({"and", "or", "with", "but"})


@dataclass(frozen=True)
class Section:
    """A section: canonical ``name`` ("FINDINGS", ...; ``None`` when the text has no header),
    the header's character span (or ``None``), the body span, and its sentences
    ``[sentence_start, sentence_end)``."""

    name: str | None
    header_span: tuple[int, int] | None
    body_span: tuple[int, int]
    sentence_start: int
    sentence_end: int


@dataclass(frozen=True)
class Mention:
    """A finding mention: CheXpert observation, token span ``[start, end)``, polarity, and the
    side stated next to it ("left" | "right" | "bilateral" | "unspecified" | ``None``)."""

    observation: str
    token_start: int
    token_end: int
    polarity: str  # "positive" | "negative" | "uncertain"
    laterality: str | None = None


@dataclass(frozen=True, eq=False)
class Report:
    """A parsed report (built by :func:`mmr_augment.text.parse`; cached, so shared: the arrays
    are read-only, copy them before editing).

    Tokens exclude whitespace. Header tokens ("FINDINGS", ":") belong to no sentence:
    their ``token_sentence`` is ``-1``; every other token is in exactly one sentence, and
    sentences never cross sections. An empty or whitespace-only text has zero tokens,
    sentences and sections.
    """

    text: str
    token_start: np.ndarray      # (T,) int32 char offset
    token_end: np.ndarray        # (T,) int32 char offset (exclusive)
    token_flags: np.ndarray      # (T,) int32, TokenFlag bits
    token_sentence: np.ndarray   # (T,) int32 sentence index
    sentence_bounds: np.ndarray  # (S, 2) int32 token range [start, end)
    sentence_section: np.ndarray  # (S,) int32 section index
    sections: tuple[Section, ...] = ()
    mentions: tuple[Mention, ...] = field(default=())

    @property
    def tokens(self) -> list[str]:
        return [self.text[s:e] for s, e in zip(self.token_start.tolist(),
                                               self.token_end.tolist(), strict=True)]

    @functools.cached_property
    def has_body(self) -> bool:
        """True when a token is neither header nor punctuation (text ops skip other reports)."""
        return bool(((self.token_flags & int(TokenFlag.HEADER | TokenFlag.PUNCT)) == 0).any())

    @property
    def n_tokens(self) -> int:
        return int(self.token_start.shape[0])

    @property
    def sentence_spans(self) -> np.ndarray:
        """(S, 2) int64 character span ``[start, end)`` of each sentence."""
        if not len(self.sentence_bounds):
            return np.zeros((0, 2), dtype=np.int64)
        first, last = self.sentence_bounds[:, 0], self.sentence_bounds[:, 1] - 1
        return np.stack([self.token_start[first], self.token_end[last]], axis=1).astype(np.int64)

    @property
    def protected(self) -> np.ndarray:
        """(T,) bool: tokens the safe op classes must leave alone."""
        return (self.token_flags & int(PROTECTED)) != 0
