"""Synthetic paired data: determinism, shapes, prevalences, the Dataset and domains."""

import pytest
import torch

import mmr_augment
from mmr_augment import ConfigError, GaussianNoise, InputError
from mmr_augment.extras import missing
from mmr_augment.synthetic import OBSERVATIONS, SyntheticCXR, generate
from mmr_augment.synthetic.domains import Domain, _resolve_style

needs_text = pytest.mark.skipif(bool(missing("spacy", "scispacy", "nltk")),
                                reason="needs the text extra: pip install 'mmr[text]'")


def test_same_seed_gives_identical_studies():
    a, b = generate(6, 64, seed=5), generate(6, 64, seed=5)
    assert torch.equal(a.images, b.images)
    assert a.reports == b.reports and torch.equal(a.labels, b.labels)


def test_study_is_a_function_of_seed_and_index_only():
    many = generate(12, 64, seed=2)
    one = generate(1, 64, seed=2, start=9)
    assert torch.equal(many.images[9], one.images[0]) and many.reports[9] == one.reports[0]
    item = SyntheticCXR(30, size=64, seed=2)[9]
    assert torch.equal(item["image"], one.images[0]) and item["report"] == one.reports[0]
    assert not torch.equal(generate(1, 64, seed=3, start=9).images, one.images)


@pytest.mark.parametrize("size", [64, 512])
def test_sizes_render_the_same_study(size):
    small = generate(3, 64, seed=1)
    batch = generate(3, size, seed=1)
    assert batch.images.shape == (3, 1, size, size) and batch.images.dtype == torch.float32
    assert float(batch.images.min()) >= 0.0 and float(batch.images.max()) <= 1.0
    assert batch.reports == small.reports and torch.equal(batch.labels, small.labels)
    down = torch.nn.functional.avg_pool2d(batch.images, size // 64)
    assert float((down - small.images).abs().mean()) < 0.015  # same anatomy at any size


def test_prevalences_and_exact_findings():
    batch = generate(1, 64, seed=0)  # labels come from findings; sample many cheaply below
    from mmr_augment.synthetic._draws import study_keys
    from mmr_augment.synthetic.findings import sample_findings

    f = sample_findings(study_keys(0, torch.arange(4000)))
    rates = dict(zip(OBSERVATIONS, f.labels().mean(0).tolist(), strict=True))
    for name in OBSERVATIONS[1:]:
        assert 0.27 < rates[name] < 0.37, (name, rates[name])
    assert 0.2 < rates["No Finding"] < 0.35
    assert torch.equal(f.ctr > 0.5, f.cardiomegaly)
    assert torch.equal(f.lesion_cm, torch.round(f.lesion_cm * 10) / 10)
    assert float(f.lesion_cm.min()) >= 1.0 and float(f.lesion_cm.max()) <= 5.0
    assert set(batch.labels.flatten().tolist()) <= {0.0, 1.0}


def test_dataset_items():
    ds = SyntheticCXR(5, size=64, domains=[None, (None, None)], seed=4)
    item = ds[3]
    assert set(item) == {"image", "report", "labels", "label_vector", "domain", "study_id",
                         "laterality", "details"}
    assert item["image"].shape == (1, 64, 64) and item["domain"] == 1 and item["study_id"] == 3
    assert item["label_vector"].tolist() == [float(item["labels"][o]) for o in OBSERVATIONS]
    assert torch.equal(ds[-2]["image"], item["image"])
    assert [ds[i]["domain"] for i in range(5)] == [0, 1, 0, 1, 0]
    custom = SyntheticCXR(3, size=64, domains=[None, None], assignment=[1, 1, 0])
    assert [custom[i]["domain"] for i in range(3)] == [1, 1, 0]
    with pytest.raises(IndexError):
        ds[5]


def test_domains_share_anatomy_findings_and_report():
    ds = SyntheticCXR(4, size=64, domains=[None, (GaussianNoise(std=0.1), None)], seed=7)
    canonical, styled = ds.render(2, 0), ds.render(2, 1)
    assert canonical["report"] == styled["report"]
    assert torch.equal(canonical["label_vector"], styled["label_vector"])
    change = (styled["image"] - canonical["image"]).abs().mean()
    assert 0.02 < float(change) < 0.12
    assert torch.equal(ds.render(2, 1)["image"], styled["image"])
    batch = generate(4, 64, seed=7, domain=(GaussianNoise(std=0.1), None))
    assert torch.equal(batch.images[2], styled["image"])  # style params are per study


@needs_text
def test_report_style_is_applied_per_study():
    from mmr_augment.text.ops import CaseWhitespace

    op = CaseWhitespace()
    plain, styled = generate(6, 64, seed=1), generate(6, 64, seed=1, domain=(None, op))
    assert torch.equal(plain.images, styled.images)
    assert styled.reports != plain.reports
    assert generate(1, 64, seed=1, start=4, domain=(None, op)).reports[0] == styled.reports[4]


@needs_text
def test_style_resolution_errors():
    with pytest.raises(ConfigError, match="op on text"):
        _resolve_style("report", GaussianNoise())
    with pytest.raises(ConfigError, match="preset name"):
        _resolve_style("scanner", 3)
    with pytest.raises(ConfigError, match="pair"):
        Domain.of("cr")
    if not hasattr(mmr_augment, "ReportStyle"):
        with pytest.raises(ConfigError, match="ReportStyle"):
            _resolve_style("report", "narrative")


@pytest.mark.skipif(not hasattr(mmr_augment, "ScannerStyle"), reason="no ScannerStyle yet")
def test_scanner_preset_by_name():
    styled = generate(2, 64, seed=0, domain=("cr", None))
    assert not torch.equal(styled.images, generate(2, 64, seed=0).images)


def test_bad_arguments():
    with pytest.raises(InputError, match="positive int"):
        generate(0, 64)
    with pytest.raises(InputError, match="size"):
        generate(2, 16)
    with pytest.raises(InputError, match="assignment"):
        SyntheticCXR(3, size=64, domains=[None], assignment=[0, 1, 0])
