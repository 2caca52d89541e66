"""In-context check of an op's edits: the output must read like the input to the labeler.

Lexicon checks look at phrases alone; in context an edit can still join neighbours into a new
finding or cue phrase ("CP angle" + "blunting", "no acute [pulmonary] abnormality"). Ops that
can do that re-parse their output (parses are cached) and keep only edits that pass.
"""

from __future__ import annotations

import numpy as np

from ..base import splice
from ..report import Report

Spans = list[tuple[int, int, str]]


def reading(report: Report) -> tuple:
    """What the labeler reads: each mention's observation, polarity and side, and the
    section names (it skips context sections)."""
    return (sorted((m.observation, m.polarity, m.laterality or "") for m in report.mentions),
            [s.name for s in report.sections])


def verified(report: Report, spans: Spans, chunks: int = 8) -> Spans:
    """``spans`` if the edited text reads like the original; else the chunks of consecutive
    spans (at most ``chunks``) that pass alone, if they pass together; else none.

    Example:
        >>> from mmr_augment.text.parse import parse
        >>> r = parse("No acute pulmonary abnormality.")
        >>> verified(r, [(9, 19, "")])  # would read as the normal phrase "no acute abnormality"
        []
    """
    from ..parse import parse

    if not spans:
        return spans
    want = reading(report)

    def passes(part: Spans) -> bool:
        return reading(parse(splice(report.text, part, "")[0])) == want

    if passes(spans):
        return spans
    groups = [list(g) for g in np.array_split(np.arange(len(spans)), min(chunks, len(spans)))]
    keep = [spans[i] for g in groups if passes([spans[i] for i in g]) for i in g]
    return keep if keep and passes(keep) else []
