"""Text side of the contract: ``TextBatch``, the edit log, input checks and the gate.

A text op receives a list of strings, a list of parsed :class:`Report` objects or a
:class:`TextBatch`, and returns a :class:`TextBatch`: the new texts plus, per sample, the log of
edits made so far. Each edit's ``start``/``end`` are character offsets in the text *the op that
made it* received, so a chain's log reads as a series of patches in order of application.
Empty, whitespace-only or header-only texts are a documented no-op: returned unchanged with no
new edit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import torch

from .._rng import hash32
from ..core import Params, Perturbation, slice_params
from ..errors import InputTypeError
from .report import Report

EFFECTS = ("meaning_preserving", "information_removing", "meaning_changing")


@dataclass(frozen=True)
class Edit:
    """One change: ``kind``, character span ``[start, end)`` of the text the op received,
    the ``old`` text there and the ``new`` text that replaced it."""

    kind: str
    start: int
    end: int
    old: str
    new: str

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "start": self.start, "end": self.end,
                "old": self.old, "new": self.new}


@dataclass
class TextBatch:
    """A batch of report texts with their edit logs (and parses, where known).

    Example:
        >>> b = TextBatch.of(["No effusion.", "Heart is normal."])
        >>> b.take(torch.tensor([1])).texts
        ['Heart is normal.']
    """

    texts: list[str]
    edits: list[list[Edit]] = field(default_factory=list)
    reports: list[Report | None] = field(default_factory=list, repr=False)

    @classmethod
    def of(cls, texts: list[str], reports: list[Report | None] | None = None) -> TextBatch:
        return cls(list(texts), [[] for _ in texts], list(reports or [None] * len(texts)))

    def __len__(self) -> int:
        return len(self.texts)

    def parsed(self) -> list[Report]:
        """The reports of every text (parsed once; ``parse`` caches by text)."""
        if all(r is not None for r in self.reports):
            return self.reports  # type: ignore[return-value]
        from .parse import parse

        self.reports = [r if r is not None else parse(t)
                        for r, t in zip(self.reports, self.texts, strict=True)]
        return self.reports  # type: ignore[return-value]

    def take(self, index: torch.Tensor) -> TextBatch:
        rows = index.tolist()
        return TextBatch([self.texts[i] for i in rows], [self.edits[i] for i in rows],
                         [self.reports[i] for i in rows])

    def put(self, index: torch.Tensor, part: TextBatch) -> TextBatch:
        out = TextBatch(list(self.texts), list(self.edits), list(self.reports))
        for j, i in enumerate(index.tolist()):
            out.texts[i], out.edits[i], out.reports[i] = (part.texts[j], part.edits[j],
                                                          part.reports[j])
        return out

    def where(self, gate: torch.Tensor, old: TextBatch) -> TextBatch:
        """``self`` where ``gate`` is True, else ``old`` (per sample)."""
        keep = gate.tolist()
        pick = [(n, o)[not k] for n, o, k in zip(self, old, keep, strict=True)]
        return TextBatch([t for t, _, _ in pick], [e for _, e, _ in pick],
                         [r for _, _, r in pick])

    def __iter__(self):
        return iter(zip(self.texts, self.edits, self.reports, strict=True))


def to_text_batch(x: Any, owner: str = "op") -> TextBatch:
    """``list[str] | list[Report] | TextBatch`` -> ``TextBatch``; clear errors otherwise."""
    if isinstance(x, TextBatch):
        return x
    if isinstance(x, (str, bytes)) or not isinstance(x, (list, tuple)):
        hint = " (a single report: [text])" if isinstance(x, str) else ""
        raise InputTypeError(f"{owner}: expected a list of str, a list of Report or a "
                             f"TextBatch, got {type(x).__name__}{hint}")
    if all(isinstance(r, Report) for r in x) and x:
        return TextBatch.of([r.text for r in x], list(x))
    for i, t in enumerate(x):
        if not isinstance(t, str):
            fix = "; decode bytes first: b.decode('utf-8')" if isinstance(t, bytes) else ""
            raise InputTypeError(f"{owner}: item {i} is {type(t).__name__}, expected str"
                                 f"{fix}")
    return TextBatch.of(list(x))


class TextPerturbation(Perturbation, abstract=True):
    """Base class of text ops. Subclasses set ``family``, ``effect`` and implement
    ``_sample`` and ``_edit``.

    ``_edit(reports, params)`` gets the parsed reports of the gated-on, non-blank samples and
    returns, per sample, sorted non-overlapping ``(start, end, new)`` replacements; the base
    class splices them into the text and logs them as :class:`Edit` of kind ``family``.
    """

    modality = "text"
    effect: ClassVar[str] = "meaning_preserving"

    def check_input(self, x: Any) -> TextBatch:
        return to_text_batch(x, type(self).__name__)

    def apply_batch(self, x: TextBatch, params: Params, *, in_range: bool = False
                    ) -> TextBatch:
        reports = x.parsed()
        live = torch.tensor([r.has_body for r in reports], dtype=torch.bool)
        index = (params["gate"] & live).nonzero().flatten()
        if index.numel() == 0:
            return x
        part = x.take(index)
        return x.put(index, self._apply(part, slice_params(params, index)))

    def _apply(self, x: TextBatch, params: Params) -> TextBatch:
        reports = x.parsed()
        changes = self._edit(reports, params)
        texts, edits, parses = [], [], []
        for report, old_edits, spans in zip(reports, x.edits, changes, strict=True):
            text, new = splice(report.text, spans, self.family)
            texts.append(text)
            edits.append(old_edits + new)
            parses.append(report if not new else None)
        return TextBatch(texts, edits, parses)

    def _edit(self, reports: list[Report], params: Params) -> list[list[tuple[int, int, str]]]:
        raise NotImplementedError


def splice(text: str, spans: list[tuple[int, int, str]], kind: str) -> tuple[str, list[Edit]]:
    """Replace sorted, non-overlapping ``(start, end, new)`` spans; unchanged spans are dropped.

    Example:
        >>> splice("No large effusion.", [(3, 9, "")], "word_dropout")[0]
        'No effusion.'
    """
    parts, edits, pos = [], [], 0
    for start, end, new in spans:
        old = text[start:end]
        if old == new:
            continue
        parts += (text[pos:start], new)
        edits.append(Edit(kind, start, end, old, new))
        pos = end
    parts.append(text[pos:])
    return "".join(parts), edits


def draws(seeds: torch.Tensor, counts: np.ndarray, stream: int = 0) -> np.ndarray:
    """Flat uniforms in ``(0, 1)`` for a ragged layout: row ``b`` gets ``counts[b]`` values.

    Each value is a pure function of (seed, stream, position) through a counter-based integer
    hash, so a batch slice replays exactly, a longer row starts with a shorter row's values,
    and nothing is stored or padded (per-sample generators cost ~20 us a row here).

    Example:
        >>> u = draws(torch.tensor([7, 8]), np.array([2, 3]))
        >>> bool((draws(torch.tensor([8]), np.array([3])) == u[2:]).all())
        True
    """
    row, pos = ragged_rows(np.asarray(counts, dtype=np.int64))
    seed = seeds.numpy().astype(np.uint64)
    key = hash32(seed * np.uint64(0x9E3779B1) + np.uint64(stream * 0x85EBCA77 + 1))[row]
    h = hash32(hash32(key ^ pos.astype(np.uint64)) + key)
    return (((h >> np.uint64(8)).astype(np.float64) + 0.5) / 16777216.0).astype(np.float32)


def ragged_rows(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(row, position)`` of every element of a ragged layout with ``counts`` per row."""
    row = np.repeat(np.arange(len(counts)), counts)
    first = np.repeat(np.cumsum(counts) - counts, counts)
    return row, np.arange(len(row)) - first


def group_spans(row: np.ndarray, starts: np.ndarray, ends: np.ndarray, news: list[str],
                batch: int) -> list[list[tuple[int, int, str]]]:
    """Flat replacements (any order) -> per-sample sorted span lists."""
    order = np.lexsort((starts, row))
    bounds = np.searchsorted(row[order], np.arange(batch + 1))
    s, e = starts[order].tolist(), ends[order].tolist()
    n = [news[i] for i in order.tolist()]
    return [list(zip(s[a:b], e[a:b], n[a:b], strict=True))
            for a, b in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True)]
