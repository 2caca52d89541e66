"""Registry-driven contract battery over every registered text op (see text_cases.py)."""

import json

import pytest
import torch
from config_files import reloaded
from text_cases import ALL, COMPOSITIONS, REPORTS

pytest.importorskip("spacy", reason="needs the text extra: pip install 'mmr[text]'")

import mmr_augment as ma
import mmr_augment.text as mt
from mmr_augment.core import slice_params
from mmr_augment.text import TextBatch, parse

TEXT_OPS = sorted(n for n, c in ma.REGISTRY.items() if c.modality == "text")
ALL_CASES = {**ALL, **COMPOSITIONS}
CASES = TEXT_OPS + sorted(COMPOSITIONS)


def make(name, **extra):
    return ma.REGISTRY[name](**{**ALL_CASES[name], **extra})


def batch():
    return [parse(t) for t in REPORTS]


def changed(out, texts):
    """Characters touched by the op (old plus new text of every edit), per character in."""
    return sum(len(e.old) + len(e.new) for es in out.edits for e in es) / sum(map(len, texts))


def test_every_text_op_is_in_the_table():
    missing = [n for n in TEXT_OPS if n not in ALL]
    assert not missing, f"add these ops to tests/text_cases.py: {missing}"


@pytest.mark.parametrize("name", TEXT_OPS)
def test_effect_is_declared(name):
    assert ma.REGISTRY[name].effect in mt.EFFECTS


@pytest.mark.parametrize("name", CASES)
def test_same_seed_same_output_other_seed_differs(name):
    op = make(name)
    a, b = op(batch(), generator=7), op(batch(), generator=7)
    assert isinstance(a, TextBatch) and a.texts == b.texts and a.edits == b.edits
    others = [op(batch(), generator=s).texts for s in (8, 9, 10)]
    assert any(o != a.texts for o in others)


@pytest.mark.parametrize("name", CASES)
def test_p0_is_identity(name):
    out = make(name, p=0.0)(batch(), generator=3)
    assert out.texts == REPORTS and out.edits == [[] for _ in REPORTS]


@pytest.mark.parametrize("name", TEXT_OPS)
def test_edits_rebuild_the_output(name):
    out = make(name)(REPORTS, generator=4)
    for text, new, edits in zip(REPORTS, out.texts, out.edits, strict=True):
        assert all(a.end <= b.start for a, b in zip(edits, edits[1:]))  # sorted, disjoint
        for e in reversed(edits):  # one op: every span is on the text it received
            assert text[e.start:e.end] == e.old and e.kind == ma.REGISTRY[name].family
            text = text[:e.start] + e.new + text[e.end:]
        assert text == new


@pytest.mark.parametrize("name", CASES)
def test_batch_equals_each_sample_alone(name):
    op = make(name)
    params = op.sample(len(REPORTS), torch.Generator().manual_seed(2))
    out = op.apply(batch(), params)
    for i in range(len(REPORTS)):
        one = op.apply([parse(REPORTS[i])], slice_params(params, torch.tensor([i])))
        assert one.texts == out.texts[i:i + 1] and one.edits == out.edits[i:i + 1]


@pytest.mark.parametrize("name", CASES)
def test_replay_from_params_and_json_log(name):
    op = make(name)
    params = op.sample(len(REPORTS), torch.Generator().manual_seed(5))
    out = op.apply(REPORTS, params)
    assert op.apply(batch(), params).texts == out.texts
    entry = json.loads(json.dumps(op.log(params)))
    assert ma.replay(entry, REPORTS).texts == out.texts


@pytest.mark.parametrize("name", CASES)
def test_config_round_trip_same_output(name, tmp_path):
    op = make(name)
    for op2 in reloaded(op, tmp_path):
        assert op2(REPORTS, generator=9).texts == op(REPORTS, generator=9).texts


@pytest.mark.parametrize("name", CASES)
def test_global_rng_untouched(name):
    state = torch.random.get_rng_state()
    make(name)(REPORTS, generator=1)
    make(name)(REPORTS)
    assert torch.equal(torch.random.get_rng_state(), state)


@pytest.mark.parametrize("name", [n for n in TEXT_OPS if ma.REGISTRY[n].severity_table])
def test_severity_monotonic_in_changed_characters(name):
    cls = ma.REGISTRY[name]
    extra = {k: v for k, v in ALL[name].items() if k not in cls.severity_table}
    texts = REPORTS * 4
    change = [changed(cls(severity=s, **extra)(texts, generator=0), texts) for s in range(1, 6)]
    assert all(a <= b for a, b in zip(change, change[1:])) and change[0] < change[-1], change


@pytest.mark.parametrize("name", TEXT_OPS)
@pytest.mark.parametrize("text", ["", "   \n ", "FINDINGS:", "IMPRESSION:\n"])
def test_blank_or_header_only_text_is_a_no_op(name, text):
    out = make(name)([text, REPORTS[0]], generator=0)
    assert out.texts[0] == text and out.edits[0] == []


@pytest.mark.parametrize("name", TEXT_OPS)
@pytest.mark.parametrize("bad", [None, b"No effusion.", "No effusion.", [b"x"], [1, "a"],
                                 [None], 3.0])
def test_bad_input_raises_input_type_error(name, bad):
    with pytest.raises(ma.InputTypeError):
        make(name)(bad, generator=0)


def test_chain_feeds_texts_onward_and_logs_every_step():
    first, second = mt.Typo(rate=0.5), mt.SentenceDeletion(rate=0.5)
    out = ma.Sequential([first, second])(REPORTS, generator=0)
    params = ma.Sequential([first, second]).sample(len(REPORTS), 0)
    step = first.apply(REPORTS, params["ops"][0])
    assert out.texts == second.apply(step.texts, params["ops"][1]).texts
    kinds = [e.kind for es in out.edits for e in es]
    assert {"typo", "sentence_delete"} <= set(kinds)


def test_accepts_strings_reports_and_text_batches_alike():
    op = mt.WordDropout(rate=0.3)
    a = op(REPORTS, generator=0)
    assert op(batch(), generator=0).texts == a.texts
    assert op(TextBatch.of(REPORTS), generator=0).texts == a.texts
