"""Tokens with character offsets: spaCy's blank English vocabulary with scispacy's rule
tokenizer (no model download), plus two report-specific fixes.

- A de-identification mask (a run of 3+ "X": "XXXX", "XXXX-XXXX", "XXXXs") is one opaque token.
- A trailing period glued to a short token at a sentence end ("L>R." -> "R", ".") is split off,
  except after titles such as "Dr.".

Both fixes touch only the few tokens next to a mask or a period (found by bisecting the token
ends), so a report costs the tokenizer call plus a handful of list operations.
"""

from __future__ import annotations

import functools
import re
import warnings
from bisect import bisect_left, bisect_right

from ..errors import InputError

DEID_RE = re.compile(r"(?<![A-Za-z])X{3,}")
_TITLES = {"dr.", "mr.", "mrs.", "ms.", "prof.", "st.", "vs.", "e.g.", "i.e.", "no.", "approx."}
SENTENCE_START = re.compile(r"\s*(?:$|[A-Z0-9\n])")
_PERIOD = re.compile(r"\.")


@functools.lru_cache(maxsize=1)
def tokenizer():
    """The shared tokenizer: ``spacy.blank("en")`` + scispacy ``combined_rule_tokenizer``."""
    import spacy
    from scispacy.custom_tokenizer import combined_rule_tokenizer

    with warnings.catch_warnings():  # spaCy's "possible set union" regex warning
        warnings.simplefilter("ignore")
        nlp = spacy.blank("en")
        nlp.tokenizer = combined_rule_tokenizer(nlp)
        nlp.tokenizer("warm up 2.5 cm.")
    return nlp.tokenizer


def split_deid(text: str, starts: list[int], ends: list[int]
               ) -> tuple[list[int], list[int], list[tuple[int, int]]]:
    """Cut every token that overlaps a mask into mask and non-mask pieces; also returns the
    masks' character spans."""
    masks = [m.span() for m in DEID_RE.finditer(text)] if "XXX" in text else []
    touched = sorted({k for ms, me in masks
                      for k in range(bisect_right(ends, ms), bisect_left(starts, me))})
    if not touched:
        return starts, ends, masks
    out_s: list[int] = []
    out_e: list[int] = []
    done = j = 0
    for k in touched:
        out_s += starts[done:k]
        out_e += ends[done:k]
        done = k + 1
        s, e = starts[k], ends[k]
        while masks[j][1] <= s:
            j += 1
        pos, m = s, j
        while m < len(masks) and masks[m][0] < e:
            ms, me = max(masks[m][0], s), min(masks[m][1], e)
            if ms > pos:
                out_s.append(pos)
                out_e.append(ms)
            out_s.append(ms)
            out_e.append(me)
            pos = me
            m += 1
        if pos < e:
            out_s.append(pos)
            out_e.append(e)
    return out_s + starts[done:], out_e + ends[done:], masks


def whole_masks(text: str, masks: list[tuple[int, int]], starts: list[int], ends: list[int]
                ) -> list[int]:
    """Indices of the tokens that are a whole mask (such a token starts where a mask does)."""
    opaque = []
    for ms, _ in masks:
        k = bisect_left(starts, ms)
        if k < len(starts) and starts[k] == ms and DEID_RE.fullmatch(text, ms, ends[k]):
            opaque.append(k)
    return opaque


def glued_period(text: str, s: int, e: int) -> bool:
    """Token ``text[s:e]`` ends in a period that may be split off (if a sentence follows)."""
    return (e - s > 1 and text[e - 1] == "." and text[e - 2] != "."
            and text[s:e].lower() not in _TITLES
            and not text[s:e - 1].replace(".", "").isdigit())


def split_final_periods(text: str, starts: list[int], ends: list[int]) -> None:
    """Split, in place, a period glued to the end of a token before a sentence start."""
    for period in reversed([m.start() for m in _PERIOD.finditer(text)]):
        k = bisect_left(ends, period + 1)
        if k == len(ends) or ends[k] != period + 1:
            continue
        if glued_period(text, starts[k], ends[k]) and SENTENCE_START.match(text, ends[k]):
            ends[k] = period
            starts.insert(k + 1, period)
            ends.insert(k + 1, period + 1)


def spacy_tokens(text: str) -> tuple[list[int], list[int]]:
    """Offsets of spaCy's non-space tokens, before the report-specific fixes."""
    try:
        doc = tokenizer()(text)
    except Exception as error:  # never let a spaCy failure escape as a spaCy error
        raise InputError(f"the tokenizer could not read this text ({error!r}); pass plain "
                         f"Unicode report text") from error
    if len(doc) <= 8:  # a chunk: numpy's per-call cost outweighs a short loop
        kept = [t for t in doc if not t.is_space]
        return [t.idx for t in kept], [t.idx + len(t) for t in kept]
    from spacy.attrs import IDX, IS_SPACE, LENGTH  # spaCy loads on the first parse, not import

    array = doc.to_array([IDX, LENGTH, IS_SPACE])
    if len(array):
        array = array[array[:, 2] == 0]
    return array[:, 0].tolist(), (array[:, 0] + array[:, 1]).tolist()


def tokenize(text: str) -> tuple[list[int], list[int], list[int]]:
    """Start and end offsets of the non-space tokens of ``text``, and the indices of the
    de-identification masks among them.

    Example:
        >>> text = "s/p CABG, 2.5 cm nodule at T10. XXXX-XXXX L>R."
        >>> starts, ends, masks = tokenize(text)
        >>> [text[s:e] for s, e in zip(starts, ends)]  # doctest: +NORMALIZE_WHITESPACE
        ['s/p', 'CABG', ',', '2.5', 'cm', 'nodule', 'at', 'T10', '.', 'XXXX', '-', 'XXXX',
         'L', '>', 'R', '.']
        >>> masks
        [9, 11]
    """
    starts, ends, masks = split_deid(text, *spacy_tokens(text))
    if "." in text:
        split_final_periods(text, starts, ends)
    return starts, ends, whole_masks(text, masks, starts, ends)
