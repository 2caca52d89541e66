"""Hostile report text for parse, label, every text op, ReportStyle and the policy.

Every text below must come back from every op as a ``TextBatch`` of strings (no crash, edit log
consistent, ``p=0`` identity), and from ``parse`` / ``label`` as a Report / a label dict. Text
over ``MAX_REPORT_CHARS`` and non-``str`` items are refused with a documented error. The
random-unicode side is fuzzed in tests/hostile/test_fuzz.py; this file pins the named cases.
"""

from __future__ import annotations

import sys
import time

import pytest
import torch

pytest.importorskip("spacy", reason="needs the text extra: pip install 'mmr[text]'")

import mmr_augment as ma
import mmr_augment.text as mt
from mmr_augment.errors import InputError, InputTypeError

TEXT_OPS = sorted(n for n, c in ma.REGISTRY.items() if c.modality == "text")
HOSTILE = {
    "empty": "",
    "whitespace": " \n\t\r\n  \u00a0\u2003",
    "binary_latin1": bytes(range(256)).decode("latin-1"),
    "control_chars": "\x00\x07\x1b[31mred\x1b[0m\x7f",
    "rtl_arabic": "الرئتان صافيتان. لا يوجد انصباب جنبي.",
    "rtl_hebrew_mixed": "FINDINGS: אין תסנין. No pleural effusion.",
    "bidi_override": "\u202eNo left effusion.\u202c Right lung clear.",
    "emoji": "😀🫁 No pneumothorax 👍🏽. Heart 🫀 normal size.",
    "only_deid": "XXXX XXXX XXXX",
    "deid_sentences": "XXXX. XXXX XXXX. XXXX",
    "no_sentence_end": "FINDINGS: mild cardiomegaly no effusion left basilar atelectasis",
    "headers_only": "FINDINGS:\nIMPRESSION:\nCOMPARISON:",
    "header_no_colon_body": "FINDINGS\n\nIMPRESSION",
    "punctuation_only": ".... ;;; !!! ???",
    "numbers_only": "1. 2. 3. 4 5 6 7 mm cm 10x12",
    "zero_width": "No\u200b effusion\u200d.\ufeff",
    "combining_marks": "No e\u0301ffusion\u0308\u0308\u0308.",
    "long_word": "a" * 20_000 + ".",
    "many_lines": "No effusion.\n" * 200,
}
LARGE = ("FINDINGS: No pleural effusion. Mild left cardiomegaly, 5 mm nodule. XXXX. "
         "Possible right lower lobe pneumonia.\n" * 2_500)  # ~250 kB


def test_large_text_is_large():
    assert len(LARGE) > 200_000


@pytest.mark.parametrize("key", [*HOSTILE, "large"])
def test_parse_and_label_take_hostile_text(key):
    text = LARGE if key == "large" else HOSTILE[key]
    report = mt.parse(text)
    assert report.text == text
    labels = mt.label(report)
    assert set(labels.values()) <= {"positive", "negative", "uncertain"}
    assert mt.label(text) == labels and isinstance(mt.laterality(text), dict)


@pytest.mark.parametrize("name", TEXT_OPS)
@pytest.mark.parametrize("severity", [None, 5])
def test_every_text_op_takes_every_hostile_text(name, severity):
    cls = ma.REGISTRY[name]
    op = cls(severity=severity) if severity and cls.severity_table else cls()
    texts = list(HOSTILE.values())
    for seed in (0, 1):
        out = op(texts, generator=seed)
        assert len(out.texts) == len(texts) and all(isinstance(t, str) for t in out.texts)
        for text, new, edits in zip(texts, out.texts, out.edits, strict=True):
            for e in reversed(edits):
                text = text[:e.start] + e.new + text[e.end:]
            assert text == new
    blank = op(["", "   "], generator=0)
    assert blank.texts == ["", "   "] and blank.edits == [[], []]
    identity = (cls(p=0.0))(texts, generator=0)
    assert identity.texts == texts


