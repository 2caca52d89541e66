"""The safety promise at report level, under hypothesis, on real-report-like text.

Reports come from the synthetic generator's writer (rendered in a drawn report style), from the
lexicon templates of ``mmr_augment.testing`` and from both mixed with hand-written normality
statements. Every op outside the meaning-changing class must keep each observation's
report-level label (information-removing ops: keep it or make it unmentioned).
"""

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("spacy", reason="needs the text extra: pip install 'mmr[text]'")

import mmr_augment.text as mt
from mmr_augment.style import ReportStyle
from mmr_augment.synthetic.findings import sample_findings
from mmr_augment.synthetic.reports import write_reports
from mmr_augment.testing import strategies as mst

NORMAL_STATEMENTS = (
    "Heart size is normal.", "Normal heart size.", "Heart and mediastinum normal.",
    "The cardiomediastinal silhouette is within normal limits.", "The heart is not enlarged.",
    "Heart size is at the upper limits of normal.", "Mediastinal contours are unremarkable.",
    "Stable cardiomediastinal silhouette.", "The lungs are clear.", "Borderline heart size.",
)
SAFE = ("meaning_preserving", "information_removing")


@st.composite
def chest_reports(draw) -> str:
    """A synthetic study's report in a drawn style, lexicon sentences, or the two mixed with
    normality statements."""
    key = torch.tensor([draw(st.integers(0, 2**31 - 1))])
    synthetic = write_reports(sample_findings(key), key)[0]
    style = draw(st.sampled_from([None, *ReportStyle.presets()]))
    if style is not None:
        synthetic = ReportStyle.preset(style)([synthetic], generator=int(key)).texts[0]
    lexicon = draw(mst.reports(max_sentences=5))
    normal = " ".join(draw(st.lists(st.sampled_from(NORMAL_STATEMENTS), max_size=3)))
    kind = draw(st.sampled_from(("synthetic", "lexicon", "mixed")))
    if kind == "synthetic":
        return synthetic
    if kind == "lexicon":
        return f"{lexicon} {normal}".strip()
    return f"{synthetic}\n{lexicon} {normal}".strip()


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=chest_reports(), op=mst.text_ops(effects=SAFE), seed=st.integers(0, 2**16))
def test_safe_ops_keep_report_level_labels(text, op, seed):
    after = op([text], generator=seed).texts[0]
    assert mt.labels_kept(mt.report_labels(text), mt.report_labels(after), op.effect), after


@pytest.mark.parametrize("name", ["Typo", "WordDropout", "SentenceDeletion", "Truncation",
                                  "CaseWhitespace", "SynonymSwap"])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=chest_reports(), seed=st.integers(0, 2**16))
def test_strongest_severity_keeps_report_level_labels(name, text, seed):
    op = mt.__dict__[name](severity=5)
    after = op([text], generator=seed).texts[0]
    assert mt.labels_kept(mt.report_labels(text), mt.report_labels(after), op.effect), after


@settings(max_examples=40, deadline=None)
@given(report=mst.labelled_reports(max_sentences=6))
def test_labelled_reports_never_contradict_themselves(report):
    polarities: dict[str, set[str]] = {}
    for m in mt.parse(report.text).mentions:
        polarities.setdefault(m.observation, set()).add(m.polarity)
    assert all(len(p) == 1 for p in polarities.values()), report.text


def test_the_issue_examples_keep_their_labels():
    text = "FINDINGS: The heart size is normal. Heart and mediastinum normal. " \
           "Cardiomediastinal silhouette is within normal limits."
    for op in (mt.Typo(rate=1.0), mt.WordDropout(rate=1.0)):
        for seed in range(20):
            after = op([text], generator=seed).texts[0]
            assert mt.report_labels(after) == mt.report_labels(text), after
    effusion = "Small left effusion. Blunting may represent effusion. No pneumothorax."
    for op in (mt.SentenceDeletion(rate=1.0), mt.Truncation(fraction=1.0)):
        outs = {op([effusion], generator=seed).texts[0] for seed in range(20)}
        assert all(mt.label(t)["Pleural Effusion"] == "positive" for t in outs), outs


SENTENCES = ("No effusion.", "Small left effusion.", "Possible effusion.", "Heart size is normal.",
             "Mild cardiomegaly.", "PA and lateral views.", "Degenerative changes.",
             "ET tube in place.", "No pneumothorax.", "Stable cardiomediastinal silhouette.",
             "Lungs are clear.", "INDICATION: Cough.", "IMPRESSION:")


@settings(max_examples=150, deadline=None)
@given(parts=st.lists(st.sampled_from(SENTENCES), min_size=1, max_size=7),
       keep=st.integers(0, 7))
def test_safe_cut_is_the_shortest_label_keeping_prefix(parts, keep):
    from mmr_augment.text.labeler import aggregate, sentence_readings
    from mmr_augment.text.ops.removal import safe_cut

    report = mt.parse(" ".join(parts))
    readings = sentence_readings(report)
    keep = min(keep, len(readings))
    want = aggregate(readings)
    brute = next((k for k in range(keep, len(readings))
                  if mt.labels_kept(want, aggregate(readings[:k]), "information_removing")),
                 len(readings))
    assert safe_cut(report, keep) == brute
