"""Compiled lexicon: phrase tries over lower-cased tokens and single-token flag bits.

Phrases are tokenised with the parser's own tokenizer, so "no evidence of" or "w/o" match the
token sequences the parser produces. One compiled object per :class:`Lexicon` (cached).

Each distinct word is looked up once (memoised): the answer packs its :class:`TokenFlag` bits
with private bits above them that tell the parser where a phrase may start, where a sentence
may end and what is a number, so later passes visit only those tokens.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
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
SENTENCE_ENDS = frozenset({".", "!", "?"})
#: Private bits above the TokenFlag bits (the parser masks them off with TOKEN_FLAGS).
TOKEN_FLAGS = (1 << 16) - 1
CUE_START, FINDING_START, DIGITS, SENTENCE_END = 1 << 16, 1 << 17, 1 << 18, 1 << 19
LINE_BREAK_AFTER = 1 << 20  # set by the parser: a newline follows the token
_MEMO_LIMIT = 200_000


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
    """Longest, leftmost, non-overlapping phrase matches inside sentences (a nested-dict
    trie: one dict lookup per token on the common path).

    Example:
        >>> trie = PhraseTrie([(("no",), "neg"), (("no", "change"), "pseudo")])
        >>> words = ["no", "change", ".", "no", "."]
        >>> trie.find(words, [0, 0, 4096, 0, 4096], [0, 3], [0, 0, 0, 1, 1], [(0, 3), (3, 5)])
        [(0, 2, 'pseudo', 0), (3, 4, 'neg', 1)]
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
        #: Words a match can start with.
        self.first_words = frozenset(self._root)

    def links(self) -> tuple[frozenset[tuple[str, str]], frozenset[str]]:
        """Pairs of words adjacent in some phrase, and the words a gap (``...``) follows.

        Example:
            >>> PhraseTrie([(("heart", GAP, "enlarged"), "x"), (("no", "change"), "y")]).links()
            (frozenset({('no', 'change')}), frozenset({'heart'}))
        """
        pairs: set[tuple[str, str]] = set()
        gap_after: set[str] = set()
        stack: list[tuple[str | None, dict]] = [(None, self._root)]
        while stack:
            parent, node = stack.pop()
            for key, child in node.items():
                if key == self._END:
                    continue
                if key == GAP:
                    stack.append((None, child))
                    continue
                if parent is not None:
                    pairs.add((parent, key))
                if GAP in child:
                    gap_after.add(key)
                stack.append((key, child))
        return frozenset(pairs), frozenset(gap_after)

    def _walk(self, node: dict, words: list[str], flags: list[int], i: int, stop: int
              ) -> tuple[int, Any]:
        """Longest ``(end, payload)`` reachable from ``node`` at token ``i``; end -1: none."""
        best = (i, node[self._END]) if self._END in node else (-1, None)
        if i < stop:
            child = node.get(words[i])
            if child is not None:
                found = self._walk(child, words, flags, i + 1, stop)
                if found[0] > best[0]:
                    best = found
        gap = node.get(GAP)
        if gap is not None:
            for skip in range(MAX_GAP + 1):
                if skip and (i + skip > stop or flags[i + skip - 1] & _PUNCT):
                    break
                if i + skip < stop and words[i + skip] in gap:
                    found = self._walk(gap[words[i + skip]], words, flags, i + skip + 1, stop)
                    if found[0] > best[0]:
                        best = found
        return best

    def find(self, words: list[str], flags: list[int], candidates: Iterable[int],
             token_sentence: list[int], sentences: list[tuple[int, int]]
             ) -> list[tuple[int, int, Any, int]]:
        """Matches ``(start, end, payload, sentence)``, scanning from the ``candidates``
        (ascending indices of the tokens in :attr:`first_words`); a match never leaves its
        sentence and tokens outside sentences (``token_sentence`` -1) start none."""
        found, free, root = [], 0, self._root
        for i in candidates:
            sentence = token_sentence[i]
            if i < free or sentence < 0:
                continue
            end, payload = self._walk(root[words[i]], words, flags, i + 1,
                                      sentences[sentence][1])
            if end > i:
                found.append((i, end, payload, sentence))
                free = end
        return found


@dataclass(eq=False)
class CompiledLexicon:
    """What the parser needs from a lexicon, precompiled."""

    cues: PhraseTrie          # payload: frozenset of "neg_pre", "unc_post", "pseudo", ...
    findings: PhraseTrie      # payload: (observation, is an attribute); "-": claimed, no mention
    word_bits: dict[str, int]
    sides: dict[str, str]     # laterality word -> left / right / bilateral / unspecified
    header_re: re.Pattern[str]    # any casing, at a line start or after a sentence end
    inline_header_re: re.Pattern[str]  # upper case with a colon, after a space
    header_names: dict[str, str]  # lower-cased variant (single spaces) -> canonical
    _memo: dict[str, int] = field(default_factory=dict, repr=False)
    #: a chunk of text -> its tokens, words and bits (``_chunks.read_chunks``)
    chunk_memo: dict[str, tuple] = field(default_factory=dict, repr=False)
    #: words of a sentence -> its cue bits and mentions (``_cues.read_sentences``)
    sentence_memo: dict[tuple[str, ...], tuple] = field(default_factory=dict, repr=False)

    def token_bits(self, lower: str) -> int:
        """Single-token flags (laterality, temporal, number, punctuation) and private bits.

        Example:
            >>> from mmr_augment.text.lexicon import default_lexicon
            >>> lex = compile_lexicon(default_lexicon())
            >>> TokenFlag(lex.token_bits("left") & TOKEN_FLAGS), TokenFlag(lex.token_bits("2.5"))
            (<TokenFlag.LATERALITY: 64>, <TokenFlag.NUMBER: 128>)
        """
        bits = self.word_bits.get(lower)
        if bits is None:
            bits = 0
            if any(ch.isdigit() for ch in lower):
                bits |= _NUMBER
            if not any(ch.isalnum() for ch in lower):
                bits |= _PUNCT
            if "-" in lower and any(part in self.sides for part in lower.split("-")):
                bits |= _LATERAL
        if lower in self.cues.first_words:
            bits |= CUE_START
        if lower in self.findings.first_words:
            bits |= FINDING_START
        if lower.isdigit():
            bits |= DIGITS
        if lower in SENTENCE_ENDS:
            bits |= SENTENCE_END
        if len(self._memo) < _MEMO_LIMIT:
            self._memo[lower] = bits
        return bits

    def words_bits(self, words: list[str]) -> list[int]:
        """:meth:`token_bits` of every word (memoised: one dict lookup per known word)."""
        bits = list(map(self._memo.get, words))
        if None in bits:
            bits = [self.token_bits(w) if b is None else b for w, b in zip(words, bits)]
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
    findings = [(phrase_tokens(p), (obs, attribute))
                for attribute, table in ((True, lex.attributes), (False, lex.findings))
                for obs, phrases in table.items() for p in phrases]
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
