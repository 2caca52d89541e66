"""``ReportStyle``: how a department writes the same findings, as one batched text op.

A style is a set of writing habits (see ``_report_fields.OPTIONS``): header words and format,
section order, impression numbering, templated or narrative normal statements, negation
phrasing, hedging vocabulary, abbreviation density, laterality and measurement formatting and
sentence joining. Every field is a fixed value, a choice list or (numbers) a range, drawn per
sample, so one style is a department (a preset) or a family of departments. Styles are data:
YAML files under ``assets/styles/report``. The text-side analogue of ``ScannerStyle``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .._rng import draw_seeds
from ..compose import OneOf
from ..core import Params
from ..errors import ConfigError
from ..text.base import TextPerturbation, draws
from ..text.report import Report
from ._report_assemble import Swap, Tagged, label_safe_spans
from ._report_doc import Doc, Span
from ._report_fields import DIMENSIONS, OPTIONS, RATES, CategoricalSpec
from ._report_files import REPORT_FILES
from ._report_layout import layout_spans, order_swap
from ._report_sentences import join_spans, negation_spans, normal_spans
from ._report_words import (
    abbreviation_spans,
    hedge_spans,
    laterality_spans,
    measurement_spans,
)

_STYLE_KEYS = ["name", "description", *OPTIONS, *RATES, "strength", "p", "severity"]
_D = {name: k for k, name in enumerate(DIMENSIONS)}
_STREAMS = {"normals": 11, "negation": 12, "join": 13, "hedging": 14, "expand": 15,
            "contract": 16, "which": 17}


class ReportStyle(TextPerturbation):
    """A department's report-writing habits, applied without changing what the report says.

    Rewrites touch only what they fully recognise: normal statements in reports the labeler
    reads as normal, simple negated sentences ("No X." with at most a side and a few
    modifiers), whole hedge cues, sides right before a finding, sizes with a unit. The result
    must read exactly like the input to the rule labeler (every mention's observation,
    polarity and side, and whether it sits in a clinical-context section); a dimension whose
    edits would change that is dropped for that sample. Header-less text keeps its layout
    (only headed sections are restyled, reordered or numbered); empty or whitespace-only
    text is returned unchanged.

    Args:
        name: the style's name (presets: the file name).
        description: free text, kept in the config.
        headers, header_set, section_order, numbering, normals, negation, hedging,
            laterality, measurement: an option of that field (see ``OPTIONS``), or a choice
            list of options. Default: every option, drawn per sample.
        expand, contract: chance that each abbreviation is expanded / long form contracted.
        join: chance that two short neighbouring sentences are joined with "; ".
        strength: chance that each style dimension is applied to a sample.
        p: probability that a sample is styled.
        severity: 1..5 sets ``strength`` to .2 .4 .6 .8 1.

    Example:
        >>> style = ReportStyle(headers="title", negation="not_seen", normals="templated",
        ...                     numbering="numbered", expand=0.0, contract=0.0, join=0.0,
        ...                     hedging="keep", laterality="keep", measurement="keep",
        ...                     header_set="keep", section_order="keep")
        >>> out = style(["FINDINGS: Heart size is normal. Lungs are clear. No pneumothorax.\\n"
        ...              "IMPRESSION: No pleural effusion. Normal chest."], generator=0)
        >>> print(out.texts[0])
        Findings: Heart size is normal. No acute cardiopulmonary abnormality. Pneumothorax is not
        seen.
        Impression:
        1. Pleural effusion is not seen.
        2. Normal chest.
        >>> sorted(ReportStyle.presets())[:2]
        ['abbreviation_heavy', 'academic_structured']
    """

    family = "report_style"
    effect = "meaning_preserving"
    severity_table = {"strength": (0.2, 0.4, 0.6, 0.8, 1.0)}

    def __init__(self, name: str = "custom", description: str = "", headers=None,
                 header_set=None, section_order=None, numbering=None, normals=None,
                 negation=None, hedging=None, laterality=None, measurement=None,
                 expand=(0.0, 0.3), contract=(0.0, 0.3), join=(0.0, 0.5), strength=1.0, *,
                 p: float = 1.0, severity: int | None = None) -> None:
        super().__init__(p=p, severity=severity)
        if not isinstance(name, str) or not isinstance(description, str):
            raise ConfigError("ReportStyle: name and description must be strings")
        self.name, self.description = name, description
        given = dict(headers=headers, header_set=header_set, section_order=section_order,
                     numbering=numbering, normals=normals, negation=negation, hedging=hedging,
                     laterality=laterality, measurement=measurement)
        self.fields = {k: CategoricalSpec.build(k, {"choice": list(OPTIONS[k])} if v is None
                                                else v) for k, v in given.items()}
        self.rates = {k: self.spec(k, v, low=0.0, high=1.0)
                      for k, v in dict(expand=expand, contract=contract, join=join).items()}
        self.strength = self.spec("strength", strength, low=0.0, high=1.0)

    # ------------------------------------------------------------------ contract
    def _sample(self, batch_size: int, generator: torch.Generator) -> Params:
        params: Params = {k: spec.sample(batch_size, generator) for k, spec in self.fields.items()}
        params.update({k: spec.sample(batch_size, generator) for k, spec in self.rates.items()})
        params["strength"] = self.strength.sample(batch_size, generator)
        u = torch.rand(batch_size, len(DIMENSIONS), generator=generator, dtype=torch.float64)
        params["active"] = u < params["strength"][:, None]
        params["seed"] = draw_seeds(batch_size, generator)
        return params

    def _edit(self, reports: list[Report], params: Params) -> list[list[Span]]:
        counts = np.array([r.n_tokens for r in reports], dtype=np.int64)
        cuts = np.cumsum(counts)[:-1]
        u = {k: np.split(draws(params["seed"], counts, stream=s), cuts)
             for k, s in _STREAMS.items()}
        choice = {k: [OPTIONS[k][i] for i in params[k].tolist()] for k in OPTIONS}
        rate = {k: params[k].tolist() for k in RATES}
        on = params["active"].tolist()
        out = []
        for b, report in enumerate(reports):
            doc = Doc(report)
            candidates, swap = _proposals(doc, {k: v[b] for k, v in choice.items()},
                                          {k: v[b] for k, v in rate.items()}, on[b],
                                          {k: v[b] for k, v in u.items()})
            out.append(label_safe_spans(doc, candidates, swap))
        return out

    # ------------------------------------------------------------------ config
    def to_config(self) -> dict[str, Any]:
        """Every field of the style (the choices it draws from), plus ``p`` and severity."""
        cfg: dict[str, Any] = {"type": type(self).__name__, "name": self.name,
                               "description": self.description}
        cfg.update({k: spec.to_config() for k, spec in self.fields.items()})
        cfg.update({k: spec.to_config() for k, spec in self.rates.items()})
        cfg.update(strength=self.strength.to_config(), p=self.p)
        if self.severity is not None:
            cfg["severity"] = self.severity
        return cfg

    # ------------------------------------------------------------------ files
    @staticmethod
    def presets() -> list[str]:
        """Names of the shipped presets (``assets/styles/report/*.yaml``)."""
        return REPORT_FILES.preset_names()

    @classmethod
    def preset(cls, name: str, **overrides: Any) -> ReportStyle:
        """The shipped preset ``name``; ``overrides`` replace top-level keys (e.g. ``p``)."""
        stored = REPORT_FILES.read_style(str(REPORT_FILES.preset_path(name)), _STYLE_KEYS)
        return cls(**{**stored, **overrides})

    @classmethod
    def from_yaml(cls, path: str | Path) -> ReportStyle:
        """A style from a YAML file (``yaml.safe_load``); unknown keys raise ``ConfigError``."""
        return cls(**REPORT_FILES.read_style(path, _STYLE_KEYS))

    def to_yaml(self, path: str | Path) -> None:
        """Write the full config as a commented YAML file that :meth:`from_yaml` reads back."""
        REPORT_FILES.write_style(self.to_config(), path)

    @staticmethod
    def mixture(names: Sequence[str], weights: Sequence[float] | None = None) -> OneOf:
        """Each sample written in one of the presets ``names``, picked with ``weights``."""
        return OneOf([ReportStyle.preset(n) for n in names], weights)


def _proposals(doc: Doc, opt: dict[str, str], rate: dict[str, float], on: list[bool],
               u: dict[str, np.ndarray]) -> tuple[list[Tagged], Swap]:
    """Every edit the sample's active dimensions propose, tagged with the dimension, and the
    section swap (``None`` if none)."""
    candidates: list[Tagged] = []

    def add(dim: str, make: Callable[[], list[Span]]) -> None:
        if on[_D[dim]]:
            candidates.extend((_D[dim], s, e, new) for s, e, new in make())

    numbered = on[_D["layout"]] and opt["numbering"] == "numbered"
    skip = {k for k, s in enumerate(doc.report.sections) if numbered and s.name == "IMPRESSION"}
    add("layout", lambda: layout_spans(doc, opt["headers"], opt["header_set"], opt["numbering"]))
    add("normals", lambda: normal_spans(doc, opt["normals"], u["normals"]))
    add("negation", lambda: negation_spans(doc, opt["negation"], u["negation"]))
    add("join", lambda: join_spans(doc, rate["join"], u["join"], skip))
    add("hedging", lambda: hedge_spans(doc, opt["hedging"], u["hedging"]))
    add("laterality", lambda: laterality_spans(doc, opt["laterality"]))
    add("measurement", lambda: measurement_spans(doc, opt["measurement"]))
    for direction in ("expand", "contract"):
        add("abbreviation", lambda d=direction: abbreviation_spans(doc, d, rate[d], u[d],
                                                                   u["which"]))
    swap = order_swap(doc, opt["section_order"]) if on[_D["order"]] else None
    return candidates, swap
