"""Hypothesis fuzz campaign over every registered op, composition, style and the policy.

Targets come from the registry, so a newly registered op (e.g. ``ReportStyle``) is fuzzed as soon
as it lands; constructor kwargs come from tests/image_cases.py and tests/text_cases.py (an op not
in a table is built with its defaults). Each example draws a plain ``case`` dict (batch size,
size, dtype, value range, fill, p, severity, seed, texts) and checks the promises:

- no crash on valid input; only documented errors (``MMRError`` subclasses) otherwise;
- shape, dtype and device kept; finite output inside the value range; the input not written;
- ``p=0`` is the identity; the same seed gives the same output; replay from the params and
  from the JSON log reproduces it; text edit logs rebuild the output.

The default profile runs a few dozen examples per target (the whole file in about a minute);
``HYPOTHESIS_PROFILE=fuzz`` runs 10,000 per target, and the terminal summary prints how many
examples each target ran (see SECURITY.md). Failures found by fuzzing are kept in
tests/fuzz_regressions.py and replayed on every run by :func:`test_regression`.
"""

from __future__ import annotations

import copy
import json

import pytest
import torch
from fuzz_regressions import IMAGE, TEXT
from hypothesis import given, settings
from hypothesis import strategies as st
from image_cases import ALL as IMAGE_KWARGS
from text_cases import ALL as TEXT_KWARGS
from text_cases import COMPOSITIONS as TEXT_COMPOSITIONS

pytest.importorskip("spacy", reason="needs the text extra: pip install 'mmr[text]'")

import mmr_augment as ma
import mmr_augment.text as mt
from mmr_augment.text import TextBatch

COMPOSITIONS = ("Sequential", "OneOf", "SomeOf")
IMAGE_TARGETS = sorted(n for n, c in ma.REGISTRY.items() if c.modality == "image") + [
    *COMPOSITIONS]
TEXT_TARGETS = sorted(n for n, c in ma.REGISTRY.items() if c.modality == "text") + [
    f"{n}[text]" for n in COMPOSITIONS]
DTYPES = {"float16": torch.float16, "bfloat16": torch.bfloat16, "float32": torch.float32,
          "float64": torch.float64}
