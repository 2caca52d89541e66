"""Domains: how a site renders and writes the same study (scanner style x report style).

A style is ``None`` (canonical rendering or wording), any :class:`mmr_augment.Perturbation`
(an image op for the scanner, a text op for the report), or a preset name / YAML path that is
resolved lazily through ``mmr_augment.ScannerStyle`` / ``mmr_augment.ReportStyle``. Each study
samples its style parameters from its own generator (seeded by dataset seed and study index),
so a study looks the same whatever batch it is rendered in; the samples are then applied to the
whole batch at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from ..core import Perturbation
from ..errors import ConfigError
from ._draws import REPORT_STYLE, SCANNER_STYLE, study_generator

_STYLE_CLASS = {"scanner": ("ScannerStyle", "image"), "report": ("ReportStyle", "text")}


def _resolve_style(kind: str, value: Any) -> Perturbation | None:
    """A scanner (``kind="scanner"``) or report (``"report"``) style from ``None``, an op, a
    preset name or a YAML path; the style classes are imported only when a name is given.

    Example:
        >>> from mmr_augment import GaussianNoise
        >>> _resolve_style("scanner", GaussianNoise(std=0.05)).to_config()
        {'type': 'GaussianNoise', 'std': 0.05}
    """
    class_name, modality = _STYLE_CLASS[kind]
    if value is None:
        return None
    if isinstance(value, Perturbation):
        if value.modality not in (modality, "any"):
            raise ConfigError(f"a {kind} style must be an op on {modality}, got "
                              f"{type(value).__name__} ({value.modality})")
        return value
    if not isinstance(value, (str, Path)):
        raise ConfigError(f"{kind} style must be None, a Perturbation, a preset name or a YAML "
                          f"path, got {type(value).__name__}")
    import mmr_augment

    cls = getattr(mmr_augment, class_name, None)
    if cls is None:
        raise ConfigError(f"{kind} style {str(value)!r} needs mmr_augment.{class_name}, which "
                          f"this install does not have; pass a Perturbation or None instead")
    text = str(value)
    if text.endswith((".yaml", ".yml")) or Path(text).is_file():
        return cls.from_yaml(text)
    return cls.preset(text)


@dataclass(frozen=True)
class Domain:
    """One acquisition domain: a scanner style and a report style (either may be ``None``)."""

    scanner: Any = None
    report: Any = None

    @classmethod
    def of(cls, value: Any) -> Domain:
        """A domain from a ``Domain``, a ``(scanner, report)`` pair, a mapping with keys
        ``scanner`` / ``report``, or ``None`` (canonical)."""
        if isinstance(value, Domain):
            return value
        if value is None:
            return cls()
        if isinstance(value, dict):
            unknown = set(value) - {"scanner", "report"}
            if unknown:
                raise ConfigError(f"domain keys are 'scanner' and 'report', got {sorted(unknown)}")
            return cls(value.get("scanner"), value.get("report"))
        if isinstance(value, Sequence) and not isinstance(value, str) and len(value) == 2:
            return cls(value[0], value[1])
        raise ConfigError(f"a domain is a (scanner_style, report_style) pair, a dict or None, "
                          f"got {value!r}")

    def resolved(self) -> Domain:
        """The same domain with both styles resolved to ops (or ``None``)."""
        return Domain(_resolve_style("scanner", self.scanner),
                      _resolve_style("report", self.report))


def _cat_params(parts: list[Any]) -> Any:
    """Concatenate per-study params (nested dicts / lists of tensors) along the batch."""
    first = parts[0]
    if isinstance(first, torch.Tensor):
        return torch.cat(parts, 0)
    if isinstance(first, dict):
        return {k: _cat_params([p[k] for p in parts]) for k in first}
    if isinstance(first, (list, tuple)):
        return type(first)(_cat_params(list(items)) for items in zip(*parts, strict=True))
    return first


def _study_params(op: Perturbation, keys: torch.Tensor, stream: int) -> Any:
    return _cat_params([op.sample(1, study_generator(k, stream)) for k in keys.tolist()])


def apply_scanner(op: Perturbation | None, images: torch.Tensor, keys: torch.Tensor
                  ) -> torch.Tensor:
    """Images of studies ``keys`` in scanner style ``op`` (``None``: unchanged)."""
    if op is None:
        return images
    return op.apply(images, _study_params(op, keys, SCANNER_STYLE))


def apply_report(op: Perturbation | None, reports: list[str], keys: torch.Tensor) -> list[str]:
    """Reports of studies ``keys`` in report style ``op`` (``None``: unchanged)."""
    if op is None:
        return reports
    out = op.apply(list(reports), _study_params(op, keys, REPORT_STYLE))
    return list(out.texts) if hasattr(out, "texts") else list(out)
