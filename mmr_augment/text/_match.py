"""Compiled lexicon: phrase tries over lower-cased tokens and single-token flag bits.

Phrases are tokenised with the parser's own tokenizer, so "no evidence of" or "w/o" match the
token sequences the parser produces. One compiled object per :class:`Lexicon` (cached).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ._tokens import tokenizer
from .lexicon import Lexicon
from .report import TokenFlag

GAP = "..."      # in a finding phrase: up to MAX_GAP words, no punctuation
MAX_GAP = 3
_UNITS = {"cm", "mm", "m", "%", "cc", "ml", "mmhg", "kg", "mg", "x", "degrees", "degree",
          "cm.", "mm."}
_NUMBER, _PUNCT, _LATERAL = int(TokenFlag.NUMBER), int(TokenFlag.PUNCT), int(TokenFlag.LATERALITY)
_NUMBER_WORDS = {"one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
                 "eleven", "twelve", "half", "single", "several"}


def phrase_tokens(phrase: str) -> tuple[str, ...]:
    """Lower-cased tokens of a lexicon phrase (``...`` kept as the gap marker)."""
    pieces = [p.strip() for p in phrase.lower().split(GAP)]
    out: list[str] = []
    for k, piece in enumerate(pieces):
        if k:
            out.append(GAP)
        out.extend(t.text for t in tokenizer()(piece) if not t.is_space)
    return tuple(out)


class PhraseTrie:
    """Longest, leftmost, non-overlapping phrase matches over a token list (a nested-dict
    trie: one dict lookup per token on the common path).

    Example:
        >>> trie = PhraseTrie([(("no",), "neg"), (("no", "change"), "pseudo")])
        >>> trie.find(["no", "change", "in", "no"], [False] * 4, 0, 4)
        [(0, 2, 'pseudo'), (3, 4, 'neg')]
    """

    _END = ""  # key of a node's payload (no token is empty)

    def __init__(self, phrases: Iterable[tuple[tuple[str, ...], Any]]):
        self._root: dict[str, Any] = {}
        for tokens, payload in phrases:
            if not tokens or tokens[0] == GAP:
                continue
            node = self._root
            for token in tokens:
                node = node.setdefault(token, {})
            node[self._END] = payload

    def _walk(self, node: dict, words: list[str], punct: list[bool], i: int, stop: int
              ) -> tuple[int, Any]:
        """Longest ``(end, payload)`` reachable from ``node`` at token ``i``; end -1: none."""
        best = (i, node[self._END]) if self._END in node else (-1, None)
        if i < stop:
            child = node.get(words[i])
            if child is not None:
                found = self._walk(child, words, punct, i + 1, stop)
                if found[0] > best[0]:
                    best = found
        gap = node.get(GAP)
        if gap is not None:
            for skip in range(MAX_GAP + 1):
                if skip and (i + skip > stop or punct[i + skip - 1]):
                    break
                if i + skip < stop and words[i + skip] in gap:
                    found = self._walk(gap[words[i + skip]], words, punct, i + skip + 1, stop)
                    if found[0] > best[0]:
                        best = found
        return best

    def find(self, words: list[str], punct: list[bool], start: int, stop: int
             ) -> list[tuple[int, int, Any]]:
        """Matches ``(start, end, payload)`` inside ``words[start:stop]``."""
        found, i, root = [], start, self._root
        while i < stop:
            node = root.get(words[i])
            end, payload = self._walk(node, words, punct, i + 1, stop) if node else (-1, None)
            if end > i:
                found.append((i, end, payload))
                i = end
            else:
                i += 1
        return found


@dataclass(eq=False)
class CompiledLexicon:
    """What the parser needs from a lexicon, precompiled."""

    cues: PhraseTrie          # payload: frozenset of "neg_pre", "unc_post", "pseudo", ...
    findings: PhraseTrie      # payload: observation ("-" = claimed, not a mention)
    word_bits: dict[str, int]
    sides: dict[str, str]     # laterality word -> left / right / bilateral / unspecified
    header_re: re.Pattern[str]    # any casing, at a line start or after a sentence end
    inline_header_re: re.Pattern[str]  # upper case with a colon, after a space
    header_names: dict[str, str]  # lower-cased variant (single spaces) -> canonical

    def token_bits(self, lower: str) -> int:
        """Single-token flags: laterality, temporal, number, punctuation (memoised)."""
        bits = self.word_bits.get(lower)
        if bits is None:
            bits = 0
            if any(ch.isdigit() for ch in lower):
                bits |= _NUMBER
            if not any(ch.isalnum() for ch in lower):
                bits |= _PUNCT
            if "-" in lower and any(part in self.sides for part in lower.split("-")):
                bits |= _LATERAL
            if len(self.word_bits) < 200_000:
                self.word_bits[lower] = bits
        return bits

    def side(self, lower: str) -> str | None:
        """left / right / bilateral / unspecified for a laterality token."""
        if lower in self.sides:
            return self.sides[lower]
        parts = [self.sides[p] for p in lower.split("-") if p in self.sides]
        return "bilateral" if len(set(parts)) > 1 else (parts[0] if parts else None)


def _cue_phrases(lex: Lexicon) -> list[tuple[tuple[str, ...], frozenset[str]]]:
    kinds: dict[tuple[str, ...], set[str]] = {}
    for prefix, table in (("neg", lex.negation), ("unc", lex.uncertainty)):
        for kind, triggers in table.items():
            name = kind if kind in ("pseudo", "termination") and prefix == "neg" \
                else f"{prefix}_{kind}"
            for trigger in triggers:
                kinds.setdefault(phrase_tokens(trigger), set()).add(name)
    return [(tokens, frozenset(k)) for tokens, k in kinds.items()]


@functools.lru_cache(maxsize=16)
def compile_lexicon(lex: Lexicon) -> CompiledLexicon:
    """Compile ``lex`` once (cached by identity)."""
    findings = [(phrase_tokens(p), obs) for obs, phrases in lex.findings.items()
                for p in phrases]
    bits: dict[str, int] = {}
    for word in lex.laterality:
        bits[word] = bits.get(word, 0) | TokenFlag.LATERALITY
    for word in lex.temporal:
        bits[word] = bits.get(word, 0) | TokenFlag.TEMPORAL
    for word in _UNITS | _NUMBER_WORDS:
        bits[word] = bits.get(word, 0) | TokenFlag.NUMBER
    bits = {w: int(b) for w, b in bits.items()}
    names = {" ".join(v.split()): canon for canon, variants in lex.sections.items()
             for v in variants}
    def alternation(variants):
        return "|".join(r"\s+".join(map(re.escape, v.split()))
                        for v in sorted(variants, key=len, reverse=True))

    alternatives = alternation(names)
    tail = r"(?![\w/-])(?P<c>[ \t]*:)?"
    # Anchored: the regex engine tries the alternation only at line and sentence starts.
    header_re = re.compile(rf"(?:^|(?<=[.!?]))[ \t]*(?P<h>{alternatives}){tail}",
                           re.IGNORECASE | re.MULTILINE)
    inline_re = re.compile(rf"(?<=[ \t])(?P<h>{alternation(v.upper() for v in names)}){tail}")
    return CompiledLexicon(PhraseTrie(_cue_phrases(lex)), PhraseTrie(findings), bits,
                           dict(lex.laterality), header_re, inline_re, names)