VALUE_RANGES = [(0.0, 1.0), (-1.0, 1.0), (0.0, 255.0), (-1024.0, 3071.0), (0.0, 4095.0)]
FILLS = ("uniform", "low", "high", "binary", "levels")
#: Targets that cost ~10x a typical op per example: a third of the examples in the small
#: default profile, the full count in the fuzz profile (>= 1,000 examples).
HEAVY = {"ScannerStyle", "JPEG"}
_EXAMPLES = settings.default.max_examples
HEAVY_EXAMPLES = _EXAMPLES if _EXAMPLES >= 1000 else max(5, _EXAMPLES // 3)


# ----------------------------------------------------------------------------- building ops
def build(name: str, table: dict, *, p: float, severity: int | None, **extra) -> ma.Perturbation:
    """The op ``name`` from its test-table kwargs (or defaults), with ``p`` and ``severity``."""
    cls = ma.REGISTRY[name.removesuffix("[text]")]
    kwargs = {**copy.deepcopy(table.get(name, {})), **extra}
    if severity is not None and cls.severity_table:
        kwargs = {k: v for k, v in kwargs.items() if k not in cls.severity_table}
        kwargs["severity"] = severity
    return cls(**kwargs, p=p)


def image_op(name: str, case: dict) -> ma.Perturbation:
    extra = {}
    if name not in COMPOSITIONS:
        extra["value_range"] = tuple(case["value_range"])
    return build(name, IMAGE_KWARGS, p=case["p"], severity=case["severity"], **extra)


def text_op(name: str, case: dict) -> ma.Perturbation:
    table = {**TEXT_KWARGS, **{f"{n}[text]": kw for n, kw in TEXT_COMPOSITIONS.items()}}
    return build(name, table, p=case["p"], severity=case["severity"])


def make_image(case: dict) -> torch.Tensor:
    """The batch a case describes, in its value range and dtype (deterministic)."""
    shape = (case["b"], case["c"], case["h"], case["w"])
    g = torch.Generator().manual_seed(case["data_seed"])
    u = torch.rand(shape, generator=g, dtype=torch.float64)
    fill = case["fill"]
    if fill in ("low", "high"):
        u = torch.full(shape, 0.0 if fill == "low" else 1.0, dtype=torch.float64)
    elif fill == "binary":
        u = (u > 0.5).double()
    elif fill == "levels":
        u = (u * 4).floor() / 3
    lo, hi = case["value_range"]
    return (lo + (hi - lo) * u).float().to(DTYPES[case["dtype"]])


# ----------------------------------------------------------------------------- strategies
SIDES = st.one_of(st.integers(1, 3), st.integers(4, 48))


@st.composite
def image_cases(draw, compositions: bool = False) -> dict:
    return dict(
        b=draw(st.integers(1, 4)), c=draw(st.sampled_from([1, 3])), h=draw(SIDES),
        w=draw(SIDES), dtype=draw(st.sampled_from(sorted(DTYPES))),
        value_range=(0.0, 1.0) if compositions else draw(st.sampled_from(VALUE_RANGES)),
        fill=draw(st.sampled_from(FILLS)), p=draw(st.sampled_from([0.0, 0.5, 1.0]) |
                                                  st.floats(0.0, 1.0)),
        severity=draw(st.none() | st.integers(1, 5)), seed=draw(st.integers(0, 2**63 - 1)),
        data_seed=draw(st.integers(0, 2**31 - 1)))


_FINDINGS = sorted({p for o, ps in mt.finding_phrases().items() for p in ps if "..." not in p})
_NEGATIONS = [t for ts in mt.negation_triggers().values() for t in ts]
_HEDGES = list(mt.hedges())
_HEADERS = [h.upper() for hs in mt.section_headers().values() for h in hs]
_ABBREVIATIONS = list(mt.abbreviations())
HOSTILE_TEXTS = ["", " ", "\n\n\t", "XXXX", "XXXX XXXX XXXX", "FINDINGS:", "IMPRESSION:\n",
                 "no sentence end", bytes(range(256)).decode("latin-1"), "\x00\x1b[2J",
                 "الرئتان صافيتان.", "שקוף.", "😀🫁 no effusion 🙂", "\u202eleft\u202c.",
                 "1. 2. 3.", "....", "a" * 3000]


@st.composite
def sentences(draw) -> str:
    words = [draw(st.sampled_from(_NEGATIONS + _HEDGES + [""])),
             draw(st.sampled_from(["", "left ", "right ", "bilateral ", "small ", "5 mm "])),
             draw(st.sampled_from(_FINDINGS)),
             draw(st.sampled_from(["", " " + draw(st.sampled_from(_ABBREVIATIONS)), " XXXX"]))]
    text = " ".join(w.strip() for w in words if w.strip())
    return text[:1].upper() + text[1:] + draw(st.sampled_from([".", ".", "", ";", "!", " ."]))


@st.composite
def lexicon_reports(draw) -> str:
    parts = []
    for _ in range(draw(st.integers(1, 3))):
        header = draw(st.sampled_from(["", *_HEADERS]))
        body = " ".join(draw(st.lists(sentences(), min_size=0, max_size=4)))
        parts.append(f"{header}: {body}" if header else body)
    return draw(st.sampled_from(["\n", "\n\n", " "])).join(parts)


TEXTS = st.one_of(lexicon_reports(), st.text(max_size=200), st.sampled_from(HOSTILE_TEXTS),
                  st.builds(lambda a, b: a + b, lexicon_reports(), st.text(max_size=40)))


@st.composite
def text_cases(draw) -> dict:
    return dict(texts=draw(st.lists(TEXTS, min_size=1, max_size=4)),
                p=draw(st.sampled_from([0.0, 1.0]) | st.floats(0.0, 1.0)),
                severity=draw(st.none() | st.integers(1, 5)), seed=draw(st.integers(0, 2**63 - 1)))


# ----------------------------------------------------------------------------- checks
def check_image_case(name: str, case: dict) -> None:
    x = make_image(case)
    before = x.clone()
    op = image_op(name, case)
    params = op.sample(case["b"], case["seed"])
    y = op.apply(x, params)
    assert y.shape == x.shape and y.dtype == x.dtype and y.device == x.device
    lo, hi = (torch.tensor(v).to(x.dtype).float() for v in case["value_range"])
    yf = y.float()
    assert torch.isfinite(yf).all(), "non-finite output"
    assert yf.min() >= lo and yf.max() <= hi, (yf.min().item(), yf.max().item())
    assert torch.equal(x, before), "the op wrote into its input"
    assert torch.equal(op(x, generator=case["seed"]), y), "same seed, other output"
    entry = json.loads(json.dumps(op.log(params)))
    assert torch.equal(ma.replay(entry, x), y), "replay from the JSON log differs"
    if not params["gate"].any() or op.p == 0.0:
        assert torch.equal(y, x)
    identity = image_op(name, {**case, "p": 0.0})
    assert torch.equal(identity(x, generator=case["seed"]), x), "p=0 is not the identity"


def check_text_case(name: str, case: dict) -> None:
    texts = list(case["texts"])
    op = text_op(name, case)
    params = op.sample(len(texts), case["seed"])
    out = op.apply(texts, params)
    assert isinstance(out, TextBatch) and len(out.texts) == len(texts)
    assert all(isinstance(t, str) for t in out.texts) and texts == case["texts"]
    again = op(texts, generator=case["seed"])
    assert again.texts == out.texts and again.edits == out.edits, "same seed, other output"
    entry = json.loads(json.dumps(op.log(params)))
    replayed = ma.replay(entry, texts)
    assert replayed.texts == out.texts and replayed.edits == out.edits
    if "[text]" not in name:  # one op: every span is on the text it received
        for text, new, edits in zip(texts, out.texts, out.edits, strict=True):
            for e in reversed(edits):
                text = text[:e.start] + e.new + text[e.end:]
            assert text == new, "the edit log does not rebuild the output"
    identity = text_op(name, {**case, "p": 0.0})(texts, generator=case["seed"])
    assert identity.texts == texts and identity.edits == [[] for _ in texts]


# ----------------------------------------------------------------------------- fuzz targets
@pytest.mark.parametrize("name", [n for n in IMAGE_TARGETS if n not in HEAVY])
@given(data=st.data())
def test_fuzz_image_op(name, data, fuzz_counts):
    case = data.draw(image_cases(compositions=name in COMPOSITIONS), label="case")
    check_image_case(name, case)
    fuzz_counts[f"image:{name}"] += 1


@pytest.mark.parametrize("name", sorted(HEAVY))
@settings(max_examples=HEAVY_EXAMPLES)
@given(case=image_cases())
def test_fuzz_heavy_image_op(name, case, fuzz_counts):
    check_image_case(name, case)
    fuzz_counts[f"image:{name}"] += 1


@pytest.mark.parametrize("name", TEXT_TARGETS)
@given(case=text_cases())
def test_fuzz_text_op(name, case, fuzz_counts):
    check_text_case(name, case)
    fuzz_counts[f"text:{name}"] += 1


@given(text=TEXTS)
def test_fuzz_parse_and_label(text, fuzz_counts):
    report = mt.parse(text)
    assert report.text == text
    labels = mt.label(report)
    assert set(labels) <= set(mt.OBSERVATIONS)
    assert set(labels.values()) <= {"positive", "negative", "uncertain"}
    assert mt.label(text) == labels
    fuzz_counts["text:parse+label"] += 1


POLICY_IMAGE_OPS = ["GaussianNoise", "Cutout", "ScannerStyle", "Sequential"]
POLICY_TEXT_OPS = ["Typo", "SentenceDeletion", "OneOf[text]", None]


@st.composite
def policy_cases(draw) -> dict:
    case = draw(image_cases(compositions=True))
    weights = st.floats(0.0, 1.0)
    case.update(
        texts=draw(st.lists(TEXTS, min_size=case["b"], max_size=case["b"])),
        image_op=draw(st.sampled_from([*POLICY_IMAGE_OPS, None])),
        text_op=draw(st.sampled_from(POLICY_TEXT_OPS)),
        modes=draw(st.fixed_dictionaries({m: weights for m in ma.MODES}).filter(
            lambda m: sum(m.values()) > 0)),
        drop=draw(st.tuples(weights, weights).map(lambda t: {"image": t[0] / 2,
                                                             "text": t[1] / 2})),
        policy_severity=draw(st.none() | st.integers(1, 5) | st.just((1, 5))),
        patch_size=draw(st.integers(1, 16)))
    return case


def make_policy(case: dict) -> ma.MultiModalPolicy:
    leaf = {**case, "p": 1.0, "severity": None}
    image = image_op(case["image_op"], leaf) if case["image_op"] else None
    text = text_op(case["text_op"], leaf) if case["text_op"] else None
    return ma.MultiModalPolicy(image=image, text=text, modes=case["modes"], drop=case["drop"],
                               severity=case["policy_severity"], patch_size=case["patch_size"],
                               p=case["p"], allow_empty_reports=True)


@given(case=policy_cases())
def test_fuzz_policy(case, fuzz_counts):
    x, texts = make_image(case), list(case["texts"])
    before = x.clone()
    policy = make_policy(case)
    out = policy(x, texts, generator=case["seed"])
    assert out.images.shape == x.shape and out.images.dtype == x.dtype
    assert torch.isfinite(out.images.float()).all() and out.images.min() >= 0
    assert out.images.max() <= 1 and torch.equal(out.clean_images, before)
    assert out.clean_texts == texts and len(out.texts) == len(texts)
    image_on = (out.mode == 1) | (out.mode == 3)
    text_on = (out.mode == 2) | (out.mode == 3)
    for i in range(len(texts)):
        assert image_on[i] or torch.equal(out.images[i], x[i])
        assert text_on[i] or out.texts[i] == texts[i]
    assert out.occlusion.shape == (x.shape[0], 1, *x.shape[2:])
    again = policy(x, texts, generator=case["seed"])
    assert torch.equal(again.images, out.images) and again.texts == out.texts
    log = json.loads(json.dumps(out.log))
    replayed = ma.MultiModalPolicy.replay(log, x, texts)
    assert torch.equal(replayed.images, out.images) and replayed.texts == out.texts
    fuzz_counts["policy:MultiModalPolicy"] += 1


# ----------------------------------------------------------------------------- regressions
@pytest.mark.parametrize("name", IMAGE_TARGETS)
@pytest.mark.parametrize("target, case", IMAGE)
def test_image_regression(name, target, case):
    if target in ("*", name):
        if name in COMPOSITIONS:
            case = {**case, "value_range": (0.0, 1.0)}
        check_image_case(name, case)


@pytest.mark.parametrize("name", TEXT_TARGETS)
@pytest.mark.parametrize("target, case", TEXT)
def test_text_regression(name, target, case):
    if target in ("*", name):
        check_text_case(name, case)
