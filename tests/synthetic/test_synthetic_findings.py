"""Synthetic findings show in the image where the labels say, and the reports say them.

Image checks are counterfactual (the same study rendered with and without a finding) or
population statistics over a seeded batch. The patient's right is the image's left.
"""

import dataclasses

import pytest
import torch

from mmr_augment.extras import missing
from mmr_augment.synthetic import OBSERVATIONS, generate, pixel_spacing_cm
from mmr_augment.synthetic._draws import study_keys
from mmr_augment.synthetic.anatomy import sample_anatomy
from mmr_augment.synthetic.findings import LOBES, SIDES, laterality, sample_findings
from mmr_augment.synthetic.render import render

needs_text = pytest.mark.skipif(bool(missing("spacy", "scispacy", "nltk")),
                                reason="needs the text extra: pip install 'mmr[text]'")


def _pair(indices, size, **changes):
    """Render studies as drawn, and again with ``changes`` to their findings."""
    keys = study_keys(0, torch.tensor(indices))
    anatomy, findings = sample_anatomy(keys), sample_findings(keys)
    return (render(anatomy, findings, keys, size),
            render(anatomy, dataclasses.replace(findings, **changes), keys, size), findings)


def _studies_with(flag_name, value, count=4, right_lobe=False):
    f = sample_findings(study_keys(0, torch.arange(400)))
    hit = getattr(f, flag_name) == value
    if right_lobe:
        hit &= f.consolidation_lobe < 3
    return torch.nonzero(hit).flatten()[:count].tolist()


@pytest.fixture(scope="module")
def population():
    return generate(240, 128, seed=3)


def _measured_ctr(images):
    """Widest gap between the lungs over the widest lung span (rows with both lungs)."""
    x = images[:, 0]
    dark = (x < 0.42) & (x > 0.1)
    cols = torch.arange(x.shape[-1])
    half = x.shape[-1] // 2
    left, right = dark & (cols < half), dark & (cols >= half)
    both = (left.sum(-1) > 0.2 * half) & (right.sum(-1) > 0.2 * half)
    gap = torch.where(right, cols, x.shape[-1]).amin(-1) - torch.where(left, cols, -1).amax(-1)
    span = torch.where(dark, cols, -1).amax(-1) - torch.where(dark, cols, x.shape[-1]).amin(-1)
    return torch.where(both, gap, 0).amax(-1).float() / span.amax(-1).float()


def test_cardiomegaly_widens_the_heart_silhouette(population):
    clear = {"effusion_side": torch.zeros(6, dtype=torch.long),
             "pneumothorax_side": torch.zeros(6, dtype=torch.long)}
    ctr = {size: torch.full((6,), size, dtype=torch.float64) for size in (0.42, 0.62)}
    _, large, _ = _pair(list(range(6)), 128, ctr=ctr[0.62], **clear)
    _, small, _ = _pair(list(range(6)), 128, ctr=ctr[0.42], **clear)
    gain = _measured_ctr(large) - _measured_ctr(small)
    assert bool((gain > 0.01).all()) and float(gain.mean()) > 0.04
    batch = population
    measured = _measured_ctr(batch.images)
    cardio = batch.labels[:, OBSERVATIONS.index("Cardiomegaly")] == 1
    assert float(measured[cardio].mean()) > float(measured[~cardio].mean()) + 0.025
    assert torch.corrcoef(torch.stack([measured, batch.findings.ctr.float()]))[0, 1] > 0.35


def test_right_effusion_brightens_the_right_base_only(population):
    rows = _studies_with("effusion_side", 1)
    with_fluid, without, _ = _pair(rows, 128,
                                   effusion_side=torch.zeros(len(rows), dtype=torch.long))
    right_base = (with_fluid - without)[:, 0, 72:110, 8:60].mean((1, 2))
    assert bool((right_base > 0.02).all())
    assert torch.equal(with_fluid[..., 72:], without[..., 72:])  # patient's left untouched
    batch = population
    side = batch.findings.effusion_side
    base = batch.images[:, 0, 72:110, 8:60].mean((1, 2))
    assert float(base[(side == 1) | (side == 3)].mean()) > float(base[side == 0].mean()) + 0.02


