"""What the labeler reads after whole words are dropped, without re-parsing the report.

Dropping unprotected words can still change a report's reading in context ("no acute
[pulmonary] abnormality" becomes the normal phrase "no acute abnormality"). The exact check
re-parses the edited text (:func:`mmr_augment.text.ops._verify.verified`, ~100 us a report).
This module proves the common case cheaper: when the drops provably leave the report's
*structure* alone (the other tokens, the sentence bounds, the section headers), the reading
can only change inside the edited sentences, and the parser reads a sentence from its words
alone (memoised per word tuple, :func:`mmr_augment.text._cues.sentence_reading`). So each
edited sentence is re-read on its own, and only the sentences that read differently get their
words back.

The structure is left alone when, around every run of consecutive dropped tokens ``[i, j]``
with neighbours ``p = i - 1`` and ``q = j + 1``:

- no line break lies between ``p`` and ``q`` and the run is not at the text's edge (line
  breaks end sentences and anchor headers);
- headers stay as they are: ``q`` is no header token and ``p`` none but a header's colon;
  ``p q`` is no pair inside a header phrase; a word that can start a header does not come to
  follow ".", "!" or "?"; a word that can end one is not upper case and gets no colon after it;
- no numbered item is opened: ``p`` is not a number followed by "." or ")" at ``q``;
- the tokenizer gives the remaining tokens as before: no punctuation is glued before the run;
  when punctuation is glued after it ("normal."), the chunk that the removal joins ("is.")
  tokenizes to the old words; a glued period before the run splits as before (it depends on
  whether a capital follows); no tokenizer special case spans a changed chunk boundary.

Otherwise :func:`kept_drops` returns ``None`` and the caller re-parses. Non-ASCII text always
takes the re-parse (its tokenizer path is not chunk-wise).

Most edited sentences need no re-read either: the reading provably stays when every dropped
word is outside every cue and finding phrase match of the sentence, the words the drop joins
do not continue a phrase, no phrase with a gap ("heart ... enlarged") starts within the gap's reach
before the drop, and, if the sentence states a side, the drop is outside every mention's
laterality window. Then the phrase matches, cue scopes and sides are those of the original.

Example:
    >>> from mmr_augment.text.parse import parse
    >>> r = parse("No acute pulmonary abnormality. The bones are intact.")
    >>> [r.tokens[k] for k in (2, 6)]
    ['pulmonary', 'bones']
    >>> kept_drops(r, [2, 6])  # "pulmonary" would make a normal statement; "bones" is fine
    [6]
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from ._chunks import _FIRST, _GLUED, _LAST, chunk_entry, chunk_words, special_pairs
from ._cues import _WINDOW_AFTER as _AFTER
from ._cues import _WINDOW_BEFORE as _BEFORE
from ._cues import sentence_reading
from ._match import (
    CUE_START,
    FINDING_START,
    MAX_GAP,
    CompiledLexicon,
    compile_lexicon,
    phrase_tokens,
)
from ._tokens import SENTENCE_START
from .lexicon import default_lexicon
from .report import Report, TokenFlag

_HEADER, _LATERALITY = int(TokenFlag.HEADER), int(TokenFlag.LATERALITY)


@dataclass(frozen=True)
class _Vocabulary:
    """What the drop rules look up: header words (first, last, adjacent pairs), adjacent
    words of the cue and finding phrases, and the words a gap follows."""

    header_first: frozenset[str]
    header_last: frozenset[str]
    header_pairs: frozenset[tuple[str, str]]
    phrase_pairs: frozenset[tuple[str, str]]
    gap_after: frozenset[str]


@functools.lru_cache(maxsize=8)
def _vocabulary(lex: CompiledLexicon) -> _Vocabulary:
    heads = [phrase_tokens(v) for v in lex.header_names]
    (cue_pairs, cue_gaps), (finding_pairs, finding_gaps) = lex.cues.links(), lex.findings.links()
    return _Vocabulary(frozenset(t[0] for t in heads if t), frozenset(t[-1] for t in heads if t),
                       frozenset(pair for t in heads for pair in zip(t, t[1:])),
                       cue_pairs | finding_pairs, cue_gaps | finding_gaps)


@dataclass(frozen=True)
class _Layout:
    """Per report and token: lower-cased word, offsets, the chunk (run of glued tokens) it is
    in, header flag, sentence, and whether dropping it alone provably keeps its sentence's
    reading (``inert``); per sentence: bounds and reading."""

    words: list[str]
    starts: list[int]
    ends: list[int]
    chunk_first: list[int]
    chunk_last: list[int]
    header: list[bool]
    inert: list[bool]
    sentence: list[int]
    bounds: list[tuple[int, int]]
    readings: list[tuple | None]  # filled on first use
    verdict: list[int]  # memo of _verdict for dropping this token alone (0: not yet)


def _inert(report: Report, words: list[str], bounds: list[tuple[int, int]],
           sentence: list[int], lex: CompiledLexicon) -> list[bool]:
    """Tokens whose drop alone cannot change what their sentence reads (module docstring):
    outside every phrase match (cue, finding, and the claimed "-" / pseudo phrases that flag
    no token), out of reach of a gap, and out of the laterality windows of a sided sentence."""
    n, vocab = len(words), _vocabulary(lex)
    flags = lex.words_bits(words)
    inert = [True] * n
    for trie, start in ((lex.cues, CUE_START), (lex.findings, FINDING_START)):
        candidates = [k for k, f in enumerate(flags) if f & start]
        for a, b, _, _ in trie.find(words, flags, candidates, sentence, bounds):
            inert[a:b] = [False] * (b - a)
    for k, w in enumerate(words):
        if w in vocab.gap_after:  # a gap may skip the next MAX_GAP words
            inert[k + 1:k + MAX_GAP + 2] = [False] * len(inert[k + 1:k + MAX_GAP + 2])
    sided = {s for s, f in zip(sentence, report.token_flags.tolist()) if f & _LATERALITY}
    for m in report.mentions:
        if sentence[m.token_start] in sided:
            a, b = bounds[sentence[m.token_start]]
            for k in [*range(max(a, m.token_start - _BEFORE), m.token_start),
                      *range(m.token_end, min(b, m.token_end + _AFTER))]:
                inert[k] = False
    return inert


@functools.lru_cache(maxsize=8192)
def _layout(report: Report, lex: CompiledLexicon) -> _Layout:
    text, starts, ends = report.text, report.token_start.tolist(), report.token_end.tolist()
    lowered = text.lower()
    words = [lowered[s:e] for s, e in zip(starts, ends)]
    n = len(words)
    first = list(range(n))
    for k in range(1, n):
        if starts[k] == ends[k - 1]:
            first[k] = first[k - 1]
    last = list(range(n))
    for k in range(n - 2, -1, -1):
        if ends[k] == starts[k + 1]:
            last[k] = last[k + 1]
    bounds = [tuple(b) for b in report.sentence_bounds.tolist()]
    sentence = report.token_sentence.tolist()
    header = ((report.token_flags & _HEADER) != 0).tolist()
    inert = _inert(report, words, bounds, sentence, lex)
    return _Layout(words, starts, ends, first, last, header, inert, sentence, bounds,
                   [None] * len(bounds), [0] * n)


def _entry(text: str, lay: _Layout, k: int, lex: CompiledLexicon) -> tuple:
    """The tokenization of token ``k``'s chunk."""
    return chunk_entry(text[lay.starts[lay.chunk_first[k]]:lay.ends[lay.chunk_last[k]]], lex)


