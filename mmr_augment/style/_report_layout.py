"""Section layout of a report style: header words and format, impression numbering, section
order. Only headed sections are touched; header-less text keeps its layout.

Headers are rewritten only into forms the parser still reads as the same section ("FINDINGS:",
"Findings:", "findings:", "FINDINGS" on its own line). The "dash" and "none" formats are not
headers to the parser, so they are used only for FINDINGS and IMPRESSION and only where the
text would not run on into a clinical-context section (whose mentions the labeler skips).
"""

from __future__ import annotations

import re

from ..text.labeler import CONTEXT_SECTIONS
from ..text.ops.restyle import restyle_header
from ._report_doc import Doc, Span
from ._report_phrases import FREE_SECTIONS, HEADER_SETS

_TAIL = re.compile(r"[\s:.\-]*$")
_FORMATS = {"upper": (str.upper, ":"), "title": (str.title, ":"), "lower": (str.lower, ":"),
            "line": (str.upper, ""), "dash": (str.lower, " -")}
_OWN_LINE = ("line", "lower", "title", "dash")


def _recased(header: str, word: str) -> str:
    """``header`` reworded to ``word`` in the header's own casing and tail (the text ops'
    ``restyle_header``; lower-case headers stay lower case)."""
    old = _TAIL.sub("", header)
    case = 0.0 if old.isupper() else 0.5 if old.istitle() else 0.9
    new = restyle_header(header, (word,), 0.0, case)
    return new.lower() if old.islower() else new


def _header_text(doc: Doc, k: int, fmt: str, header_set: str) -> str | None:
    """The new header of section ``k`` ("" to drop it), or ``None`` to leave it."""
    section = doc.report.sections[k]
    s, e = section.header_span
    old = doc.text[s:e]
    word = _TAIL.sub("", old).lower()
    if " and " not in word:  # "findings and impression" names a merged section: keep it
        word = HEADER_SETS.get(header_set, {}).get(section.name, word)
    free = section.name in FREE_SECTIONS and (
        k == 0 or doc.report.sections[k - 1].name not in CONTEXT_SECTIONS)
    if fmt in ("dash", "none") and not free:
        fmt = "lower" if fmt == "dash" else "keep"
    if fmt == "none":
        return ""
    if fmt == "keep":
        return _recased(old, word) if header_set != "keep" else None
    case, tail = _FORMATS[fmt]
    return case(word) + tail


def layout_spans(doc: Doc, headers: str, header_set: str, numbering: str) -> list[Span]:
    """Header, header-gap and numbering edits of every headed section.

    Example:
        >>> from mmr_augment.text import parse
        >>> doc = Doc(parse("FINDINGS: No effusion.\\nIMPRESSION: Normal. No edema."))
        >>> layout_spans(doc, "title", "conclusion", "numbered")
        [(0, 9, 'Findings:'), (23, 35, 'Conclusion:\\n'), (35, 35, '1. '), (42, 43, '\\n2. ')]
    """
    spans: list[Span] = []
    text = doc.text
    for k, section in enumerate(doc.report.sections):
        if section.header_span is None:
            continue
        hs, he = section.header_span
        bs = section.body_span[0]
        sentences = doc.sentences_of(k)
        number = (numbering != "keep" and section.name == "IMPRESSION")
        turn_on = (number and numbering == "numbered" and len(sentences) >= 2
                   and not any(doc.numbered(i) for i in sentences))
        new = _header_text(doc, k, headers, header_set)
        line_start = text.rfind("\n", 0, hs) + 1
        if new and headers in _OWN_LINE and text[line_start:hs].strip():
            spans.append((len(text[:hs].rstrip()), hs, "\n"))
        has_body = len(sentences) > 0 and bs > he
        if new == "" and has_body:
            spans.append((hs, bs, ""))
        else:
            gap = "\n" if has_body and (turn_on or headers == "line") else None
            if gap is not None and gap != text[he:bs]:
                spans.append((hs, bs, (text[hs:he] if new is None else new) + gap))
            elif new is not None:
                spans.append((hs, he, new))
        if turn_on:
            spans += _numbered(doc, sentences)
        elif number and numbering == "plain":
            spans += _plain(doc, sentences)
    return spans


def _numbered(doc: Doc, sentences: range) -> list[Span]:
    out = []
    for j, i in enumerate(sentences):
        s = doc.sentence_span(i)[0]
        prev = doc.sentence_span(i - 1)[1] if j else s
        out.append((prev, s, f"\n{j + 1}. " if j else "1. "))
    return out


def _plain(doc: Doc, sentences: range) -> list[Span]:
    """Drop list markers, if every item but the last ends a sentence ("1. A 2. B" stays)."""
    if any(doc.words[doc.bounds[i][1] - 1] not in (".", "!", "?") for i in sentences[:-1]):
        return []
    out = []
    for j, i in enumerate(sentences):
        if not doc.numbered(i):
            continue
        s = doc.body_span(i)[0]
        start = doc.sentence_span(i - 1)[1] if j else doc.sentence_span(i)[0]
        out.append((start, s, " " if j else ""))
    return out


def order_swap(doc: Doc, order: str) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """The FINDINGS and IMPRESSION blocks to swap (in text order), or ``None``.

    Example:
        >>> from mmr_augment.text import parse
        >>> order_swap(Doc(parse("FINDINGS: Clear.\\nIMPRESSION: Normal.")), "impression_first")
        ((0, 16), (17, 36))
    """
    if order == "keep":
        return None
    found: dict[str, int] = {}
    for k, section in enumerate(doc.report.sections):
        if section.header_span is not None and section.name in FREE_SECTIONS:
            found.setdefault(section.name, k)
    if len(found) < 2:
        return None
    f, i = found["FINDINGS"], found["IMPRESSION"]
    if (f < i) == (order == "findings_first"):
        return None
    a, b = sorted((f, i))
    return doc.section_block(a), doc.section_block(b)
