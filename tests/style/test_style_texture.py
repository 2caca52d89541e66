"""StyleFamily's texture match: each image's noise level moved toward its member film's.

Films: synthetic studies (64 px, their own noise level about 0.004) plus white Gaussian noise
of a known std, clamped to [0, 1]. Tolerance: rendered all the way (texture 1) toward a member,
a film's noise level (``film_noise``) ends within 10 % of the member's, whether the member is
smoother (the film is blurred) or noisier (its residual amplified, or white noise added); the
blur sigma and the sharpening amount are interpolated on a grid and noise levels are assumed to
add in quadrature, hence not exact. Sharpening reaches at most about three times a film's level
(the amount is capped at ``AMOUNTS[-1]``), so its noisier member is 2.3x the film's.
"""

from __future__ import annotations

import pytest
import torch

from mmr_augment import StyleFamily, slice_params
from mmr_augment.errors import ConfigError
from mmr_augment.style.fitting import fit_style_family
from mmr_augment.style.texture import WHITE_RESPONSE, film_noise, match_texture
from mmr_augment.synthetic import render_studies


def noisy_films(start: int, std: float, n: int = 4, seed: int = 0) -> torch.Tensor:
    x = render_studies(torch.arange(start, start + n), 64, 0).images.float()
    g = torch.Generator().manual_seed(seed)
    return (x + std * torch.randn(x.shape, generator=g)).clamp(0, 1)


def one_member(noise: float, **kwargs) -> StyleFamily:
    return StyleFamily([{"style": {"mtf": {"sigma": 0.5}}, "noise": noise}], **kwargs)


@pytest.mark.parametrize(("film_std", "member_std", "roughen"),
                         [(0.06, 0.015, "sharpen"), (0.015, 0.035, "sharpen"),
                          (0.015, 0.06, "noise")],
                         ids=["toward-smoother", "toward-noisier-sharpen", "toward-noisier-noise"])
def test_texture_brings_each_films_noise_level_to_its_members(film_std, member_std, roughen):
    films = noisy_films(0, film_std)
    member = float(film_noise(noisy_films(8, member_std, n=1, seed=1))[0])
    before = film_noise(films)
    fam = one_member(member, texture=1.0, roughen=roughen)
    after = film_noise(fam(films, generator=0))
    assert ((before - member).abs() / member > 0.3).all()  # far from the member before
    assert ((after - member).abs() / member < 0.1).all(), (after, member)


def test_half_strength_aims_at_the_geometric_mean_of_the_two_levels():
    films = noisy_films(0, 0.06)
    y = match_texture(films, torch.full((4,), 0.01), 0.5)
    goal = (film_noise(films) * 0.01).sqrt()
    assert ((film_noise(y) - goal).abs() / goal < 0.1).all()


def test_added_noise_has_the_std_that_adds_in_quadrature_and_sharpening_keeps_flat_flat():
    flat = torch.full((1, 1, 64, 64), 0.5)
    y = match_texture(flat, torch.tensor([0.02]), 1.0, "noise", torch.tensor([3]))
    # a flat film has level 0: the noise std is the goal over the white-noise response
    assert abs(float((y - 0.5).std()) - 0.02 / WHITE_RESPONSE) < 0.001
    # sharpening amplifies the film's own residual: a flat film stays flat (up to rounding)
    torch.testing.assert_close(match_texture(flat, torch.tensor([0.02]), 1.0), flat,
                               rtol=0, atol=1e-6)


def test_match_texture_refuses_an_unknown_roughen_or_noise_without_seeds():
    x = torch.rand(1, 1, 16, 16)
    with pytest.raises(ValueError, match="roughen must be one of"):
        match_texture(x, torch.tensor([0.1]), 1.0, "grain")
    with pytest.raises(ValueError, match="with seeds"):
        match_texture(x, torch.tensor([0.1]), 1.0, "noise")