def _runs(drops: list[int]) -> list[tuple[int, int]]:
    """Runs ``(first, last)`` of consecutive token indices."""
    runs, i = [], drops[0]
    for prev, d in zip(drops, drops[1:]):
        if d != prev + 1:
            runs.append((i, prev))
            i = d
    runs.append((i, drops[-1]))
    return runs


def _structure_kept(text: str, lay: _Layout, i: int, j: int, lex: CompiledLexicon) -> bool:
    """Dropping tokens ``i..j`` (whole words, one sentence) leaves every other token, sentence
    bound and header as it was (the conditions of the module docstring)."""
    words, starts, ends = lay.words, lay.starts, lay.ends
    p, q = i - 1, j + 1
    if p < 0 or q >= len(words) or "\n" in text[ends[p]:starts[q]]:
        return False
    wp, wq = words[p], words[q]
    vocab = _vocabulary(lex)
    if (lay.header[q] or lay.header[p] and wp != ":" or (wp, wq) in vocab.header_pairs
            or wq in vocab.header_first and text[ends[p] - 1] in ".!?"
            or wp in vocab.header_last and (wq == ":" or text[starts[p]:ends[p]].isupper())):
        return False
    if wp.isdigit() and wq in (".", ")"):
        return False
    if ends[p] == starts[i] or any(lay.chunk_last[k] != k for k in range(i, j)):
        return False
    pairs = special_pairs()
    ep, ei, eq = _entry(text, lay, p, lex), _entry(text, lay, i, lex), _entry(text, lay, q, lex)
    if pairs is None or (ep[_LAST], ei[_FIRST]) in pairs:
        return False
    if ends[j] < starts[q]:  # the run is whole chunks: p's chunk now meets q's
        if (_entry(text, lay, j, lex)[_LAST], eq[_FIRST]) in pairs \
                or (ep[_LAST], eq[_FIRST]) in pairs:
            return False
        return not ep[_GLUED] or (bool(SENTENCE_START.match(text, starts[i]))
                                  == bool(SENTENCE_START.match(text, starts[q])))
    # punctuation glued after the run ("normal."): p's chunk takes it ("is.")
    a, b = lay.chunk_first[p], lay.chunk_last[q]
    joined = chunk_entry(text[starts[a]:ends[p]] + text[ends[j]:ends[b]], lex)
    if joined[_FIRST] != ep[_FIRST] or joined[_LAST] != eq[_LAST]:
        return False
    split = bool(SENTENCE_START.match(text, ends[b]))
    return chunk_words(joined, split) == words[a:p + 1] + words[q:b + 1]


