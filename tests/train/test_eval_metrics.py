"""Evaluation metrics: linear probe, AUC, retrieval ranks, relative error, corruption suite."""

import math

import pytest
import torch

pytest.importorskip("tokenizers", reason="needs the train extra: pip install 'mmr[train]'")

from mmr_augment.errors import InputError
from mmr_train.evaluate import (
    CorruptionBank,
    LinearProbe,
    binary_auc,
    corrupt_images,
    corrupt_texts,
    corruption_families,
    cross_modal_retrieval,
    degradation,
    domain_match,
    match_ranks,
    probe_metrics,
    relative_error,
    retrieval_metrics,
    retrieval_suite,
    within_groups,
)


def test_probe_is_exact_on_separable_embeddings():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(60, 5, generator=g)
    # observation 0 depends on feature 0, observation 1 on features 1 and 2 (margin >= 0.2)
    x = x[(x[:, 0].abs() > 0.2) & ((x[:, 1] - x[:, 2]).abs() > 0.2)]
    y = torch.stack([x[:, 0] > 0, x[:, 1] > x[:, 2]], 1).float()
    probe = LinearProbe.fit(x, y)
    metrics = probe_metrics(probe.predict_proba(x), y, ["a", "b"])
    assert metrics["macro"] == {"accuracy": 1.0, "auc": 1.0}
    assert metrics["per_observation"]["b"] == {"accuracy": 1.0, "auc": 1.0}


def test_probe_standardises_and_checks_shapes():
    x = torch.tensor([[1000.0, 0.0], [1001.0, 0.0], [1002.0, 0.0], [1003.0, 0.0]])
    y = torch.tensor([[0.0], [0.0], [1.0], [1.0]])
    probe = LinearProbe.fit(x, y)
    assert probe.mean.tolist() == [1001.5, 0.0]
    assert ((probe.predict_proba(x) >= 0.5).float() == y).all()
    with pytest.raises(InputError, match="features must be"):
        probe.predict_proba(torch.zeros(3, 4))
    with pytest.raises(InputError, match="labels must be"):
        LinearProbe.fit(x, y[:3])


def test_auc_known_values_and_single_class():
    assert binary_auc(torch.tensor([0.9, 0.8, 0.1, 0.2]), torch.tensor([1, 1, 0, 0])) == 1.0
    assert binary_auc(torch.tensor([0.1, 0.2, 0.9, 0.8]), torch.tensor([1, 1, 0, 0])) == 0.0
    assert binary_auc(torch.tensor([0.5, 0.5]), torch.tensor([1, 0])) == 0.5
    assert math.isnan(binary_auc(torch.tensor([0.3, 0.4]), torch.tensor([1, 1])))
    out = probe_metrics(torch.tensor([[0.7], [0.6]]), torch.tensor([[1.0], [1.0]]), ["x"])
    # one class only: not measurable (accuracy 1.0 here would only say "always present")
    assert out["macro"] == {"accuracy": None, "auc": None}
    assert out["per_observation"]["x"]["note"] == "no negative case in the test studies"


def test_retrieval_ranks_on_hand_made_matrix():
    # row 0 ranks its match 1st, row 1 4th, row 2 2nd, row 3 1st
    sim = torch.tensor([[0.9, 0.1, 0.2, 0.3],
                        [0.5, 0.1, 0.4, 0.3],
                        [0.1, 0.8, 0.6, 0.2],
                        [0.0, 0.1, 0.2, 0.7]])
    assert match_ranks(sim).tolist() == [1.0, 4.0, 2.0, 1.0]
    m = retrieval_metrics(sim, ks=(1, 2, 3))
    assert m == {"R@1": 0.5, "R@2": 0.75, "R@3": 0.75, "mean_rank": 2.0, "median_rank": 1.0}
    # columns as queries: column 1's match (0.1) is beaten by 0.8 and tied with two 0.1s
    assert match_ranks(sim.T).tolist()[1] == 3.0


