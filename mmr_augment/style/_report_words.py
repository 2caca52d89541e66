"""Word-level dimensions of a report style: hedging vocabulary, laterality spelling,
measurement units, and abbreviation density (the text ops' abbreviation tables)."""

from __future__ import annotations

import re
from decimal import Decimal

import numpy as np

from ..text.ops._phrases import match_case
from ..text.ops.substitution import abbreviation_table
from ..text.report import PROTECTED, SIDE_WINDOW_STOPS, TokenFlag
from ._report_doc import Doc, Span
from ._report_phrases import (
    HEDGE_CLASSES,
    LATERALITY,
    MEASUREMENT_RE,
    NUMBER_RE,
    hedge_lookup,
)

_UNCERTAINTY, _LATERAL = int(TokenFlag.UNCERTAINTY), int(TokenFlag.LATERALITY)
_FINDING, _PROTECTED = int(TokenFlag.FINDING), int(PROTECTED)


def hedge_spans(doc: Doc, mode: str, u: np.ndarray) -> list[Span]:
    """Swap each uncertainty cue that is a whole hedge-class member for the style's member of
    the same class ("may" style: member 0, "could": member 1, "mixed": drawn per cue).

    Example:
        >>> from mmr_augment.text import parse
        >>> hedge_spans(Doc(parse("Opacity may represent atelectasis.")), "could", np.zeros(5))
        [(8, 21, 'could represent')]
    """
    if mode == "keep":
        return []
    lookup, spans, i, n = hedge_lookup(), [], 0, len(doc.words)
    while i < n:
        if not doc.flags[i] & _UNCERTAINTY:
            i += 1
            continue
        j = i
        while j + 1 < n and doc.flags[j + 1] & _UNCERTAINTY:
            j += 1
        s, e = doc.starts[i], doc.ends[j]
        old = doc.text[s:e]
        found = lookup.get(" ".join(old.lower().split()))
        if found is not None:
            members = HEDGE_CLASSES[found[0]]
            pick = {"may": 0, "could": 1}.get(mode, min(int(u[i] * len(members)),
                                                        len(members) - 1))
            initial = i == 0 or doc.report.token_sentence[i - 1] != doc.report.token_sentence[i]
            spans.append((s, e, match_case(old, members[pick], initial)))
        i = j + 1
    return spans


def laterality_spans(doc: Doc, mode: str) -> list[Span]:
    """Respell sides: "word" (L / Lt / left-sided -> left), "letter" (left -> L) and "sided"
    (left -> left-sided); the last two only right before a finding ("L effusion", never
    "L lower lobe").

    Example:
        >>> from mmr_augment.text import parse
        >>> laterality_spans(Doc(parse("Left effusion. Left lower lobe nodule.")), "sided")
        [(0, 4, 'Left-sided')]
    """
    if mode == "keep":
        return []
    table, before_finding = LATERALITY[mode]
    spans = []
    for i, word in enumerate(doc.words):
        new = table.get(word) if doc.flags[i] & _LATERAL else None
        if new is None or before_finding and not (
                i + 1 < len(doc.words) and doc.flags[i + 1] & _FINDING
                and doc.report.token_sentence[i + 1] == doc.report.token_sentence[i]):
            continue
        old = doc.text[doc.starts[i]:doc.ends[i]]
        if len(old) > 1 and old.isupper():
            new = new.upper()
        elif old[:1].isupper():
            new = new[:1].upper() + new[1:]
        spans.append((doc.starts[i], doc.ends[i], new))
    return spans


def measurement_spans(doc: Doc, unit: str) -> list[Span]:
    """Write sizes in ``unit`` ("cm" or "mm"), converting every number of the size.

    Example:
        >>> from mmr_augment.text import parse
        >>> measurement_spans(Doc(parse("A 2.5 x 1 cm nodule. 4 mm granuloma.")), "mm")
        [(2, 12, '25 x 10 mm')]
    """
    if unit == "keep":
        return []
    factor = Decimal(10) if unit == "mm" else Decimal("0.1")

    def convert(number: re.Match) -> str:
        return format((Decimal(number.group()) * factor).normalize(), "f")

    spans = []
    for m in MEASUREMENT_RE.finditer(doc.text):
        old_unit = m.group(3)
        if old_unit.lower() == unit:
            continue
        numbers = NUMBER_RE.sub(convert, m.group(1))
        new_unit = unit.upper() if old_unit.isupper() else unit
        spans.append((m.start(), m.end(), numbers + m.group(2) + new_unit))
    return spans


def abbreviation_spans(doc: Doc, direction: str, rate: float, u: np.ndarray, which: np.ndarray
                       ) -> list[Span]:
    """Expand (or contract) each abbreviation with probability ``rate``, using the text ops'
    checked ``AbbreviationSwap`` tables ("PTX" <-> "pneumothorax"); phrases holding a protected
    token or cutting a finding mention ("normal chest x-ray" is one) are skipped, and so is
    "with" -> "w/" (the parser ends a mention's side window at "with"). ``which`` picks among
    several targets.

    Example:
        >>> from mmr_augment.text import parse
        >>> abbreviation_spans(Doc(parse("No PTX.")), "expand", 1.0, np.zeros(3), np.zeros(3))
        [(3, 6, 'pneumothorax')]
    """
    if rate <= 0:
        return []
    table = abbreviation_table(direction)
    sentence = doc.report.token_sentence
    spans = []
    for first, stop, sid in table.matches(doc.report).tolist():
        if (u[first] >= rate or any(doc.flags[i] & _PROTECTED for i in range(first, stop))
                or not doc.aligned(first, stop) or doc.words[first] in SIDE_WINDOW_STOPS):
            continue
        options = table.targets[sid]
        s, e = doc.starts[first], doc.ends[stop - 1]
        initial = first == 0 or sentence[first - 1] != sentence[first]
        target = options[min(int(which[first] * len(options)), len(options) - 1)]
        spans.append((s, e, match_case(doc.text[s:e], target, initial, table.exact[sid])))
    return spans
