"""Typed evaluation results: what :func:`~.suite.evaluate_encoder` returns.

``to_json()`` gives the plain dict written as ``results.json`` (its schema is unchanged:
the field names are its keys, in the same order); :meth:`EvaluationResult.from_json` reads
one back.

Example:
    >>> r = RankScores({1: 0.5, 5: 1.0}, mean_rank=1.5, median_rank=1.5, domain_match=None)
    >>> r.to_json()
    {'R@1': 0.5, 'R@5': 1.0, 'mean_rank': 1.5, 'median_rank': 1.5}
    >>> RankScores.from_json(r.to_json()) == r
    True
    >>> Directions(Degradation(4.0, 3.0), Degradation(1.0, 2.0)).to_json()["image_to_report"]
    {'delta': 4.0, 'ratio': 3.0}
"""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass, field
from types import UnionType
from typing import Any, Generic, TypeVar

T = TypeVar("T")
Result = TypeVar("Result", bound="JsonResult")


def optional() -> Any:
    """A field left out of the JSON when it is None (and None when the JSON lacks it)."""
    return field(metadata={"omit_none": True})


class JsonResult:
    """Base of the result dataclasses: ``to_json`` / ``from_json`` by field."""

    def to_json(self) -> dict[str, Any]:
        """The plain JSON-ready dict (keys in field order)."""
        return {f.name: to_plain(getattr(self, f.name)) for f in dataclasses.fields(self)
                if not (f.metadata.get("omit_none") and getattr(self, f.name) is None)}

    @classmethod
    def from_json(cls: type[Result], data: dict[str, Any]) -> Result:
        """Read :meth:`to_json`'s output back."""
        hints = typing.get_type_hints(cls)
        return cls(**{f.name: from_plain(hints[f.name], data.get(f.name))
                      for f in dataclasses.fields(cls)})


def to_plain(value: Any) -> Any:
    """Results, dicts and lists of them as plain JSON values."""
    if isinstance(value, JsonResult):
        return value.to_json()
    if isinstance(value, dict):
        return {k: to_plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_plain(v) for v in value]
    return value


def from_plain(kind: Any, value: Any) -> Any:
    """``value`` read as the type ``kind`` (results, ``dict[str, X]``, ``X | None``)."""
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if value is None:
        return None
    if origin in (typing.Union, UnionType):
        return from_plain(next(a for a in args if a is not type(None)), value)
    if origin is dict:
        return {k: from_plain(args[1], v) for k, v in value.items()}
    if isinstance(origin or kind, type) and issubclass(origin or kind, JsonResult):
        if origin is not None:  # a generic result such as Directions[Degradation]
            return origin(**{k: from_plain(args[0], v) for k, v in value.items()})
        return kind.from_json(value)
    return value


@dataclass
class Scores(JsonResult):
    """Probe accuracy and AUC (None: not measurable, e.g. one class only; ``note`` says why,
    and is left out of the JSON when there is nothing to say)."""

    accuracy: float | None
    auc: float | None
    note: str | None = field(default=None, metadata={"omit_none": True})


@dataclass
class ProbeScores(JsonResult):
    """Scores per observation and their macro mean."""

    per_observation: dict[str, Scores]
    macro: Scores


@dataclass
class DomainSplit(JsonResult):
    """Test domain names that are / are not training domains."""

    source: list[str]
    held_out: list[str]


@dataclass
class SourceHeldOut(JsonResult):
    """Macro scores averaged over the source and over the held-out domains."""

    source: Scores
    held_out: Scores


@dataclass
class DomainScores(JsonResult):
    """Cross-domain scores of one embedding kind."""

    per_domain: dict[str, ProbeScores]
    source: Scores
    held_out: Scores
    domains: DomainSplit


@dataclass
class CrossDomain(JsonResult):
    """Fused-embedding scores per domain and the source / held-out means per embedding kind."""

    fused: DomainScores
    by_features: dict[str, SourceHeldOut]


@dataclass
class MissingModality(JsonResult):
    """Probe macro scores with both modalities, the image only and the report only."""

    both: Scores
    image_only: Scores
    text_only: Scores


@dataclass
class Directions(JsonResult, Generic[T]):
    """One value per retrieval direction."""

    image_to_report: T
    report_to_image: T