def test_retrieval_ties_count_half_and_identity_is_perfect():
    assert match_ranks(torch.zeros(5, 5)).tolist() == [3.0] * 5
    emb = torch.eye(6)
    both = cross_modal_retrieval(emb, emb)
    assert both["image_to_report"]["R@1"] == 1.0
    assert both["report_to_image"]["mean_rank"] == 1.0
    with pytest.raises(InputError, match="square"):
        match_ranks(torch.zeros(2, 3))


def test_within_domain_ranks_ignore_other_domains():
    sim = torch.tensor([[0.9, 0.1, 0.2, 0.3],
                        [0.5, 0.1, 0.4, 0.3],
                        [0.1, 0.8, 0.6, 0.2],
                        [0.0, 0.1, 0.2, 0.7]])
    groups = torch.tensor([0, 0, 1, 1])
    # row 1's match loses only to 0.5 in its own domain; row 2's competitor 0.8 is elsewhere
    assert match_ranks(within_groups(sim, groups)).tolist() == [1.0, 2.0, 1.0, 1.0]
    # top-1 of rows 0, 1, 3 is in their domain, row 2's (column 1) is not
    assert domain_match(sim, groups) == 0.75
    assert domain_match(sim, torch.zeros(4)) == 1.0
    with pytest.raises(InputError, match="one group per row"):
        within_groups(sim, torch.tensor([0, 1]))
    with pytest.raises(InputError, match="one group per row"):
        domain_match(sim, torch.zeros(5))
    both = cross_modal_retrieval(torch.eye(4), torch.eye(4), groups=groups)
    assert both["image_to_report"]["mean_rank"] == 1.0
    assert both["report_to_image"]["domain_match"] == 1.0


class _Fixed:
    """Encoder / bank stand-ins: the bank's perturbed study ``i`` is ``i + 100``."""

    def __init__(self, image, text):
        self.image, self.text = image, text

    def mixed(self, severity):
        return torch.arange(4) + 100, list(range(4))

    def embed(self, images, texts):
        return {"image_contrast": self.image, "text_contrast": self.text}


def test_retrieval_suite_separates_domain_confusion_from_content():
    # 4 content dims + 2 style dims; domains [0, 0, 1, 1]. A perturbation gives every image
    # the other domain's style: both directions lose 2 ranks on the whole gallery (the two
    # other-domain items now score 4, the match 1) yet keep rank 1 within the domain.
    domains = torch.tensor([0, 0, 1, 1])
    style = 2 * torch.eye(2)
    clean = torch.cat([torch.eye(4), style[domains]], 1)
    perturbed_images = torch.cat([torch.eye(4), style[1 - domains]], 1)
    fake = _Fixed(perturbed_images, clean)
    out = retrieval_suite(fake, fake, {"image_contrast": clean, "text_contrast": clean}, 3,
                          domains).to_json()
    assert out["gallery_size"] == 4 and out["severity"] == 3
    for direction in ("image_to_report", "report_to_image"):
        assert out["clean"][direction]["mean_rank"] == 1.0
        assert out["perturbed"][direction]["mean_rank"] == 3.0
        assert out["degradation"][direction]["delta"] == 2.0
        within = out["within_domain"]
        assert within["degradation"][direction]["delta"] == 0.0
        assert within["clean"][direction]["domain_match"] == 1.0
        assert within["perturbed"][direction]["domain_match"] == 0.0
    one_domain = retrieval_suite(fake, fake, {"image_contrast": clean, "text_contrast": clean},
                                 3, torch.zeros(4))
    assert one_domain.within_domain is None and "within_domain" not in one_domain.to_json()


def test_degradation_and_relative_error():
    assert degradation({"mean_rank": 4.0}, {"mean_rank": 20.1}) == pytest.approx(
        {"delta": 16.1, "ratio": 5.025})
    # errors 0.2, 0.3, 0.5 above a clean error of 0.1 -> mean excess 0.233...
    assert relative_error(0.9, [0.8, 0.7, 0.5]) == pytest.approx(0.7 / 3)
    assert relative_error(0.6, [0.6] * 5) == 0.0
    with pytest.raises(InputError):
        relative_error(0.9, [])


