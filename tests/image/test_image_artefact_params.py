"""Artefact ops (occlusion, resolution, jpeg, acquisition, markers) keep their params small
and JSON-friendly (no dense tensors in params)."""

import pytest
import torch
from cases_image_artefacts import ARTEFACTS

import mmr_augment as ma
from mmr_augment.image.occlusion import MAX_HOLES


def per_sample_bytes(params):
    return sum(t[0].numel() * t.element_size() for t in params.values())


@pytest.mark.parametrize("op", [ma.REGISTRY[name](**kw) for name, kw in ARTEFACTS.items()]
                         + [ma.Cutout(holes=MAX_HOLES)], ids=repr)
def test_params_are_small_and_do_not_depend_on_image_size(op):
    params = op.sample(3, torch.Generator().manual_seed(0))
    assert per_sample_bytes(params) < 1024
    for t in params.values():  # flat dicts of (B, ...) CPU tensors
        assert t.device.type == "cpu" and t.shape[0] == 3


def test_every_artefact_op_is_exported_and_tabled():
    modules = ("occlusion", "resolution", "jpeg", "acquisition", "markers")
    defined = {name for name, cls in ma.REGISTRY.items()
               if cls.__module__ in {f"mmr_augment.image.{m}" for m in modules}}
    assert defined == set(ARTEFACTS)
    assert all(name in ma.__all__ and name in ma.image.__all__ for name in ARTEFACTS)
