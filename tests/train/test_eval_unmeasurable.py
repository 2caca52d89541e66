"""Observations with one class in the test set: not measurable, named with the reason, and left
out of every mean (a probe that always says "absent" would score accuracy 1.0 on them)."""

import pytest
import torch

pytest.importorskip("tokenizers", reason="needs the train extra: pip install 'mmr[train]'")

from mmr_train.evaluate import probe_metrics
from mmr_train.evaluate.data import EvalSet
from mmr_train.evaluate.report import observation_rows
from mmr_train.evaluate.results import ProbeScores, Scores
from mmr_train.evaluate.suite import cross_domain

NAMES = ["Effusion", "Nodule", "Cardiomegaly"]
# Effusion: 2 positives, probe right on 3 of 4; Nodule: no positive; Cardiomegaly: all positive
LABELS = torch.tensor([[1.0, 0.0, 1.0], [1.0, 0.0, 1.0], [0.0, 0.0, 1.0], [0.0, 0.0, 1.0]])
PROBS = torch.tensor([[0.9, 0.1, 0.9], [0.4, 0.2, 0.8], [0.3, 0.1, 0.7], [0.2, 0.3, 0.9]])


def test_single_class_observations_have_no_scores_and_a_reason():
    m = probe_metrics(PROBS, LABELS, NAMES)
    per = m["per_observation"]
    assert per["Effusion"] == {"accuracy": 0.75, "auc": 1.0}
    assert per["Nodule"] == {"accuracy": None, "auc": None,
                             "note": "no positive case in the test studies"}
    assert per["Cardiomegaly"]["note"] == "no negative case in the test studies"
    # the macro mean is Effusion's alone, not (0.75 + 1 + 1) / 3
    assert m["macro"] == {"accuracy": 0.75, "auc": 1.0}


def test_nothing_measurable_gives_none_not_one():
    m = probe_metrics(torch.full((3, 1), 0.1), torch.zeros(3, 1), ["Nodule"])
    assert m["macro"] == {"accuracy": None, "auc": None}


def _set(features, labels, domains, names):
    n = len(features)
    return EvalSet(torch.zeros(n, 1, 4, 4), ["x"] * n, labels, tuple(NAMES),
                   torch.tensor(domains), names)


def test_domain_means_skip_what_is_not_measurable():
    x = torch.tensor([[-2.0], [-1.0], [1.0], [2.0], [-1.5], [1.5]])
    y = torch.stack([(x[:, 0] > 0).float(), (x[:, 0] > 1.8).float(), torch.ones(6)], 1)
    train = _set(x, y, [0] * 6, ["a"])
    # domain a (source): Effusion measurable; domain b (held-out): every label absent
    test_x = torch.tensor([[-2.0], [2.0], [-1.0], [1.0]])
    test_y = torch.tensor([[0.0, 0.0, 1.0], [1.0, 0.0, 1.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    test = _set(test_x, test_y, [0, 0, 1, 1], ["a", "b"])
    emb = {k: x for k in ("fused", "image", "text")}
    out = cross_domain(train, test, emb, {k: test_x for k in emb}).fused
    assert out.per_domain["a"].macro == Scores(1.0, 1.0)  # Effusion only
    assert out.per_domain["b"].macro == Scores(None, None)
    assert out.held_out == Scores(None, None)  # not the 1.0 of "always absent"
    assert out.source == Scores(1.0, 1.0)
    nodule = out.per_domain["a"].per_observation["Nodule"]
    assert nodule.to_json() == {"accuracy": None, "auc": None,
                                "note": "no positive case in the test studies"}
    assert "note" not in out.per_domain["a"].per_observation["Effusion"].to_json()


def test_report_rows_say_why_instead_of_a_number():
    a = ProbeScores.from_json(probe_metrics(PROBS, LABELS, NAMES))
    b = ProbeScores.from_json(probe_metrics(PROBS[:2], LABELS[:2], NAMES))
    rows = observation_rows({"site_a": a, "site_b": b})
    assert rows[0] == ["Effusion", "75.00 / 100.00",
                       "not measurable: no negative case in the test studies"]
    assert rows[1][1:] == ["not measurable: no positive case in the test studies"] * 2
    assert all("100.00 /" not in cell for row in rows[1:] for cell in row)
