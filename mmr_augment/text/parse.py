"""``parse(text) -> Report``: tokens, sections, sentences, flags and finding mentions.

One shared tokenizer (spaCy blank English + scispacy rule tokenizer, see ``_tokens``); no
spaCy pipeline runs. Flags come from one memoised dict lookup per lower-cased token
(``_match``), which also marks the few tokens later passes need to visit: where a cue or
finding phrase may start (precompiled phrase tries), where a sentence may end. Cue scopes and
mentions come from ``_cues``; sections and sentences from ``_structure``. Parses are cached by
``(text, lexicon)`` in a bounded LRU.
"""

from __future__ import annotations

import bisect
import functools

import numpy as np

from ..errors import InputError, InputTypeError
from ._chunks import read_chunks
from ._cues import read_sentences
from ._match import (
    DIGITS,
    LINE_BREAK_AFTER,
    SENTENCE_END,
    TOKEN_FLAGS,
    compile_lexicon,
)
from ._structure import find_headers as _find_headers
from ._structure import split_sentences
from ._tokens import tokenize
from .lexicon import Lexicon, default_lexicon
from .report import Report, Section, TokenFlag

#: Longest text ``parse`` takes, in characters (about 1 MB; a report is a few kB).
MAX_REPORT_CHARS = 1_000_000
#: Default number of parses kept in the LRU cache.
PARSE_CACHE_SIZE = 65_536
_DEID, _HEADER = int(TokenFlag.DEID), int(TokenFlag.HEADER)
_EVENTS = DIGITS | SENTENCE_END | LINE_BREAK_AFTER


def _frozen(values, shape=None) -> np.ndarray:
    array = np.asarray(values, dtype=np.int32)
    if shape is not None:
        array = array.reshape(shape)
    array.flags.writeable = False
    return array


def _sections(text: str, headers: list[tuple[int, int, str]]
              ) -> list[tuple[str | None, tuple[int, int] | None, tuple[int, int]]]:
    """``(name, header_span, body_span)`` per section; bodies are whitespace-stripped."""
    parts = []
    first = headers[0][0] if headers else len(text)
    if text[:first].strip():
        parts.append((None, None, 0, first))
    for k, (s, e, name) in enumerate(headers):
        parts.append((name, (s, e), e, headers[k + 1][0] if k + 1 < len(headers) else len(text)))
    out = []
    for name, header, s, e in parts:
        body = text[s:e]
        lead = len(body) - len(body.lstrip())
        body_start = s + lead
        out.append((name, header, (body_start, max(body_start, s + len(body.rstrip())))))
    return out


def _mark_line_breaks(text: str, starts: list[int], ends: list[int], flags: list[int]) -> None:
    """Set LINE_BREAK_AFTER on the tokens that a newline separates from the next token."""
    position = text.find("\n")
    while position >= 0:
        i = bisect.bisect_right(ends, position) - 1
        if 0 <= i < len(starts) - 1 and position < starts[i + 1]:
            flags[i] |= LINE_BREAK_AFTER
        position = text.find("\n", position + 1)


