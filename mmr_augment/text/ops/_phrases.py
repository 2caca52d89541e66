"""Phrase tables for swap ops: longest-match lookup of lexicon phrases in a parsed report.

Phrases are tokenised by the same parser as reports, so a phrase matches exactly the token runs
it would produce. Matches are computed once per (report, table) and cached with the report.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Sequence

import numpy as np

from ..report import Report


class PhraseTable:
    """Source phrases, each with the phrases that may replace it.

    ``pairs`` are ``(source, targets)``; a source written in capitals (``"CHF"``) only matches
    that exact spelling, any other source matches case-insensitively.
    """

    def __init__(self, pairs: Iterable[tuple[str, Sequence[str]]]) -> None:
        from ..parse import parse

        self.targets: list[tuple[str, ...]] = []
        self.exact: list[bool] = []
        self._first: dict[str, list[tuple[tuple[str, ...], bool, int]]] = {}
        for source, targets in pairs:
            targets = tuple(t for t in targets if t != source)
            if not targets:
                continue
            words = tuple(parse(source).tokens)
            if not words:
                continue
            exact = source.isupper()
            key = words[0] if exact else words[0].lower()
            norm = words if exact else tuple(w.lower() for w in words)
            self._first.setdefault(key, []).append((norm, exact, len(self.targets)))
            self.targets.append(targets)
            self.exact.append(exact)
        for options in self._first.values():
            options.sort(key=lambda o: -len(o[0]))
        self._cache: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def __len__(self) -> int:
        return len(self.targets)

    def matches(self, report: Report) -> np.ndarray:
        """``(M, 3)`` int64 rows ``(first token, end token, source id)``, longest first match,
        non-overlapping, in text order."""
        hit = self._cache.get(report)
        if hit is None:
            hit = self._match(report.tokens)
            self._cache[report] = hit
        return hit

    def _match(self, tokens: list[str]) -> np.ndarray:
        lower = [t.lower() for t in tokens]
        found, i = [], 0
        while i < len(tokens):
            options = self._first.get(lower[i], ()) or self._first.get(tokens[i], ())
            for words, exact, sid in options:
                run = (tokens if exact else lower)[i:i + len(words)]
                if tuple(run) == words:
                    found.append((i, i + len(words), sid))
                    i += len(words) - 1
                    break
            i += 1
        return np.array(found, dtype=np.int64).reshape(-1, 3)


def match_case(original: str, new: str, initial: bool, abbreviation: bool = False) -> str:
    """Carry the original's capitalisation over to its replacement: sentence-initial words
    are capitalised, an all-capitals report stays in capitals, and an abbreviation ("ET tube",
    "PTX") counts as lower case unless it starts the sentence.

    Example:
        >>> match_case("Effusion", "pleural fluid", True), match_case("EFFUSION", "fluid", True)
        ('Pleural fluid', 'FLUID')
        >>> match_case("ET tube", "breathing tube", False)
        'breathing tube'
    """
    first = original.split()[0] if original.split() else original
    abbreviation = abbreviation or (len(first) > 1 and first.isupper() and not original.isupper())
    if not abbreviation and len(original) > 1 and original.isupper():
        return new.upper()
    if initial or (original[:1].isupper() and not abbreviation):
        return new[:1].upper() + new[1:]
    return new
