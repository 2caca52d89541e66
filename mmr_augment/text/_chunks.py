"""Tokens, words and flags of ASCII text, memoised per whitespace-separated chunk.

spaCy tokenizes each run of non-space characters on its own, except that its special-case
matcher may also match token sequences across a space (": 1" for the special case ":1"), and
such a match can block one inside a chunk. Where two chunks meet with tokens that are adjacent
in some special case, the chunks joined there are tokenized together once (memoised) and the
text takes the whole-text path if that differs from chunk by chunk. The report fixes are local
too: a mask never crosses whitespace, and only the last token of a chunk can have a glued
period whose split depends on the text that follows. ASCII only: there lower-casing a chunk is
lower-casing its slice of the whole text.
"""

from __future__ import annotations

import functools
import re
from bisect import bisect_left
from itertools import accumulate, chain, compress
from operator import add, itemgetter

from ._match import CompiledLexicon
from ._tokens import (
    SENTENCE_START,
    glued_period,
    spacy_tokens,
    split_deid,
    split_final_periods,
    tokenizer,
    whole_masks,
)

_CHUNK = re.compile(r"\S+")
_LONGEST_MEMOISED = 64  # characters; longer chunks are rare and tokenized every time

Chunk = tuple  # (starts, ends, words, flags, masks, glued, first, last, fix), in the chunk
_STARTS, _ENDS, _WORDS, _FLAGS, _MASKS, _GLUED, _FIRST, _LAST, _FIX = range(9)
_SPACES = re.compile(r"\s+")


@functools.lru_cache(maxsize=1)
def special_pairs() -> frozenset[tuple[str, str]] | None:
    """Adjacent token texts of every special case, as spaCy's matcher sees them (``None``
    when one is whitespace: chunks then never reproduce the tokenizer)."""
    from spacy.tokenizer import Tokenizer

    tok = tokenizer()
    affixes_only = Tokenizer(tok.vocab, rules={}, prefix_search=tok.prefix_search,
                             suffix_search=tok.suffix_search,
                             infix_finditer=tok.infix_finditer, token_match=tok.token_match,
                             url_match=tok.url_match)
    pairs = set()
    for rule in tok.rules:
        texts = [t.text for t in affixes_only(rule)]
        pairs.update(zip(texts, texts[1:]))
    return None if any(a.isspace() or b.isspace() for a, b in pairs) else frozenset(pairs)


def _chunk(chunk: str, lex: CompiledLexicon) -> Chunk:
    starts, ends = spacy_tokens(chunk)
    first, last = chunk[starts[0]:ends[0]], chunk[starts[-1]:ends[-1]]
    starts, ends, masks = split_deid(chunk, starts, ends)
    glued = glued_period(chunk, starts[-1], ends[-1])  # split below as if a sentence follows
    if "." in chunk:
        split_final_periods(chunk, starts, ends)
    lowered = chunk.lower()
    words = [lowered[s:e] for s, e in zip(starts, ends)]
    masks = whole_masks(chunk, masks, starts, ends)
    return (starts, ends, words, lex.words_bits(words), masks, glued, first, last,
            glued or bool(masks))


def _entries(chunks: list[str], lex: CompiledLexicon) -> list[Chunk]:
    memo = lex.chunk_memo
    entries = list(map(memo.get, chunks))
    if None in entries:
        for k, chunk in enumerate(chunks):
            if entries[k] is None:
                entries[k] = _chunk(chunk, lex)
                if len(chunk) <= _LONGEST_MEMOISED and len(memo) < 200_000:
                    memo[chunk] = entries[k]
    return entries


def chunk_entry(chunk: str, lex: CompiledLexicon) -> Chunk:
    """The memoised tokenization of one whitespace-free ``chunk`` (see :data:`Chunk`)."""
    entry = lex.chunk_memo.get(chunk)
    return entry if entry is not None else _entries([chunk], lex)[0]


def chunk_words(entry: Chunk, glued_split: bool) -> list[str]:
    """A chunk's final words: as tokenized alone (a sentence start after it), or, when its
    final period is glued and no sentence start follows (``glued_split`` False), with the
    period joined back to its word, as :func:`read_chunks` does."""
    words = entry[_WORDS]
    if entry[_GLUED] and not glued_split:
        return [*words[:-2], words[-2] + "."]
    return list(words)