@pytest.mark.parametrize("name", TEXT_OPS)
def test_every_text_op_takes_a_large_report(name):
    out = ma.REGISTRY[name]()([LARGE], generator=0)
    assert isinstance(out.texts[0], str) and len(out.texts[0]) > 100_000


def test_text_over_the_limit_is_refused_everywhere():
    big = "x" * (mt.MAX_REPORT_CHARS + 1)
    with pytest.raises(InputError, match="MAX_REPORT_CHARS"):
        mt.parse(big)
    with pytest.raises(InputError, match="MAX_REPORT_CHARS"):
        mt.label(big)
    for name in TEXT_OPS:
        with pytest.raises(InputError, match="MAX_REPORT_CHARS"):
            ma.REGISTRY[name]()([big], generator=0)
    policy = ma.MultiModalPolicy(text=mt.Typo(), modes={"text": 1.0}, patch_size=4)
    with pytest.raises(InputError, match="MAX_REPORT_CHARS"):
        policy(torch.rand(1, 1, 8, 8), [big], generator=0)


@pytest.mark.parametrize("name", TEXT_OPS)
@pytest.mark.parametrize("bad, match", [
    ("a single report", "a single report: \\[text\\]"),
    ([b"No effusion."], "decode bytes first"),
    ([None], "item 0 is NoneType"),
    ([["nested"]], "item 0 is list"),
    (42, "expected a list of str"),
])
def test_non_text_input_is_refused(name, bad, match):
    with pytest.raises(InputTypeError, match=match):
        ma.REGISTRY[name]()(bad, generator=0)


def test_lone_surrogates_are_refused_with_a_clear_error():
    """Not valid Unicode text (cannot be encoded as UTF-8): refused, not half-tokenized."""
    text = "No effusion \ud800 seen."
    with pytest.raises(InputError, match="tokenizer could not read this text"):
        mt.parse(text)
    for name in TEXT_OPS:
        with pytest.raises(InputError, match="plain Unicode"):
            ma.REGISTRY[name]()([text], generator=0)


def test_the_policy_takes_every_hostile_text():
    texts = list(HOSTILE.values())
    policy = ma.MultiModalPolicy(image=ma.GaussianNoise(), text=ma.OneOf(
        [mt.Typo(), mt.SentenceDeletion(), ma.REGISTRY["ReportStyle"]()]),
        modes={"text": 1.0, "both": 1.0}, drop={"image": 0.2, "text": 0.2}, patch_size=4,
        allow_empty_reports=True)  # the hostile set includes empty and blank reports
    out = policy(torch.rand(len(texts), 1, 8, 8), texts, generator=0)
    assert out.clean_texts == texts and all(isinstance(t, str) for t in out.texts)
    replayed = ma.MultiModalPolicy.replay(out.log, out.clean_images, texts)
    assert replayed.texts == out.texts


def test_label_is_the_same_for_text_and_parsed_report_on_mixed_scripts():
    text = HOSTILE["rtl_hebrew_mixed"]
    assert mt.label(text) == mt.label(mt.parse(text)) == {"Pleural Effusion": "negative",
                                                          "No Finding": "positive"}


def test_report_style_near_the_parse_limit(monkeypatch):
    # the package exports the function parse, which shadows the module of the same name
    monkeypatch.setattr(sys.modules["mmr_augment.text.parse"], "MAX_REPORT_CHARS", 4_000)
    text = ("FINDINGS: No pleural effusion. No pneumothorax. Left effusion 5 mm. " * 58)[:3_990]
    style = ma.REGISTRY["ReportStyle"](negation="no_evidence", measurement="cm",
                                       laterality="letter")
    out = style([text], generator=0)
    assert isinstance(out.texts[0], str)


def test_policy_changed_spans_scale_on_repetitive_reports():
    from mmr_augment.policy import _changed_spans

    clean = "No effusion.\n" * 500
    words = clean.split()
    perturbed = " ".join(w + "z" if i % 7 == 0 else w for i, w in enumerate(words))
    start = time.perf_counter()
    spans = _changed_spans(clean, perturbed)
    assert len(spans) == len(range(0, len(words), 7))
    assert time.perf_counter() - start < 5.0  # a complexity guard: the old diff took ~24 s
