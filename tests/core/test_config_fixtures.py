"""Stored configs guard the config format: a change that silently reinterprets a user's YAML
(argument names, range/choice encoding, nesting, defaults, how params are drawn) fails here.

Regenerate tests/data/configs/expected_params.json only for an intended format change, and
say so in the changelog: old replay logs and configs would no longer reproduce.
"""

import json
from pathlib import Path

import pytest
import torch

import mmr_augment as ma
from mmr_augment.config import read_config_file
from mmr_augment.extras import missing

needs_text = pytest.mark.skipif(bool(missing("spacy", "scispacy", "nltk")),
                                reason="needs the text extra: pip install 'mmr[text]'")

HERE = Path(__file__).parents[1] / "data" / "configs"
EXPECTED = json.loads((HERE / "expected_params.json").read_text())


#: Stored configs that name text ops (the text extra); the others are image-only.
WITH_TEXT = {"policy.yaml", "text_ops.json"}


@pytest.mark.parametrize("name", [pytest.param(n, marks=needs_text) if n in WITH_TEXT else n
                                  for n in sorted(EXPECTED)])
def test_stored_config_loads_round_trips_and_draws_the_stored_params(name):
    op = ma.load_config(HERE / name)
    assert op.to_config() == read_config_file(HERE / name)
    assert ma.params_to_json(op.sample(3, 7)) == EXPECTED[name]


@needs_text
def test_stored_policy_replays_from_its_stored_params():
    policy = ma.load_config(HERE / "policy.yaml")
    params = ma.params_from_json(EXPECTED["policy.yaml"])
    images = torch.rand(3, 1, 16, 16, generator=torch.Generator().manual_seed(0))
    texts = ["FINDINGS: No pleural effusion. Mild cardiomegaly.\nIMPRESSION: Cardiomegaly."] * 3
    a = policy.apply((images, texts), params)
    b = ma.MultiModalPolicy.replay(a.log, images, texts)
    assert torch.equal(a.images, b.images) and a.texts == b.texts
    assert a.mode.tolist() == [m if g else 0 for m, g in
                               zip(params["mode"].tolist(), params["gate"].tolist())]
