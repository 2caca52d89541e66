"""Sentence-level dimensions of a report style: normal statements, negation phrasing and
sentence joining. Each rewrites only sentences it fully recognises and leaves the rest alone.

``u`` arguments are per-token uniforms of the report (``text.base.draws``); a unit uses the
draw at its first token, so a sample's edits depend only on its own seed.
"""

from __future__ import annotations

import numpy as np

from ..text.labeler import label
from ..text.report import TokenFlag
from ._report_doc import Doc, Span
from ._report_phrases import (
    HEART_NORMALS,
    LUNG_NORMALS,
    NARRATIVE_TEXT,
    NEGATION_FORMS,
    NEGATION_MODIFIERS,
    NEGATION_PREFIXES,
    NEGATION_SUFFIXES,
    TEMPLATED_NORMALS,
    TEMPLATED_TEXT,
    normalized,
    plural,
)

_LATERAL = int(TokenFlag.LATERALITY)


def _pick(options: tuple[str, ...], u: float) -> str:
    return options[min(int(u * len(options)), len(options) - 1)]


def _cased(new: str, old: str) -> str:
    return new.upper() if old.isupper() else new


def normal_spans(doc: Doc, mode: str, u: np.ndarray) -> list[Span]:
    """Swap templated and narrative normal statements, in reports the labeler reads as normal.

    "templated" replaces the lung statement of a run of organ statements (at least one heart
    and exactly one lung statement, nothing else) by a one-line statement; "narrative" writes
    a lung statement for a one-line one. Heart statements stay (they label Cardiomegaly or
    Enlarged Cardiomediastinum negative, a one-line statement does not), so the unit holds one
    "No Finding" mention before and after.

    Example:
        >>> from mmr_augment.text import parse
        >>> doc = Doc(parse("Heart is normal in size. The lungs are clear."))
        >>> normal_spans(doc, "templated", np.zeros(12))
        [(25, 45, 'No acute cardiopulmonary process.')]
    """
    if mode == "keep" or "No Finding" not in label(doc.report):
        return []
    kinds = []
    for k in range(len(doc.bounds)):
        n = normalized(doc.body(k))
        organ = "" if doc.numbered(k) else "heart" if n in HEART_NORMALS else \
            "lung" if n in LUNG_NORMALS else ""  # runs never span numbered items
        kinds.append(organ or ("templated" if n in TEMPLATED_NORMALS else ""))
    spans: list[Span] = []
    if mode == "narrative":
        for k, kind in enumerate(kinds):
            if kind == "templated" and len(doc.mentions_by_sentence.get(k, ())) == 1:
                s, e = doc.body_span(k)
                spans.append((s, e, _cased(_pick(NARRATIVE_TEXT, u[doc.first[k]]),
                                           doc.text[s:e])))
        return spans
    k = 0
    while k < len(kinds):
        j = k
        while (j < len(kinds) and kinds[j] in ("heart", "lung")
               and doc.section_of[j] == doc.section_of[k]):
            j += 1
        run = kinds[k:j]
        if "heart" in run and run.count("lung") == 1:
            s, e = doc.body_span(k + run.index("lung"))
            spans.append((s, e, _cased(_pick(TEMPLATED_TEXT, u[doc.first[k]]),
                                       doc.text[s:e])))
        k = max(j, k + 1)
    return spans


def _negated_sentence(doc: Doc, k: int) -> tuple[str, int, int] | None:
    """(current form, start, end of "side + modifiers + finding") of a simple negated
    sentence: one negated mention, a known negation prefix or suffix, nothing else."""
    mentions = doc.mentions_by_sentence.get(k, ())
    if len(mentions) != 1 or mentions[0].polarity != "negative":
        return None
    m = mentions[0]
    first, last = doc.first[k], doc.bounds[k][1] - 1
    if doc.words[last] != "." or m.token_start < first:
        return None
    c = m.token_start
    while c > first and (doc.flags[c - 1] & _LATERAL or doc.words[c - 1] in NEGATION_MODIFIERS):
        c -= 1
    text = doc.text
    prefix = " ".join(text[doc.starts[first]:doc.starts[c]].lower().split()) if c > first else ""
    suffix = " ".join(text[doc.ends[m.token_end - 1]:doc.starts[last]].lower().split())
    if prefix and not suffix and prefix in NEGATION_PREFIXES:
        return NEGATION_PREFIXES[prefix], doc.starts[c], doc.ends[m.token_end - 1]
    if suffix and not prefix and suffix in NEGATION_SUFFIXES:
        return NEGATION_SUFFIXES[suffix], doc.starts[c], doc.ends[m.token_end - 1]
    return None


def negation_spans(doc: Doc, mode: str, u: np.ndarray) -> list[Span]:
    """Rewrite simple negated sentences ("No X." / "X is not seen." / "Negative for X." /
    "There is no evidence of X."; X = optional side and modifiers + one finding mention).

    Example:
        >>> from mmr_augment.text import parse
        >>> doc = Doc(parse("No left pleural effusions. Pneumothorax is not seen."))
        >>> [new for _, _, new in negation_spans(doc, "negative_for", np.zeros(12))]
        ['Negative for left pleural effusions.', 'Negative for pneumothorax.']
    """
    if mode == "keep":
        return []
    spans: list[Span] = []
    for k in range(len(doc.bounds)):
        found = _negated_sentence(doc, k)
        if found is None:
            continue
        form, s, e = found
        target = mode if mode != "mixed" else _pick(NEGATION_FORMS, u[doc.first[k]])
        if target == form:
            continue
        bs, be = doc.body_span(k)
        x = doc.text[s:e]
        head = x.split()[0]
        lower = x if head.isupper() and len(head) > 1 else x[:1].lower() + x[1:]
        new = {"no": f"No {lower}.", "negative_for": f"Negative for {lower}.",
               "no_evidence": f"There is no evidence of {lower}.",
               "not_seen": f"{x[:1].upper()}{x[1:]} {'are' if plural(x) else 'is'} not seen."
               }[target]
        spans.append((bs, be, _cased(new, doc.text[bs:be])))
    return spans


def join_spans(doc: Doc, rate: float, u: np.ndarray, skip_sections: set[int],
               max_words: int = 8) -> list[Span]:
    """Join short neighbouring sentences of a section with "; " (each pair with probability
    ``rate``); numbered items, line breaks and sections in ``skip_sections`` are left alone.

    Example:
        >>> from mmr_augment.text import parse
        >>> join_spans(Doc(parse("No effusion. Lungs are clear.")), 1.0, np.zeros(8), set())
        [(11, 14, '; l')]
    """
    spans: list[Span] = []
    if rate <= 0:
        return spans
    text = doc.text
    for k in range(1, len(doc.bounds)):
        a, b = doc.bounds[k - 1], doc.bounds[k]
        if (doc.section_of[k] != doc.section_of[k - 1] or doc.section_of[k] in skip_sections
                or doc.numbered(k) or doc.numbered(k - 1) or doc.words[a[1] - 1] != "."
                or doc.word_counts[k] > max_words or doc.word_counts[k - 1] > max_words
                or not u[b[0]] < rate):
            continue
        period, start = doc.starts[a[1] - 1], doc.starts[b[0]]
        if "\n" in text[period:start] or not doc.words[b[0]][:1].isalpha():
            continue
        word = text[start:doc.ends[b[0]]]
        head = word[0].lower() if word[1:].islower() or word == "A" else word[0]
        spans.append((period, start + 1, "; " + head))
    return spans
