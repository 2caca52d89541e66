"""Label safety: meaning-preserving and information-removing ops never flip a finding.

Checked with the rule labeler (mmr_augment.text.labeler) on the hand-labelled reports in
tests/data/reports.yaml and on hypothesis-built reports from lexicon phrases and templates:

- meaning-preserving ops keep the labels and the (observation, polarity) of every mention;
- information-removing ops only drop mentions: every mention after the op was there before,
  with the same polarity;
- meaning-changing ops do change them (negation flip: a polarity; laterality swap: a side).
"""

from collections import Counter
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

pytest.importorskip("spacy", reason="needs the text extra: pip install 'mmr[text]'")

import mmr_augment as ma
import mmr_augment.text as mt
from mmr_augment.text.labeler import CONTEXT_SECTIONS

REPORTS = [r["text"] for r in yaml.safe_load(
    (Path(__file__).parents[1] / "data" / "reports.yaml").read_text(encoding="utf-8"))]
OPS = sorted(n for n, c in ma.REGISTRY.items() if c.modality == "text")
PRESERVING = [n for n in OPS if ma.REGISTRY[n].effect == "meaning_preserving"]
REMOVING = [n for n in OPS if ma.REGISTRY[n].effect == "information_removing"]
SAFE = PRESERVING + REMOVING


def mentions(text: str) -> Counter:
    """(observation, polarity) of every mention the labeler reads."""
    report = mt.parse(text)
    return Counter((m.observation, m.polarity) for m in report.mentions
                   if report.sections[int(report.sentence_section[
                       int(report.token_sentence[m.token_start])])].name not in CONTEXT_SECTIONS)


def check_safe(name: str, before: str, after: str) -> None:
    if ma.REGISTRY[name].effect == "meaning_preserving":
        assert mt.label(after) == mt.label(before), (before, after)
        assert mentions(after) == mentions(before), (before, after)
    else:
        assert not mentions(after) - mentions(before), (before, after)


# ----------------------------------------------------------------- hypothesis reports
_FINDINGS = sorted({p for o, ps in mt.finding_phrases().items() if o != "No Finding"
                    for p in ps if "..." not in p})
_HEDGES = ["", "possible ", "likely ", "cannot exclude ", "may represent "]
_NEGATIONS = ["no ", "without ", "negative for ", "no evidence of "]
_SIDES = ["", "left ", "right ", "bilateral "]


@st.composite
def sentences(draw) -> str:
    finding = draw(st.sampled_from(_FINDINGS))
    side = draw(st.sampled_from(_SIDES))
    form = draw(st.integers(0, 4))
    if form == 0:
        text = f"{draw(st.sampled_from(_NEGATIONS))}{side}{finding}."
    elif form == 1:
        text = f"{draw(st.sampled_from(_HEDGES))}{side}{finding}."
    elif form == 2:
        text = f"there is a small {side}{finding}."
    elif form == 3:
        text = f"the {finding} is not seen."
    else:
        other = draw(st.sampled_from(_FINDINGS))
        text = f"no {finding}, but there is {side}{other}."
    return text[0].upper() + text[1:]


@st.composite
def reports(draw) -> str:
    findings = " ".join(draw(st.lists(sentences(), min_size=1, max_size=5)))
    impression = " ".join(draw(st.lists(sentences(), min_size=0, max_size=2)))
    if not draw(st.booleans()):
        return f"{findings} {impression}".strip()
    return f"FINDINGS: {findings}" + (f"\nIMPRESSION: {impression}" if impression else "")


@pytest.mark.parametrize("name", SAFE)
@given(text=reports(), severity=st.integers(1, 5), seed=st.integers(0, 2**31 - 1))
def test_safe_ops_never_flip_on_generated_reports(name, text, severity, seed):
    out = ma.REGISTRY[name](severity=severity)([text], generator=seed)
    check_safe(name, text, out.texts[0])


@pytest.mark.parametrize("name", SAFE)
@pytest.mark.parametrize("severity", [1, 3, 5])
def test_safe_ops_never_flip_on_labelled_reports(name, severity):
    op = ma.REGISTRY[name](severity=severity)
    for seed in (0, 1):
        out = op(REPORTS, generator=seed)
        for before, after in zip(REPORTS, out.texts, strict=True):
            check_safe(name, before, after)


def test_the_labelled_reports_are_there():
    assert len(REPORTS) >= 45


def test_sentence_ops_drop_mentions_word_dropout_keeps_them_whole():
    texts = REPORTS * 2
    for name in REMOVING:
        out = ma.REGISTRY[name](severity=5)(texts, generator=0)
        dropped = sum(bool(mentions(b) - mentions(a)) for b, a in zip(texts, out.texts))
        assert (dropped == 0) if name == "WordDropout" else (dropped > 0), name


def test_negation_flip_flips_a_polarity():
    op = mt.NegationFlip(rate=0.5)
    out = op(REPORTS, generator=0)
    flippable = flipped = 0
    negation = int(mt.TokenFlag.NEGATION | mt.TokenFlag.NEGATED)
    for before, after in zip(REPORTS, out.texts, strict=True):
        report = mt.parse(before)  # normality statements ("heart is normal") are not flipped
        if not any(m.observation != "No Finding" and (m.polarity == "positive" or (
                m.polarity == "negative"
                and (report.token_flags[m.token_start:m.token_end] & negation).any()))
                for m in report.mentions):
            continue
        flippable += 1
        new = mentions(after) - mentions(before)
        flipped += any(o != "No Finding" and p != "uncertain" for o, p in new)
    assert flippable >= 30 and flipped / flippable >= 0.9, (flipped, flippable)


def test_laterality_swap_swaps_a_side():
    texts = [t for t in REPORTS if set(mt.laterality(t).values()) & {"left", "right"}]
    out = mt.LateralitySwap(rate=1.0)(texts, generator=0)
    assert len(texts) >= 5
    for before, after in zip(texts, out.texts, strict=True):
        assert mt.label(after) == mt.label(before)
        side = {"left": "right", "right": "left", "bilateral": "bilateral"}
        assert mt.laterality(after) == {o: side[s] for o, s in mt.laterality(before).items()}
