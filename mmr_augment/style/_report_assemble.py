"""Putting a style's edits together: priorities, the section swap, and the label check.

Each dimension proposes ``(start, end, new)`` edits on the input text. Where two overlap, the
dimension listed first in ``DIMENSIONS`` wins. The section swap then moves whole blocks (with
the edits inside them). Last, the result is parsed (cached) and must read exactly like the
input to the labeler (:func:`reading`); if not, dimensions are added back one at a time in
priority order, keeping each one only if the text still reads the same. So the rules make the
styles label-preserving, and the check makes it a guarantee.
"""

from __future__ import annotations

from ..errors import InputError
from ..text.base import splice
from ..text.parse import parse
from ._report_doc import Doc, Span, reading
from ._report_fields import DIMENSIONS

Tagged = tuple[int, int, int, str]  # (dimension, start, end, new)
ORDER = DIMENSIONS.index("order")
Swap = tuple[tuple[int, int], tuple[int, int]] | None


def _overlaps(a: Tagged, b: Tagged) -> bool:
    if a[1] == a[2] == b[1] == b[2]:
        return True
    return a[1] < b[2] and b[1] < a[2]


def resolve(candidates: list[Tagged], allowed: set[int]) -> list[Span]:
    """Non-overlapping edits of the ``allowed`` dimensions, sorted; earlier dimensions win.

    Example:
        >>> resolve([(3, 0, 5, "x"), (1, 4, 9, "y"), (2, 9, 9, "z")], {1, 2, 3})
        [(4, 9, 'y'), (9, 9, 'z')]
    """
    kept: list[Tagged] = []
    for c in sorted(candidates, key=lambda c: c[0]):
        if c[0] in allowed and c[3] is not None and not any(_overlaps(c, k) for k in kept):
            kept.append(c)
    return sorted(((s, e, new) for _, s, e, new in kept), key=lambda t: (t[0], t[1]))


def with_swap(text: str, spans: list[Span], swap: Swap) -> list[Span]:
    """Spans with blocks ``a`` and ``b`` exchanged; the edits inside each block travel with it.

    Example:
        >>> with_swap("A1. B2.", [(1, 2, "x")], ((0, 3), (4, 7)))
        [(0, 3, 'B2.'), (4, 7, 'Ax.')]
    """
    if swap is None:
        return spans
    (a0, a1), (b0, b1) = swap

    def inside(span: Span, lo: int, hi: int) -> bool:
        return lo <= span[0] and span[1] <= hi

    def render(lo: int, hi: int) -> str:
        inner = [(s - lo, e - lo, new) for s, e, new in spans if inside((s, e, new), lo, hi)]
        return splice(text[lo:hi], inner, "")[0]

    outside = [sp for sp in spans if not inside(sp, a0, a1) and not inside(sp, b0, b1)]
    return sorted(outside + [(a0, a1, render(b0, b1)), (b0, b1, render(a0, a1))],
                  key=lambda t: (t[0], t[1]))


def label_safe_spans(doc: Doc, candidates: list[Tagged], swap: Swap) -> list[Span]:
    """The final edits of one report: all of them if the result reads like the input, else
    those of the largest prefix-greedy set of dimensions that does."""
    text = doc.text
    present = sorted({c[0] for c in candidates} | ({ORDER} if swap is not None else set()))
    if not present:
        return []

    def build(allowed: set[int]) -> list[Span]:
        return with_swap(text, resolve(candidates, allowed), swap if ORDER in allowed else None)

    want = reading(doc.report)

    def same(spans: list[Span]) -> bool:
        try:
            return reading(parse(splice(text, spans, "")[0])) == want
        except InputError:  # e.g. the styled text grew past the parser's size limit
            return False

    spans = build(set(present))
    if same(spans):
        return spans
    allowed: set[int] = set()
    for d in present:
        trial = build(allowed | {d})
        if trial and same(trial):
            allowed.add(d)
    return build(allowed)
