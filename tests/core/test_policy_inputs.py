"""Bad report input to MultiModalPolicy (issue 20): clear errors, one explicit opt-in."""

from __future__ import annotations

import pytest
import torch

from mmr_augment import GaussianNoise, InputError, InputTypeError, MultiModalPolicy


def images(b=2):
    return torch.full((b, 1, 16, 16), 0.5)


def test_a_bare_string_is_refused_before_its_length_is_read():
    with pytest.raises(InputTypeError, match=r"single string; wrap it: \[report\]"):
        MultiModalPolicy(image=GaussianNoise())(images(), "No effusion.", generator=0)


@pytest.mark.parametrize("bad, error, match", [
    ("", InputError, "report 1 is empty.*allow_empty_reports=True"),
    ("  \n", InputError, "report 1 is empty"),
    (None, InputTypeError, "report 1 is NoneType.*allow_empty_reports=True"),
    (3, InputTypeError, "report 1 is int, expected str$"),
])
def test_empty_none_and_non_text_reports_raise_naming_the_sample(bad, error, match):
    with pytest.raises(error, match=match):
        MultiModalPolicy(image=GaussianNoise())(images(), ["No effusion.", bad], generator=0)


def test_allow_empty_reports_keeps_them_and_round_trips():
    policy = MultiModalPolicy(image=GaussianNoise(), allow_empty_reports=True)
    batch = policy(images(3), ["No effusion.", "", None], generator=0)
    assert batch.texts == ["No effusion.", "", ""]
    assert policy.to_config()["allow_empty_reports"] is True