def read_chunks(text: str, lex: CompiledLexicon
                ) -> tuple[list[int], list[int], list[str], list[int], list[int]] | None:
    """Token starts, ends, lower-cased words, :meth:`CompiledLexicon.words_bits` and mask
    indices of an ASCII ``text``, as the whole-text path gives them; ``None`` where a special
    case spans a chunk boundary. Per chunk, only C-level iteration (split, map, accumulate).

    Example:
        >>> from mmr_augment.text.lexicon import default_lexicon
        >>> from mmr_augment.text._match import compile_lexicon
        >>> starts, ends, words, _, masks = read_chunks("XXXX L>R.", compile_lexicon(
        ...     default_lexicon()))
        >>> words, masks
        (['xxxx', 'l', '>', 'r', '.'], [0])
    """
    pairs = special_pairs()
    chunks = text.split()  # str.split, \s and spaCy agree on what whitespace is
    if pairs is None or not chunks:
        return None if pairs is None else ([], [], [], [], [])
    entries = _entries(chunks, lex)
    gaps = map(len, _SPACES.findall(text, len(text) - len(text.lstrip())))
    offsets = list(accumulate(map(add, map(len, chunks), gaps),
                              initial=len(text) - len(text.lstrip())))
    boundaries = zip(map(itemgetter(_LAST), entries), map(itemgetter(_FIRST), entries[1:]))
    if not pairs.isdisjoint(boundaries):
        spans = [(a, a + len(c)) for a, c in zip(offsets, chunks)]
        joined = [k for k in range(1, len(entries))
                  if (entries[k - 1][_LAST], entries[k][_FIRST]) in pairs]
        if not all(_chunkwise(text[a:b]) for a, b in _runs(spans, joined)):
            return None
    starts = [a + s for a, entry in zip(offsets, entries) for s in entry[_STARTS]]
    ends = [a + e for a, entry in zip(offsets, entries) for e in entry[_ENDS]]
    words = list(chain.from_iterable(map(itemgetter(_WORDS), entries)))
    flags = list(chain.from_iterable(map(itemgetter(_FLAGS), entries)))
    fixes = list(compress(range(len(entries)), map(itemgetter(_FIX), entries)))
    masks = _fix(text, fixes, chunks, offsets, entries, starts, ends, words, flags,
                 lex) if fixes else []
    return starts, ends, words, flags, masks


def _fix(text: str, fixes: list[int], chunks: list[str], offsets: list[int],
         entries: list[Chunk], starts: list[int], ends: list[int], words: list[str],
         flags: list[int], lex: CompiledLexicon) -> list[int]:
    """Mask token indices of the chunks in ``fixes``; undoes, in place, their period splits
    that no sentence start follows."""
    first_token = list(accumulate((len(entry[_STARTS]) for entry in entries), initial=0))
    masks: list[int] = []
    glued: list[int] = []
    for k in fixes:
        entry = entries[k]
        masks += [first_token[k] + m for m in entry[_MASKS]]
        if entry[_GLUED] and not SENTENCE_START.match(text, offsets[k] + len(chunks[k])):
            glued.append(first_token[k + 1] - 1)
    for k in reversed(glued):  # the last two tokens of the chunk become one again
        del starts[k], words[k], flags[k]
        ends[k - 1] = ends.pop(k)
        words[k - 1] += "."
        flags[k - 1] = lex.words_bits(words[k - 1:k])[0]
    return [m - bisect_left(glued, m) for m in masks] if glued else masks


def _runs(chunks: list[tuple[int, int]], joined: list[int]) -> list[tuple[int, int]]:
    """Character spans of the maximal runs of chunks linked at the ``joined`` boundaries."""
    runs: list[tuple[int, int]] = []
    for k in joined:
        if runs and runs[-1][1] == chunks[k - 1][1]:
            runs[-1] = (runs[-1][0], chunks[k][1])
        else:
            runs.append((chunks[k - 1][0], chunks[k][1]))
    return runs


@functools.lru_cache(maxsize=4096)
def _chunkwise(run: str) -> bool:
    """spaCy tokenizes ``run`` as it tokenizes each of its chunks alone."""
    starts: list[int] = []
    ends: list[int] = []
    for match in _CHUNK.finditer(run):
        chunk_starts, chunk_ends = spacy_tokens(match.group())
        starts += [match.start() + s for s in chunk_starts]
        ends += [match.start() + e for e in chunk_ends]
    return spacy_tokens(run) == (starts, ends)