def test_pneumothorax_leaves_a_lucent_rim_with_a_pleural_line():
    rows = _studies_with("pneumothorax_side", 2)
    with_air, without, _ = _pair(rows, 128,
                                 pneumothorax_side=torch.zeros(len(rows), dtype=torch.long))
    diff = (with_air - without)[:, 0]
    assert bool((diff[:, :, 64:].amin((1, 2)) < -0.08).all())  # lucent rim on the left lung
    assert bool((diff[:, :, 64:].amax((1, 2)) > 0.03).all())   # visceral pleural line
    assert torch.equal(with_air[..., :56], without[..., :56])


def test_lesion_is_a_disk_of_the_stated_size():
    rows = _studies_with("lesion", True)
    with_lesion, without, f = _pair(rows, 256, lesion=torch.zeros(len(rows), dtype=torch.bool))
    area = ((with_lesion - without)[:, 0] > 0.05).sum((1, 2)).float()
    radius_px = f.lesion_cm / 2 / pixel_spacing_cm(256)
    expected = torch.pi * radius_px.square()
    assert torch.allclose(area, expected.float(), rtol=0.35)


def test_consolidation_and_devices_add_density_on_their_side():
    rows = _studies_with("consolidation", True, right_lobe=True)
    dry = {"effusion_side": torch.zeros(len(rows), dtype=torch.long)}
    _, on, _ = _pair(rows, 128, **dry)
    _, off, _ = _pair(rows, 128, consolidation=torch.zeros(len(rows), dtype=torch.bool), **dry)
    assert bool(((on - off)[:, 0, :, :60].amax((1, 2)) > 0.05).all())
    assert torch.equal(on[..., 68:], off[..., 68:])
    rows = _studies_with("devices", 1)  # endotracheal tube only
    on, off, _ = _pair(rows, 128, devices=torch.zeros(len(rows), dtype=torch.long))
    assert bool(((on - off)[:, 0, :40, 56:72].amax((1, 2)) > 0.15).all())


def test_reports_state_each_positive_with_its_side_and_size():
    batch = generate(300, 64, seed=11)
    f = batch.findings
    for i, report in enumerate(batch.reports):
        text = report.lower()
        assert text.startswith("findings: ") and "\n\nimpression: " in text
        side = laterality(f, i)
        if side["Pleural Effusion"]:
            assert f"{side['Pleural Effusion']} pleural effusion" in text
        elif side["Pneumothorax"] == "":
            assert "no pleural effusion" in text
        if side["Pneumothorax"]:
            assert f"{side['Pneumothorax']} pneumothorax" in text or (
                f"{side['Pneumothorax']} apical pneumothorax" in text)
        else:
            assert "no pneumothorax" in text or "or pneumothorax" in text
        if f.lesion[i]:
            assert f"{float(f.lesion_cm[i]):.1f} cm" in text
            assert LOBES[int(f.lesion_lobe[i])] in text
        if f.consolidation[i]:
            assert LOBES[int(f.consolidation_lobe[i])] in text and "consolidation" in text
        if batch.labels[i, 0] == 1:
            assert any(p in text for p in ("lungs are clear", "no acute", "normal chest"))
    assert len(set(batch.reports)) > 250  # wording varies
    assert SIDES[3] in " ".join(batch.reports)


@needs_text
def test_rule_labeler_agrees_with_the_generator():
    labeler = pytest.importorskip("mmr_augment.text.labeler",
                                  reason="mmr_augment.text.labeler is not written yet")
    keys = study_keys(0, torch.arange(600))
    from mmr_augment.synthetic.reports import write_reports

    f = sample_findings(keys)
    labels = f.labels()
    for i, report in enumerate(write_reports(f, keys)):
        got = labeler.label(report)
        assert "uncertain" not in got.values(), report
        positive = {o for o, p in got.items() if p == "positive"}
        assert positive == {o for o, v in zip(OBSERVATIONS, labels[i].tolist(), strict=True)
                            if v}, report
        sides = {o: s for o, s in laterality(f, i).items() if s}
        stated = {o: s for o, s in labeler.laterality(report).items() if o in laterality(f, i)}
        assert stated == sides, report