@dataclass
class Degradation(JsonResult):
    """Mean rank perturbed minus clean (``delta``) and perturbed over clean (``ratio``)."""

    delta: float
    ratio: float


@dataclass
class RankScores(JsonResult):
    """Recall at each K (``R@K`` in JSON), mean and median rank, and (within-domain
    retrieval only) the share of top-1 items from the query's domain."""

    recall: dict[int, float]
    mean_rank: float
    median_rank: float
    domain_match: float | None = optional()

    def to_json(self) -> dict[str, Any]:
        """``R@K`` keys first, then the ranks."""
        out: dict[str, Any] = {f"R@{k}": v for k, v in self.recall.items()}
        return out | {k: v for k, v in super().to_json().items() if k != "recall"}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RankScores:
        """Read :meth:`to_json`'s output back."""
        return cls({int(k[2:]): v for k, v in data.items() if k.startswith("R@")},
                   data["mean_rank"], data["median_rank"], data.get("domain_match"))


@dataclass
class WithinDomain(JsonResult):
    """Retrieval with each query's gallery restricted to its own domain."""

    clean: Directions[RankScores]
    perturbed: Directions[RankScores]
    degradation: Directions[Degradation]


@dataclass
class Retrieval(JsonResult):
    """Image <-> report retrieval, clean and with both sides corrupted at ``severity``."""

    gallery_size: int
    severity: int
    clean: Directions[RankScores]
    perturbed: Directions[RankScores]
    degradation: Directions[Degradation]
    within_domain: WithinDomain | None = optional()


@dataclass
class FamilyScores(JsonResult):
    """One corruption family: probe scores per severity (``"1"``..``"5"``) and relative error;
    ``retrieval_degradation``: mean-rank delta per direction at the retrieval severity;
    ``balanced_error``: MedMNIST-C's balanced error per severity (``corruption.balanced_error``).
    """

    modality: str
    retrieval_degradation: Directions[float] | None = optional()
    accuracy: dict[str, float | None]
    auc: dict[str, float | None]
    relative_error: float | None
    balanced_error: dict[str, float] | None = field(default=None,
                                                   metadata={"omit_none": True})

    def s3plus(self) -> float | None:
        """Mean accuracy over severities >= 3 (None without any)."""
        values = [a for s, a in self.accuracy.items() if int(s) >= 3 and a is not None]
        return sum(values) / len(values) if values else None


@dataclass
class ModalityMeans(JsonResult):
    """A mean over the image families, the text families and all of them."""

    image: float | None
    text: float | None
    all: float | None


@dataclass
class BalancedErrors(JsonResult):
    """MedMNIST-C's two figures for one corruption family against the reference model (None:
    the reference cannot normalise it, see :func:`~.corruption.medmnistc_scores`)."""

    be: float | None
    rbe: float | None


@dataclass
class MedMNISTCScores(JsonResult):
    """BE and rBE the MedMNIST-C way (its ``Evaluator``): ``BE = mean_s err_s / mean_s ref_s``,
    ``rBE = (mean_s err_s - err_clean) / (mean_s ref_s - ref_clean)`` per family, ``err`` the
    balanced error; their means over the image families, the text families and all (over the
    families where they are defined). 1 is the reference's level, lower is more robust.
    ``reference``: the reference model's name (its checkpoint path, or ``"baseline"``)."""

    reference: str
    reference_clean_balanced_error: float
    families: dict[str, BalancedErrors]
    be: ModalityMeans
    rbe: ModalityMeans


@dataclass
class Corruption(JsonResult):
    """The corruption suite: clean scores, per-family scores and mean relative errors;
    ``clean_balanced_error``: the clean set's balanced error (results.json files written before
    it lack it); ``medmnistc``: BE / rBE against a reference model, when one was given."""

    clean: Scores
    severities: list[int]
    families: dict[str, FamilyScores]
    mean_relative_error: ModalityMeans
    clean_balanced_error: float | None = field(default=None, metadata={"omit_none": True})
    medmnistc: MedMNISTCScores | None = field(default=None, metadata={"omit_none": True})


@dataclass
class EvaluationResult(JsonResult):
    """Every evaluation of one model (see :mod:`mmr_train.evaluate.suite`)."""

    observations: list[str]
    n_train: int
    n_test: int
    cross_domain: CrossDomain
    missing_modality: MissingModality
    corruption: Corruption
    retrieval: Retrieval
