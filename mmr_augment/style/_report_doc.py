"""A per-report view the style dimensions share: words, sentence bodies, list markers, and
what the labeler reads (built from the cached parse; nothing is re-tokenised)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ..text.labeler import CONTEXT_SECTIONS
from ..text.report import Report, TokenFlag

Span = tuple[int, int, str]
_PUNCT = int(TokenFlag.PUNCT)


@dataclass
class Doc:
    """One parsed report plus the per-sentence facts the style dimensions use.

    Example:
        >>> from mmr_augment.text import parse
        >>> doc = Doc(parse("IMPRESSION:\\n1. No effusion.\\n2. Mild cardiomegaly."))
        >>> doc.numbered(0), doc.body(1)
        (True, 'Mild cardiomegaly.')
    """

    report: Report

    @cached_property
    def text(self) -> str:
        return self.report.text

    @cached_property
    def starts(self) -> list[int]:
        return self.report.token_start.tolist()

    @cached_property
    def ends(self) -> list[int]:
        return self.report.token_end.tolist()

    @cached_property
    def flags(self) -> list[int]:
        return self.report.token_flags.tolist()

    @cached_property
    def words(self) -> list[str]:
        return [w.lower() for w in self.report.tokens]

    @cached_property
    def bounds(self) -> list[tuple[int, int]]:
        return [(int(a), int(b)) for a, b in self.report.sentence_bounds]

    @cached_property
    def section_of(self) -> list[int]:
        return self.report.sentence_section.tolist()

    @cached_property
    def first(self) -> list[int]:
        """First body token of each sentence (after a "1." / "2)" list marker)."""
        out = []
        for a, b in self.bounds:
            marker = (b - a > 2 and self.words[a].isdigit() and len(self.words[a]) <= 2
                      and self.words[a + 1] in (".", ")"))
            out.append(a + 2 if marker else a)
        return out

    def numbered(self, k: int) -> bool:
        return self.first[k] != self.bounds[k][0]

    def body_span(self, k: int) -> tuple[int, int]:
        """Characters of sentence ``k`` without its list marker."""
        return self.starts[self.first[k]], self.ends[self.bounds[k][1] - 1]

    def sentence_span(self, k: int) -> tuple[int, int]:
        return self.starts[self.bounds[k][0]], self.ends[self.bounds[k][1] - 1]

    def body(self, k: int) -> str:
        s, e = self.body_span(k)
        return self.text[s:e]

    @cached_property
    def word_counts(self) -> list[int]:
        """Word tokens (not punctuation, not list markers) per sentence."""
        word = np.concatenate([[0], np.cumsum((self.report.token_flags & _PUNCT) == 0)])
        return [int(word[b] - word[f]) for (_, b), f in zip(self.bounds, self.first, strict=True)]

    def sentences_of(self, section: int) -> range:
        s = self.report.sections[section]
        return range(s.sentence_start, s.sentence_end)

    def section_block(self, section: int) -> tuple[int, int]:
        """Header start to the end of the section's last token."""
        s = self.report.sections[section]
        end = s.header_span[1]
        if s.sentence_end > s.sentence_start:
            end = max(end, self.ends[self.bounds[s.sentence_end - 1][1] - 1])
        return s.header_span[0], end

    @cached_property
    def mention_of(self) -> dict[int, tuple[int, int]]:
        """Token index -> token span of the finding mention it belongs to."""
        return {i: (m.token_start, m.token_end) for m in self.report.mentions
                for i in range(m.token_start, m.token_end)}

    def aligned(self, first: int, stop: int) -> bool:
        """Tokens ``[first, stop)`` cut no finding mention: each mention they touch is exactly
        this span."""
        return all(self.mention_of.get(i, (first, stop)) == (first, stop)
                   for i in range(first, stop))

    @cached_property
    def mentions_by_sentence(self) -> dict[int, list]:
        out: dict[int, list] = {}
        sentence = self.report.token_sentence
        for m in self.report.mentions:
            out.setdefault(int(sentence[m.token_start]), []).append(m)
        return out


def reading(report: Report) -> list[tuple]:
    """What the labeler reads, mention by mention: (in a context section, observation,
    polarity, side). A label-preserving style keeps this list exactly.

    Example:
        >>> from mmr_augment.text import parse
        >>> reading(parse("INDICATION: pneumonia? FINDINGS: No left effusion."))
        [(False, 'Pleural Effusion', 'negative', 'left'), (True, 'Pneumonia', 'uncertain', '')]
    """
    names = [s.name for s in report.sections]
    section = np.asarray(report.sentence_section)
    sentence = np.asarray(report.token_sentence)
    return sorted((names[int(section[int(sentence[m.token_start])])] in CONTEXT_SECTIONS,
                   m.observation, m.polarity, m.laterality or "") for m in report.mentions)
