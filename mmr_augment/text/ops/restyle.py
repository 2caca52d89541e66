"""Meaning-preserving restyling: section header wording and casing, word case and spacing."""

from __future__ import annotations

import functools
import re

import numpy as np

from ...core import Params
from ..base import draws, group_spans
from ..report import Report
from ._rated import RatedTextOp, per_row
from ._tables import Tokens

__all__ = ["CaseWhitespace", "HeaderRestyle"]

_CASES = (str.upper, str.title, str.capitalize)
_HEADER_TAIL = re.compile(r"[\s:.\-]*$")


@functools.lru_cache(maxsize=1)
def _header_variants() -> dict[str, tuple[str, ...]]:
    from ..lexicon import section_headers

    # "findings and impression" names a merged section: not a restyle of either
    return {name: tuple(v for v in dict.fromkeys([name.lower(), *variants]) if " and " not in v)
            for name, variants in section_headers().items()}


def restyle_header(header: str, variants: tuple[str, ...], which: float, case: float) -> str:
    """``header`` reworded to one of ``variants`` and recased; its trailing ``:`` kept.

    Example:
        >>> restyle_header("FINDINGS:", ("findings", "finding"), 0.0, 0.5)
        'Findings:'
    """
    tail = _HEADER_TAIL.search(header).group()
    word = variants[int(which * len(variants))]
    return _CASES[int(case * len(_CASES))](word) + tail


class HeaderRestyle(RatedTextOp):
    """Reword and recase each section header with probability ``rate`` ("FINDINGS:" ->
    "Findings:", "IMPRESSION:" -> "Conclusion:"), using the lexicon's variants of the same
    canonical section. Severity: rate .2 .4 .6 .8 1 of headers.

    Example:
        >>> from mmr_augment.text.parse import parse
        >>> op = HeaderRestyle(rate=1.0)
        >>> op([parse("FINDINGS: No effusion.")], generator=0).texts
        ['Finding: No effusion.']
    """

    family = "header_restyle"
    effect = "meaning_preserving"
    severity_table = {"rate": (0.2, 0.4, 0.6, 0.8, 1.0)}

    def _edit(self, reports: list[Report], params: Params):
        variants = _header_variants()
        counts = np.array([len(r.sections) for r in reports], dtype=np.int64)
        row = np.repeat(np.arange(len(reports)), counts)
        u = [draws(params["seed"], counts, stream=k) for k in range(3)]
        chosen = (u[0] < per_row(params["rate"], row)).tolist()
        sections = [s for r in reports for s in r.sections]
        rows, starts, ends, news = [], [], [], []
        for i, section in enumerate(sections):
            if not chosen[i] or section.header_span is None or section.name not in variants:
                continue
            b = int(row[i])
            s, e = section.header_span
            new = restyle_header(reports[b].text[s:e], variants[section.name], float(u[1][i]),
                                 float(u[2][i]))
            rows.append(b), starts.append(s), ends.append(e), news.append(new)
        return group_spans(np.array(rows, dtype=np.int64), np.array(starts, dtype=np.int64),
                           np.array(ends, dtype=np.int64), news, len(reports))


class CaseWhitespace(RatedTextOp):
    """Recase unprotected words (upper / title / capitalised) and double single spaces, each
    with probability ``rate``. Protected tokens and line breaks are left alone, so tokens and
    sentence boundaries stay where they were. Severity: rate .1 .2 .3 .4 .5.

    Example:
        >>> CaseWhitespace(rate=0.5)(["The lungs are clear."], generator=0).texts
        ['The lungs are  CLEAR.']
    """

    family = "case_whitespace"
    effect = "meaning_preserving"

    def _edit(self, reports: list[Report], params: Params):
        tok = Tokens.of(reports)
        rate = per_row(params["rate"], tok.row)
        seed = params["seed"]
        recase = tok.whole_word & ~tok.protected & (draws(seed, tok.counts) < rate)
        gap = tok.has_next & (tok.next_start == tok.end + 1)
        gap &= draws(seed, tok.counts, stream=1) < rate
        style = draws(seed, tok.counts, stream=2)
        rows, starts, ends, news = [], [], [], []
        for i in (recase | gap).nonzero()[0].tolist():
            b, s, e = int(tok.row[i]), int(tok.start[i]), int(tok.end[i])
            text = reports[b].text
            if recase[i] and not (e - s > 1 and text[s:e].isupper()):  # keep "ET", "PA"
                rows.append(b), starts.append(s), ends.append(e)
                news.append(_CASES[int(style[i] * len(_CASES))](text[s:e]))
            if gap[i] and text[e] == " ":
                rows.append(b), starts.append(e), ends.append(e + 1), news.append("  ")
        return group_spans(np.array(rows, dtype=np.int64), np.array(starts, dtype=np.int64),
                           np.array(ends, dtype=np.int64), news, len(reports))
