"""check_perturbation on what users bring (issue 20): plain callables, kornia and MONAI
transforms, deterministic ops, new families, classes defined twice in a notebook."""

from __future__ import annotations

import re

import pytest
import torch

import mmr_augment as ma
from mmr_augment.testing import check_perturbation, isolated_registry

OP_ONLY = {"p0_identity", "batch_equals_per_sample", "replay", "config_round_trip",
           "severity_monotonic", "global_rng_untouched", "rejects_bad_input"}


def test_a_plain_function_gets_the_checks_that_apply_and_reasons_for_the_rest():
    report = check_perturbation(lambda x: 1 - x)
    assert report.ok and set(report.results) == {"output", "seed_determinism"}
    assert set(report.skipped) == OP_ONLY | {"other_seed_differs"}
    assert report.skipped["other_seed_differs"].startswith("deterministic")
    assert re.search(r"\n  SKIP  replay +needs an mmr_augment Perturbation", str(report))


def test_a_callable_that_breaks_the_contract_fails_without_raising():
    report = check_perturbation(lambda x: x.float()[:, :, 1:])
    assert report.failed == ["output"] and "->" in report.results["output"][1]
    assert not check_perturbation(lambda x: x + 0.1 * torch.rand(())).failed  # global RNG, seeded


def test_a_kornia_transform_is_checked_on_the_batch():
    kornia = pytest.importorskip("kornia")
    report = check_perturbation(kornia.augmentation.RandomGaussianNoise(std=0.1, p=1.0))
    assert report.results["seed_determinism"][0] and report.results["other_seed_differs"][0]
    assert "called batch" in report.results["output"][1]


def test_a_monai_transform_is_checked_image_by_image():
    transforms = pytest.importorskip("monai.transforms")
    report = check_perturbation(transforms.RandGaussianSmooth(prob=1.0), images=torch.rand(
        2, 1, 12, 12, generator=torch.Generator().manual_seed(0)))
    assert report.results["seed_determinism"][0] and report.results["other_seed_differs"][0]
    assert "output" in report.results


def test_a_deterministic_op_skips_other_seed_differs_and_a_new_family_is_accepted():
    with isolated_registry():
        class Flip(ma.ImagePerturbation):
            family = "mirror"  # not a built-in family

            def _apply(self, x, params):
                return x.flip(-1)

        report = check_perturbation(Flip())
        assert report.ok, str(report)
        assert "other_seed_differs" in report.skipped and "config_round_trip" in report.results
        assert check_perturbation(Flip(p=0.5)).results["other_seed_differs"][0]


def test_redefining_a_class_in_the_same_place_replaces_it():
    with isolated_registry():
        def define():
            class Shade(ma.ImagePerturbation):
                family = "shade"

                def _apply(self, x, params):
                    return x * 0.5
            return Shade

        first, second = define(), define()  # same module and qualified name: a notebook re-run
        assert ma.REGISTRY["Shade"] is second is not first
        assert type(ma.from_config({"type": "Shade"})) is second
        with pytest.raises(TypeError, match="already registered"):
            class Shade(ma.ImagePerturbation):  # same name, another place
                family = "shade"