def _parse(text: str, lexicon: Lexicon | None) -> Report:
    lex = compile_lexicon(lexicon or default_lexicon())
    tokens = read_chunks(text, lex) if text.isascii() else None
    if tokens is None:
        starts, ends, masks = tokenize(text)
        lowered = text.lower()
        if len(lowered) == len(text):
            words = [lowered[s:e] for s, e in zip(starts, ends)]
        else:  # a few characters lower-case to two; fall back to per-token lowering
            words = [text[s:e].lower() for s, e in zip(starts, ends)]
        flags = lex.words_bits(words)
    else:
        starts, ends, words, flags, masks = tokens
    for k in masks:
        flags[k] |= _DEID
    if "\n" in text:
        _mark_line_breaks(text, starts, ends, flags)
    events = [k for k, f in enumerate(flags) if f & _EVENTS]
    token_sentence = [-1] * len(words)
    sections, sentences, sentence_section = [], [], []
    for index, (name, header, body) in enumerate(_sections(text, _find_headers(text, lex))):
        if header is not None:
            h0, h1 = bisect.bisect_left(starts, header[0]), bisect.bisect_left(starts, header[1])
            for k in range(h0, h1):
                flags[k] |= _HEADER
        b0, b1 = bisect.bisect_left(starts, body[0]), bisect.bisect_left(starts, body[1])
        bounds = split_sentences(text, words, starts, ends, flags, events, b0, b1)
        sections.append(Section(name, header, body, len(sentences),
                                len(sentences) + len(bounds)))
        for a, b in bounds:
            token_sentence[a:b] = [len(sentences)] * (b - a)
            sentences.append((a, b))
            sentence_section.append(index)
    mentions = read_sentences(words, flags, sentences, lex)
    return Report(text=text, token_start=_frozen(starts), token_end=_frozen(ends),
                  token_flags=_frozen(np.asarray(flags, dtype=np.int64) & TOKEN_FLAGS),
                  token_sentence=_frozen(token_sentence),
                  sentence_bounds=_frozen(sentences, (-1, 2)),
                  sentence_section=_frozen(sentence_section), sections=tuple(sections),
                  mentions=mentions)


_cached_parse = functools.lru_cache(maxsize=PARSE_CACHE_SIZE)(_parse)


def set_parse_cache_size(maxsize: int | None) -> None:
    """Resize (and clear) the parse cache; ``0`` turns caching off, ``None`` is unbounded."""
    global _cached_parse
    _cached_parse = functools.lru_cache(maxsize=maxsize)(_parse)


def parse_cache_info():
    """``functools`` cache statistics (hits, misses, maxsize, currsize) of the parse cache."""
    return _cached_parse.cache_info()


def parse(text: str, lexicon: Lexicon | None = None) -> Report:
    """Parse a report once; the same text (and lexicon) returns the same cached object.

    Args:
        text: the report. Empty or whitespace-only text gives a Report with zero tokens
            (text ops treat it as a no-op).
        lexicon: a user :class:`Lexicon`; default: the shipped one.

    Raises:
        InputTypeError: ``text`` is not a ``str`` (``None``, ``bytes``: decode it first).
        InputError: ``text`` is longer than :data:`MAX_REPORT_CHARS`.

    Example:
        >>> report = parse("FINDINGS: No pneumothorax. Mild cardiomegaly.")
        >>> [s.name for s in report.sections], len(report.sentence_bounds)
        (['FINDINGS'], 2)
        >>> [(m.observation, m.polarity) for m in report.mentions]
        [('Pneumothorax', 'negative'), ('Cardiomegaly', 'positive')]
        >>> parse("FINDINGS: No pneumothorax. Mild cardiomegaly.") is report
        True
    """
    if not isinstance(text, str):
        hint = " (decode bytes with .decode('utf-8') first)" if isinstance(
            text, (bytes, bytearray)) else ""
        raise InputTypeError(f"parse() takes report text as str, got "
                             f"{type(text).__name__}{hint}")
    if len(text) > MAX_REPORT_CHARS:
        raise InputError(f"report text has {len(text):,} characters, over the limit of "
                         f"MAX_REPORT_CHARS = {MAX_REPORT_CHARS:,}; split it into reports first")
    if lexicon is default_lexicon():
        lexicon = None
    return _cached_parse(text, lexicon)


def find_headers(text: str, lexicon: Lexicon | None = None) -> list[tuple[int, int, str]]:
    """Section headers of ``text`` as the parser finds them: ``(start, end, canonical name)``,
    ``end`` after any colon, in text order (the section lexicon, any casing).

    Example:
        >>> find_headers("Findings: clear.\\nIMPRESSION Normal.")
        [(0, 9, 'FINDINGS'), (17, 27, 'IMPRESSION')]
    """
    return _find_headers(text, compile_lexicon(lexicon or default_lexicon()))