def test_corruption_families_follow_the_registry_rules():
    fams = corruption_families()
    image, text = corruption_families("image"), corruption_families("text")
    assert set(fams) == set(image) | set(text)
    assert {"gaussian_noise", "jpeg", "cutout", "pixelate"} <= set(image)
    assert {"typo", "synonym", "sentence_delete", "truncate"} <= set(text)
    skipped = {"negation_flip", "laterality_swap", "scanner_style", "report_style",
               "composition", "policy", "invert"}
    assert not skipped & set(fams)


def test_corruptions_are_seeded_and_severity_grows():
    images = torch.full((4, 1, 32, 32), 0.5)
    fam = corruption_families()["gaussian_noise"]
    a = corrupt_images(images, fam, 3, seed=1)
    assert torch.equal(a, corrupt_images(images, fam, 3, seed=1))
    dist = [(corrupt_images(images, fam, s, seed=1) - images).abs().mean() for s in (1, 3, 5)]
    assert dist[0] < dist[1] < dist[2]
    texts = ["FINDINGS: No pleural effusion. Heart size is normal.\n\nIMPRESSION: Normal."] * 3
    typo = corruption_families()["typo"]
    assert corrupt_texts(texts, typo, 5, seed=2) == corrupt_texts(texts, typo, 5, seed=2)


def test_bank_mixed_uses_every_family_in_turn():
    images = torch.full((3, 1, 32, 32), 0.5)
    fams = {k: v for k, v in corruption_families().items()
            if k in ("gaussian_noise", "cutout", "truncate")}
    bank = CorruptionBank(images, ["No effusion. Normal heart. Clear lungs."] * 3, fams)
    mixed_images, mixed_texts = bank.mixed(3)
    assert torch.equal(mixed_images[0], bank.get("gaussian_noise", 3)[0][0])
    assert torch.equal(mixed_images[1], bank.get("cutout", 3)[0][1])
    assert torch.equal(mixed_images[2], bank.get("gaussian_noise", 3)[0][2])
    assert mixed_texts == bank.get("truncate", 3)[1]
    assert bank.get("cutout", 3)[1] == bank.texts  # image families leave the text alone


def test_corruption_families_score_both_directions():
    from mmr_train.evaluate.corruption import corrupt_images

    fams = corruption_families("image")
    for family in ("brightness", "contrast", "gamma"):
        assert family not in fams
        assert fams[f"{family}_up"].direction == "up" and fams[f"{family}_down"].direction == "down"
    x = torch.full((2, 1, 8, 8), 0.5)
    up = corrupt_images(x, fams["brightness_up"], 5)
    down = corrupt_images(x, fams["brightness_down"], 5)
    assert torch.allclose(up, torch.full_like(x, 0.75)) and torch.allclose(down, x * 0.5)


def test_balanced_error_matches_its_definition():
    from mmr_train.evaluate.corruption import balanced_error

    labels = torch.tensor([1, 1, 1, 0])
    assert balanced_error(torch.tensor([0.9, 0.9, 0.9, 0.9]), labels) == 0.5  # all positive
    assert balanced_error(torch.tensor([0.9, 0.2, 0.9, 0.1]), labels) == pytest.approx(1 / 6)
    multi = torch.tensor([[1, 0], [0, 1]])
    assert balanced_error(multi.float(), multi) == 0.0
    assert balanced_error(1.0 - multi.float(), multi) == 1.0
    with pytest.raises(InputError, match="same, non-empty shape"):
        balanced_error(torch.zeros(3), torch.zeros(2))