def test_texture_zero_is_todays_family_bit_for_bit():
    films = noisy_films(0, 0.03, n=6)
    members = [{"style": {"noise": {"photons": 300.0}}, "quantiles": [0.0, 0.3, 1.0]},
               {"style": {"mtf": {"sigma": 1.0}}, "quantiles": [0.1, 0.6, 1.0]}]
    today = StyleFamily(members, match=0.5, pick="nearest")
    noted = StyleFamily([{**m, "noise": 0.01} for m in members], match=0.5, pick="nearest")
    params = today.sample(6, 3)
    assert torch.equal(noted.apply(films, noted.sample(6, 3)), today.apply(films, params))
    assert "texture_seed" not in noted.sample(6, 3)
    assert "texture" not in noted.to_config() and "roughen" not in noted.to_config()


@pytest.mark.parametrize("roughen", ["sharpen", "noise"])
def test_texture_replays_by_sample_and_is_deterministic(roughen):
    fam = StyleFamily([{"quantiles": [0.0, 0.3, 1.0], "noise": 0.005},
                       {"quantiles": [0.1, 0.6, 1.0], "noise": 0.08}],
                      pick="nearest", texture=0.8, roughen=roughen)
    films = noisy_films(0, 0.03, n=6)
    params = fam.sample(6, 5)
    y = fam.apply(films, params)
    assert torch.equal(y, fam.apply(films, fam.sample(6, 5)))
    assert ("texture_seed" in params) == (roughen == "noise")
    rows = torch.tensor([4, 1])
    assert torch.equal(fam.apply(films[rows], slice_params(params, rows)), y[rows])
    # sharpening is deterministic; added noise follows the seeds
    assert torch.equal(y, fam.apply(films, fam.sample(6, 6))) == (roughen == "sharpen")


def test_texture_round_trips_through_yaml(tmp_path):
    fam = StyleFamily([{"quantiles": [0.0, 0.3, 1.0], "noise": 0.005},
                       {"quantiles": [0.1, 0.6, 1.0], "noise": 0.08, "weight": 2.0}],
                      pick="nearest", texture=0.5, roughen="noise")
    fam.to_yaml(tmp_path / "family.yaml")
    back = StyleFamily.from_yaml(tmp_path / "family.yaml")
    assert back.to_config() == fam.to_config()
    assert back.texture == 0.5 and back.roughen == "noise"
    assert back.noise.tolist() == [0.005, 0.08]
    films = noisy_films(0, 0.03)
    params = fam.sample(4, 0)
    assert torch.equal(back.apply(films, params), fam.apply(films, params))


def test_fit_family_records_each_films_noise_level_only_with_texture():
    reference = torch.cat([noisy_films(0, 0.01, n=2), noisy_films(2, 0.05, n=2, seed=1)])
    fam = fit_style_family(reference, match=0.5, knots=9, pick="nearest", texture=1.0)
    levels = [m["noise"] for m in fam.to_config()["members"]]
    assert levels == pytest.approx(film_noise(reference).tolist(), rel=1e-5)
    assert fam.texture == 1.0 and "noise level moved" in fam.description
    plain = fit_style_family(reference, match=0.5, knots=9, pick="nearest")
    assert all("noise" not in m for m in plain.to_config()["members"])
    # each reference film picks its own member, and keeps its own noise level
    params = fam.sample(4, 0)
    assert fam.members_for(reference, params).tolist() == [0, 1, 2, 3]
    assert torch.allclose(film_noise(fam.apply(reference, params)),
                          torch.tensor(levels, dtype=torch.float64), rtol=0.1)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"texture": 1.5}, "texture must be a number in \\[0, 1\\]"),
    ({"texture": True}, "texture must be a number"),
    ({"texture": 0.5, "members": [{}]}, "texture > 0 needs every member's noise"),
    ({"members": [{"noise": 0.01}, {}]}, "give noise for every member or none"),
    ({"members": [{"noise": 0.0}]}, "noise must be a number in \\(0, 1\\]"),
    ({"members": [{"noise": "low"}]}, "noise must be a number"),
    ({"roughen": "grain"}, "roughen must be one of \\['sharpen', 'noise'\\]"),
])
def test_texture_errors_name_the_fix(kwargs, match):
    args = {"members": [{"noise": 0.01}], **kwargs}
    with pytest.raises(ConfigError, match=match):
        StyleFamily(**args)


def test_fit_family_refuses_a_bad_texture():
    with pytest.raises(ConfigError, match="fit_style_family: texture must be a number"):
        fit_style_family(noisy_films(0, 0.01, n=2), texture=-0.1)
