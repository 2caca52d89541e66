"""Hypothesis strategies for property-testing perturbations (public API).

- :func:`images` / :func:`ranged_images`: float image batches of every supported dtype, odd
  and even sizes, 1 or 3 channels, several contents and value ranges.
- :func:`labelled_reports` / :func:`reports`: reports built from the shipped lexicons
  (finding and attribute phrases, negation triggers, normality statements, hedges) with
  templates whose labels are known; one statement per observation, so never contradictory.
- :func:`batches`: ``(images, reports)`` pairs of one batch size.
- :func:`image_ops`, :func:`text_ops`, :func:`policies`: registered ops and policies.

Example:
    >>> from hypothesis import given, settings
    >>> @settings(max_examples=5, deadline=None)
    ... @given(x=images(max_size=16))
    ... def test_noise_keeps_shape(x):
    ...     from mmr_augment import GaussianNoise
    ...     assert GaussianNoise()(x, generator=0).shape == x.shape
    >>> test_noise_keeps_shape()
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from hypothesis import strategies as st

from ..core import REGISTRY, Perturbation
from ..image.base import FLOAT_DTYPES

__all__ = ["VALUE_RANGES", "LabelledReport", "batches", "image_ops", "images",
           "labelled_reports", "policies", "ranged_images", "reports", "text_ops"]

#: Value ranges images come in: unit, signed, 8-bit, CT Hounsfield, 12-bit detector.
VALUE_RANGES = ((0.0, 1.0), (-1.0, 1.0), (0.0, 255.0), (-1024.0, 3071.0), (0.0, 4095.0))
_CONTENTS = ("uniform", "constant", "gradient", "extremes")


def _content(kind: str, shape: tuple[int, ...], g: torch.Generator) -> torch.Tensor:
    b, c, h, w = shape
    if kind == "constant":
        return torch.rand(b, 1, 1, 1, generator=g).expand(shape).clone()
    if kind == "gradient":
        yy, xx = torch.meshgrid(torch.linspace(0, 1, h), torch.linspace(0, 1, w), indexing="ij")
        return (0.5 * (yy + xx) + 0.1 * torch.rand(shape, generator=g)).clamp(0, 1)
    if kind == "extremes":  # saturated black / white pixels
        return (torch.rand(shape, generator=g) < 0.5).float()
    return torch.rand(shape, generator=g)


@st.composite
def images(draw: st.DrawFn, *, dtypes: Sequence[torch.dtype] = FLOAT_DTYPES,
           channels: Sequence[int] = (1, 3), min_batch: int = 1, max_batch: int = 4,
           min_size: int = 8, max_size: int = 48,
           value_range: tuple[float, float] = (0.0, 1.0),
           contents: Sequence[str] = _CONTENTS) -> torch.Tensor:
    """``(B, C, H, W)`` float images in ``value_range`` (H and W drawn separately: odd sizes
    and non-square shapes included); the pixels come from a drawn seed, so examples shrink."""
    shape = (draw(st.integers(min_batch, max_batch)), draw(st.sampled_from(list(channels))),
             draw(st.integers(min_size, max_size)), draw(st.integers(min_size, max_size)))
    g = torch.Generator().manual_seed(draw(st.integers(0, 2**31 - 1)))
    unit = _content(draw(st.sampled_from(list(contents))), shape, g)
    lo, hi = value_range
    return (lo + (hi - lo) * unit).to(draw(st.sampled_from(list(dtypes))))


@st.composite
def ranged_images(draw: st.DrawFn, **kwargs) -> tuple[torch.Tensor, tuple[float, float]]:
    """``(images, value_range)`` with the range drawn from :data:`VALUE_RANGES`; pass the
    range to the op (``value_range=``). ``bfloat16`` loses integer steps above 256."""
    value_range = draw(st.sampled_from(VALUE_RANGES))
    return draw(images(value_range=value_range, **kwargs)), value_range


# ---------------------------------------------------------------------------- reports
@dataclass(frozen=True)
class LabelledReport:
    """A generated report and what the CheXpert-style labeler must read from it."""

    text: str
    labels: dict[str, str]


_POSITIVE = ("There is {p}.", "{P}.", "{P} is seen.")
_NEGATIVE_PRE = ("no", "without", "negative for", "no evidence of")
_NEGATIVE_POST = ("not seen", "not identified")
_HEDGES = ("possible", "probable", "likely", "may represent", "cannot exclude")
#: Statements about an attribute ("heart size"): normality negates it, "stable" makes it
#: uncertain (CheXpert); bare, an attribute is no mention, so it has no positive template.
_ATTRIBUTE = {"negative": ("{P} is normal.", "Normal {p}.", "{P} is within normal limits.",
                           "{P} is unremarkable.", "{P} is normal and stable."),
              "uncertain": ("Stable {p}.", "{P} is unchanged.")}
_SIDES = ("", "left ", "right ", "bilateral ")
_RANK = {"negative": 0, "uncertain": 1, "positive": 2}


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


@functools.lru_cache(maxsize=1)
def _templates() -> dict[str, tuple[str, ...]]:
    """Sentence templates per polarity, keeping only the cues the shipped lexicons have."""
    from ..text.lexicon import hedges, negation_triggers, uncertainty_triggers

    neg = negation_triggers()
    hedge = set(hedges()) | set(uncertainty_triggers()["pre"])
    return {"positive": _POSITIVE,
            "negative": tuple(f"{_cap(t)} {{p}}." for t in _NEGATIVE_PRE if t in neg["pre"])
            + tuple(f"{{P}} is {t}." for t in _NEGATIVE_POST if t in neg["post"]),
            "uncertain": tuple(f"{_cap(h)} {{p}}." for h in _HEDGES if h in hedge)}


def _sentence(template: str, phrase: str) -> str:
    return template.format(p=phrase, P=_cap(phrase))


@functools.lru_cache(maxsize=1)
def _phrases() -> tuple[tuple[str, str, bool], ...]:
    """(observation, phrase, is an attribute) of the shipped lexicon, without ``...`` gap
    phrases (their gap words would change the meaning) and the bare "heart" / "mediastinum"
    (a side word before them names a heart border, not a side).
    tests/testing/test_testing_kit.py checks that the labeler reads every template back."""
    from ..text.lexicon import attribute_phrases, finding_phrases

    found = [(o, p, False) for o, phrases in sorted(finding_phrases().items())
             if o != "No Finding" for p in phrases if "..." not in p]
    return tuple(found + [(o, p, True) for o, phrases in sorted(attribute_phrases().items())
                          for p in phrases if " " in p])


def expected_labels(mentions: Sequence[tuple[str, str]]) -> dict[str, str]:
    """Labels of a report whose sentences mention ``(observation, polarity)``, by the rule the
    labeler documents (best polarity per observation; "No Finding" when nothing but devices is
    positive or uncertain; "Other Finding" is never labeled)."""
    best: dict[str, str] = {}
    for observation, polarity in mentions:
        if observation not in best or _RANK[polarity] > _RANK[best[observation]]:
            best[observation] = polarity
    abnormal = any(p != "negative" for o, p in best.items() if o != "Support Devices")
    best.pop("Other Finding", None)
    if mentions and not abnormal:
        best["No Finding"] = "positive"
    return best


@st.composite
def _labelled_sentence(draw: st.DrawFn) -> tuple[str, str, str]:
    observation, phrase, attribute = draw(st.sampled_from(_phrases()))
    if attribute:
        polarity = draw(st.sampled_from(("negative", "uncertain")))
        return _sentence(draw(st.sampled_from(_ATTRIBUTE[polarity])), phrase), observation, \
            polarity
    polarity = draw(st.sampled_from(("positive", "negative", "uncertain")))
    side = draw(st.sampled_from(_SIDES))
    return _sentence(draw(st.sampled_from(_templates()[polarity])), side + phrase), \
        observation, polarity


@st.composite
def labelled_reports(draw: st.DrawFn, *, min_sentences: int = 1, max_sentences: int = 6,
                     sections: bool | None = None) -> LabelledReport:
    """A report of lexicon sentences, optionally under FINDINGS / IMPRESSION headers, with the
    labels the labeler gives it (see :func:`expected_labels`). Each observation is stated once
    ("There is cardiomegaly. No cardiomegaly." would contradict itself)."""
    drawn = draw(st.lists(_labelled_sentence(), min_size=min_sentences, max_size=max_sentences,
                          unique_by=lambda s: s[1]))
    texts = [s for s, _, _ in drawn]
    with_headers = draw(st.booleans()) if sections is None else sections
    if with_headers and len(texts) > 1:
        cut = draw(st.integers(1, len(texts) - 1))
        text = f"FINDINGS: {' '.join(texts[:cut])}\nIMPRESSION: {' '.join(texts[cut:])}"
    else:
        text = ("FINDINGS: " if with_headers else "") + " ".join(texts)
    return LabelledReport(text, expected_labels([(o, p) for _, o, p in drawn]))


def reports(**kwargs) -> st.SearchStrategy[str]:
    """Report texts from :func:`labelled_reports`."""
    return labelled_reports(**kwargs).map(lambda r: r.text)


@st.composite
def batches(draw: st.DrawFn, *, max_batch: int = 4, **image_kwargs
            ) -> tuple[torch.Tensor, list[str]]:
    """``(images, reports)`` with one report per image."""
    b = draw(st.integers(1, max_batch))
    x = draw(images(min_batch=b, max_batch=b, **image_kwargs))
    return x, draw(st.lists(reports(max_sentences=4), min_size=b, max_size=b))


# ---------------------------------------------------------------------------- ops
def _severity_ops(modality: str, effects: tuple[str, ...] | None) -> tuple[str, ...]:
    if modality == "text":
        from .. import text  # noqa: F401  (registers the text ops; names the extra if missing)
    return _constructible(modality, effects, tuple(sorted(REGISTRY)))


@functools.lru_cache(maxsize=16)
def _constructible(modality: str, effects: tuple[str, ...] | None, registered: tuple[str, ...]
                   ) -> tuple[str, ...]:
    """Registered ops of ``modality`` that build from a severity alone (cached per registry)."""
    names = []
    for name in registered:
        cls = REGISTRY[name]
        if cls.modality != modality or not cls.severity_table or name.startswith("_"):
            continue
        if effects is not None and getattr(cls, "effect", None) not in effects:
            continue
        try:
            cls(severity=1)
        except Exception:  # needs arguments the kit cannot guess (e.g. a user op)
            continue
        names.append(name)
    return tuple(names)


@st.composite
def image_ops(draw: st.DrawFn, *, p: Sequence[float] = (1.0, 0.5)) -> Perturbation:
    """A registered image op at a drawn severity 1..5."""
    name = draw(st.sampled_from(_severity_ops("image", None)))
    return REGISTRY[name](severity=draw(st.integers(1, 5)), p=draw(st.sampled_from(list(p))))


@st.composite
def text_ops(draw: st.DrawFn, *, effects: Sequence[str] = ("meaning_preserving",
                                                           "information_removing"),
             p: Sequence[float] = (1.0, 0.5)) -> Perturbation:
    """A registered text op of one of ``effects`` (label-safe by default) at a drawn severity."""
    name = draw(st.sampled_from(_severity_ops("text", tuple(effects))))
    return REGISTRY[name](severity=draw(st.integers(1, 5)), p=draw(st.sampled_from(list(p))))


@st.composite
def policies(draw: st.DrawFn) -> Perturbation:
    """A ``MultiModalPolicy`` over drawn image and text ops, modes, drops and severity."""
    from ..policy import MultiModalPolicy

    weights = draw(st.lists(st.sampled_from([0.0, 0.5, 1.0]), min_size=4, max_size=4)
                   .filter(lambda w: sum(w) > 0))
    drop_image = draw(st.sampled_from([0.0, 0.2, 0.5]))
    severity = draw(st.one_of(st.none(), st.integers(1, 5),
                              st.tuples(st.integers(1, 3), st.integers(3, 5))))
    return MultiModalPolicy(
        image=draw(st.one_of(st.none(), image_ops())), text=draw(st.one_of(st.none(), text_ops())),
        modes=dict(zip(("none", "image", "text", "both"), weights)),
        drop={"image": drop_image, "text": draw(st.sampled_from([0.0, 0.3]))},
        severity=severity, patch_size=draw(st.sampled_from([4, 8])))