def test_medmnistc_be_and_rbe_follow_its_evaluator():
    from mmr_train.evaluate.corruption import medmnistc_scores

    errors = {"a": [0.2, 0.3, 0.4], "b": [0.5, 0.5, 0.5]}
    reference = {"a": [0.3, 0.3, 0.3], "b": [0.4, 0.5, 0.6]}
    got = medmnistc_scores(errors, 0.1, reference, 0.2)
    assert got["be_per_corruption"] == {"a": 1.0, "b": 1.0}
    assert got["rbe_per_corruption"] == {"a": pytest.approx(2.0), "b": pytest.approx(4 / 3)}
    assert got["rbe"] == pytest.approx(5 / 3)
    same = medmnistc_scores(reference, 0.2, reference, 0.2)  # the reference against itself
    assert same["be"] == 1.0 and same["rbe"] == 1.0
    # a reference that does not err more under "a" cannot normalise its rBE; b's BE and rBE
    # stay, and the means are over the defined values
    flat = medmnistc_scores(errors, 0.1, {"a": [0.2], "b": [0.0]}, 0.2)
    assert flat["rbe_per_corruption"] == {"a": None, "b": pytest.approx(-2.0)}
    assert flat["be_per_corruption"] == {"a": pytest.approx(1.5), "b": None}
    assert flat["be"] == pytest.approx(1.5) and flat["rbe"] == pytest.approx(-2.0)
    assert medmnistc_scores({"a": [0.3]}, 0.1, {"a": [0.0]}, 0.0)["rbe"] is None
    with pytest.raises(InputError, match="same corruption set"):
        medmnistc_scores(errors, 0.1, {"a": [0.2]}, 0.2)


def _suite(clean_be, balanced, modality=("image", "image", "text")):
    from mmr_train.evaluate.results import Corruption, FamilyScores, ModalityMeans, Scores

    fams = {name: FamilyScores(kind, None, {s: 0.5 for s in errs}, {s: None for s in errs},
                               0.0, errs)
            for (name, errs), kind in zip(balanced.items(), modality)}
    return Corruption(Scores(0.5, None), [1, 3], fams, ModalityMeans(0.0, 0.0, 0.0), clean_be)


def test_medmnistc_against_a_reference_per_family_and_modality():
    from mmr_train.evaluate import medmnistc_against
    from mmr_train.evaluate.results import BalancedErrors, Corruption

    model = _suite(0.1, {"blur": {"1": 0.2, "3": 0.4}, "noise": {"1": 0.3, "3": 0.3},
                         "typo": {"1": 0.1, "3": 0.3}})
    ref = _suite(0.2, {"blur": {"1": 0.4, "3": 0.4}, "noise": {"1": 0.2, "3": 0.2},
                       "typo": {"1": 0.2, "3": 0.6}})
    got = medmnistc_against(model, ref, "alexnet")
    assert got.families == {"blur": BalancedErrors(0.75, 1.0), "noise": BalancedErrors(1.5, None),
                            "typo": BalancedErrors(0.5, 0.5)}
    assert (got.be.image, got.be.text, got.be.all) == (1.125, 0.5, pytest.approx(11 / 12))
    assert (got.rbe.image, got.rbe.text, got.rbe.all) == (1.0, 0.5, 0.75)
    assert got.reference == "alexnet" and got.reference_clean_balanced_error == 0.2
    # in results.json under corruption.medmnistc, and back
    with_mc = Corruption.from_json({**model.to_json(), "medmnistc": got.to_json()})
    assert with_mc.medmnistc == got and with_mc.to_json()["medmnistc"]["rbe"]["all"] == 0.75
    assert "medmnistc" not in model.to_json()
    old = Corruption.from_json({k: v for k, v in model.to_json().items()
                                if k != "clean_balanced_error"})  # written before it existed
    assert old.clean_balanced_error is None
    with pytest.raises(InputError, match="evaluate it again"):
        medmnistc_against(old, ref, "alexnet")
    with pytest.raises(InputError, match="same corruption set"):
        medmnistc_against(model, _suite(0.2, {"blur": {"1": 0.4, "3": 0.4}}), "alexnet")