_SAFE, _REREAD, _UNSAFE = 1, 2, 3


def _verdict(text: str, lay: _Layout, i: int, j: int, lex: CompiledLexicon) -> int:
    """Dropping tokens ``i..j``: ``_UNSAFE`` (the structure may change), ``_REREAD`` (it
    stays, the sentence must be re-read) or ``_SAFE`` (its reading provably stays)."""
    s = lay.sentence[i]
    if s < 0 or lay.sentence[j] != s or not _structure_kept(text, lay, i, j, lex):
        return _UNSAFE
    if (lay.words[i - 1], lay.words[j + 1]) in _vocabulary(lex).phrase_pairs \
            or not all(lay.inert[i:j + 1]):
        return _REREAD
    return _SAFE


def inert_tokens(report: Report, lexicon: CompiledLexicon | None = None) -> np.ndarray:
    """(T,) bool, read-only: whether dropping the token alone, or replacing it by a word that
    is in no lexicon phrase, provably keeps its sentence's reading (outside every phrase match,
    gap reach and sided laterality window). Memoised per report.

    Example:
        >>> from mmr_augment.text.parse import parse
        >>> inert_tokens(parse("Mild cardiomegaly. Heart size is normal.")).tolist()
        [True, False, True, False, False, False, False, False]
    """
    return _inert_array(report, lexicon or compile_lexicon(default_lexicon()))


@functools.lru_cache(maxsize=8192)
def _inert_array(report: Report, lex: CompiledLexicon) -> np.ndarray:
    array = np.asarray(_layout(report, lex).inert, dtype=bool)
    array.flags.writeable = False
    return array


def clear_layout_cache() -> None:
    """Forget the memoised token layouts and drop verdicts of every report.

    WordDropout and Typo memoise, per parsed report, which tokens they may touch and which
    drops keep a sentence's reading; the memo fills as reports come back (over epochs). Clear
    it to time or test the first visit of a report.

    Example:
        >>> from mmr_augment.text.parse import parse
        >>> _ = inert_tokens(parse("No effusion."))
        >>> clear_layout_cache()
        >>> _layout.cache_info().currsize
        0
    """
    _layout.cache_clear()
    _inert_array.cache_clear()


def kept_drops(report: Report, drops: list[int], lexicon: CompiledLexicon | None = None
               ) -> list[int] | None:
    """The dropped token indices (ascending; whole words inside sentences) whose sentences
    still read the same (``drops`` itself when all do), or ``None`` when the drops might
    change the report's structure (then re-parse the edited text to check it)."""
    if not drops or not report.text.isascii():
        return None if drops else drops
    lex = lexicon or compile_lexicon(default_lexicon())
    lay = _layout(report, lex)
    text, verdicts, sentence = report.text, lay.verdict, lay.sentence
    reread: dict[int, bool] = {}
    for i, j in _runs(drops):
        if i == j:
            verdict = verdicts[i] or _verdict(text, lay, i, i, lex)
            verdicts[i] = verdict
        else:
            verdict = _verdict(text, lay, i, j, lex)
        if verdict == _UNSAFE:
            return None
        if verdict == _REREAD:
            reread[sentence[i]] = True
    if not reread:
        return drops
    gone, words = set(drops), lay.words
    for s in reread:
        a, b = lay.bounds[s]
        if lay.readings[s] is None:
            lay.readings[s] = sentence_reading(tuple(words[a:b]), lex)
        left = tuple(w for k, w in enumerate(words[a:b], a) if k not in gone)
        reread[s] = sentence_reading(left, lex) == lay.readings[s]
    return [d for d in drops if reread.get(sentence[d], True)]
