"""Tokens with character offsets: spaCy's blank English vocabulary with scispacy's rule
tokenizer (no model download), plus two report-specific fixes.

- A de-identification mask (a run of 3+ "X": "XXXX", "XXXX-XXXX", "XXXXs") is one opaque token.
- A trailing period glued to a short token at a sentence end ("L>R." -> "R", ".") is split off,
  except after titles such as "Dr.".
"""

from __future__ import annotations

import functools
import re
import warnings

import numpy as np
from spacy.attrs import IDX, IS_SPACE, LENGTH

from ..errors import InputError

DEID_RE = re.compile(r"(?<![A-Za-z])X{3,}")
_TITLES = {"dr.", "mr.", "mrs.", "ms.", "prof.", "st.", "vs.", "e.g.", "i.e.", "no.", "approx."}
_SENTENCE_START = re.compile(r"\s*(?:$|[A-Z0-9\n])")


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


def _split_deid(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    masks = [m.span() for m in DEID_RE.finditer(text)]
    if not masks:
        return spans
    out: list[tuple[int, int]] = []
    k = 0
    for s, e in spans:
        while k < len(masks) and masks[k][1] <= s:
            k += 1
        pos, j = s, k
        while j < len(masks) and masks[j][0] < e:
            ms, me = max(masks[j][0], s), min(masks[j][1], e)
            if ms > pos:
                out.append((pos, ms))
            out.append((ms, me))
            pos = me
            j += 1
        if pos < e:
            out.append((pos, e))
    return out


def _split_final_periods(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for s, e in spans:
        if (e - s > 1 and text[e - 1] == "." and text[e - 2] != "."
                and text[s:e].lower() not in _TITLES
                and not text[s:e - 1].replace(".", "").isdigit()
                and _SENTENCE_START.match(text, e)):
            out.extend(((s, e - 1), (e - 1, e)))
        else:
            out.append((s, e))
    return out


def token_spans(text: str) -> list[tuple[int, int]]:
    """Character spans ``(start, end)`` of the non-space tokens of ``text``.

    Example:
        >>> text = "s/p CABG, 2.5 cm nodule at T10. XXXX-XXXX L>R."
        >>> [text[s:e] for s, e in token_spans(text)]  # doctest: +NORMALIZE_WHITESPACE
        ['s/p', 'CABG', ',', '2.5', 'cm', 'nodule', 'at', 'T10', '.', 'XXXX', '-', 'XXXX',
         'L', '>', 'R', '.']
    """
    try:
        doc = tokenizer()(text)
    except Exception as error:  # never let a spaCy failure escape as a spaCy error
        raise InputError(f"the tokenizer could not read this text ({error!r}); pass plain "
                         f"Unicode report text") from error
    array = doc.to_array([IDX, LENGTH, IS_SPACE]).astype(np.int64).reshape(-1, 3)
    keep = array[array[:, 2] == 0]
    spans = list(zip(keep[:, 0].tolist(), (keep[:, 0] + keep[:, 1]).tolist()))
    if "XXX" in text:
        spans = _split_deid(text, spans)
    if "." in text:
        spans = _split_final_periods(text, spans)
    return spans
