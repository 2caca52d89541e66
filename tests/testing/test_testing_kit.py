"""The public property-testing kit: check_perturbation and the hypothesis strategies."""

import runpy
from pathlib import Path

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("spacy", reason="needs the text extra: pip install 'mmr[text]'")

import mmr_augment as ma
import mmr_augment.text as mt
from mmr_augment.testing import CheckReport, check_perturbation, isolated_registry
from mmr_augment.testing import strategies as mst

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "custom_op.py"


@pytest.fixture
def custom_ops():
    with isolated_registry():
        yield runpy.run_path(str(EXAMPLE), run_name="custom_op")


def test_custom_op_passes_and_broken_op_is_caught(custom_ops):
    x = torch.rand(4, 1, 24, 27, generator=torch.Generator().manual_seed(0))
    good = check_perturbation(custom_ops["Vignette"](), images=x)
    bad = check_perturbation(custom_ops["LeakyVignette"](p=0.5), images=x)
    assert isinstance(good, CheckReport) and good.ok and good.failed == []
    assert {"p0_identity", "seed_determinism", "global_rng_untouched"} <= set(bad.failed)
    assert not bad.ok and "output" not in bad.failed and "replay" not in bad.failed
    text = str(bad)
    assert text.splitlines()[0].startswith("check_perturbation(LeakyVignette): ")
    assert "  FAIL  p0_identity" in text and "  PASS  output" in text


@pytest.mark.parametrize("op", [
    ma.GaussianNoise(std=(0.02, 0.2)), ma.Cutout(), ma.Gamma(), mt.Typo(rate=(0.1, 0.5)),
    mt.SentenceDeletion(rate=(0.2, 0.6)), mt.SynonymSwap(rate=(0.5, 1.0)),
    ma.ReportStyle.preset("dictated_narrative"),
], ids=lambda op: type(op).__name__)
def test_built_in_ops_pass(op):
    report = check_perturbation(op)
    assert report.ok, str(report)
    assert ("label_safety" in report.results) == (op.modality == "text")
    assert "severity_monotonic" in report.results


def test_policy_and_meaning_changing_op():
    policy = ma.MultiModalPolicy(image=ma.GaussianNoise(), text=mt.WordDropout(rate=0.3),
                                 patch_size=8)
    report = check_perturbation(policy)
    assert report.ok, str(report)
    assert report.results["label_safety"][1].startswith("information_removing")
    flip = check_perturbation(mt.NegationFlip(rate=0.5), severities=False)
    assert flip.ok and "label_safety" not in flip.results


def test_label_safety_catches_a_mislabelled_op():
    with isolated_registry():
        class QuietNegationFlip(mt.NegationFlip):
            effect = "meaning_preserving"  # a lie: it flips findings

        report = check_perturbation(QuietNegationFlip(rate=(0.3, 0.9)), severities=False)
    assert report.failed == ["label_safety"]
    assert "meaning_preserving: changed" in report.results["label_safety"][1]


def test_a_crashing_op_is_a_failed_check_not_an_exception():
    with isolated_registry():
        class Broken(ma.GaussianNoise):
            def _apply(self, x, params):
                raise RuntimeError("boom")

        report = check_perturbation(Broken())
    assert "raised RuntimeError: boom" in report.results["output"][1] and not report.ok


@settings(max_examples=15, deadline=None)
@given(x=mst.images(max_size=20))
def test_images_strategy_covers_the_contract_inputs(x):
    assert x.ndim == 4 and x.shape[1] in (1, 3) and x.dtype in ma.image.base.FLOAT_DTYPES
    assert 8 <= x.shape[2] <= 20 and x.min() >= 0 and x.max() <= 1


@settings(max_examples=15, deadline=None)
@given(data=mst.ranged_images(max_size=16, dtypes=[torch.float32, torch.float64]))
def test_ops_keep_any_value_range(data):
    x, value_range = data
    y = ma.GaussianNoise(std=0.1, value_range=value_range)(x, generator=0)
    assert y.dtype == x.dtype and value_range[0] <= y.min() and y.max() <= value_range[1]


@given(report=mst.labelled_reports())
def test_labelled_reports_carry_the_labels_the_labeler_reads(report):
    assert mt.label(report.text) == report.labels


@given(report=mst.labelled_reports(max_sentences=4), op=mst.text_ops(), seed=st.integers(0, 99))
def test_label_safe_text_ops_on_generated_reports(report, op, seed):
    after = op([report.text], generator=seed).texts[0]
    assert mt.labels_kept(mt.report_labels(report.text), mt.report_labels(after), op.effect)


@settings(max_examples=10, deadline=None)
@given(policy=mst.policies(), batch=mst.batches(max_size=16, dtypes=[torch.float32]))
def test_generated_policies_run_on_generated_batches(policy, batch):
    images, reports = batch
    out = policy(images, reports, generator=0)
    assert out.images.shape == images.shape and len(out.texts) == len(reports)
    weights = policy.mode_weights
    assert all(weights[m] > 0 for m in out.mode[out.mode > 0].tolist())


@settings(max_examples=10, deadline=None)
@given(op=mst.image_ops(), x=mst.images(min_size=16, max_size=24))
def test_generated_image_ops_keep_shape_and_dtype(op, x):
    y = op(x, generator=0)
    assert y.shape == x.shape and y.dtype == x.dtype
