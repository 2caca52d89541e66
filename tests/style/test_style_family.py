"""StyleFamily and ScannerStyle.fit_family: recovery of a known mixture of tone curves,
per-image histogram matching, determinism and replay, YAML round trip, errors, the CLI.

Recovery tolerance: on uniform-noise films (32 px, every film the same histogram up to sampling)
each member's tone curve lies within 0.07 of the curve that rendered its film, and more than
0.2 from the other one.
"""

from __future__ import annotations

import pytest
import torch

from mmr_augment import ScannerStyle, StyleFamily, from_config, replay, slice_params
from mmr_augment.cli import main
from mmr_augment.errors import ConfigError, InputError
from mmr_augment.extras import missing
from mmr_augment.io import write_png
from mmr_augment.style.family import matching_curves, sorted_quantiles
from mmr_augment.style.fitting import film_quantiles, fit_style_family
from mmr_augment.synthetic import render_studies

SIGMOID = {"kind": "sigmoid", "slope": 8.0, "midpoint": 0.4}
LUT = {"kind": "lut", "curve": [0.0, 0.5, 0.8, 0.95, 1.0]}


@pytest.fixture
def mixture():
    """Uniform-noise source films, and a site whose films come from two tone curves (4 + 4)."""
    g = torch.Generator().manual_seed(0)
    source = torch.rand(6, 1, 32, 32, generator=g)
    reference = torch.cat([ScannerStyle(tone=SIGMOID)(torch.rand(4, 1, 32, 32, generator=g),
                                                      generator=0),
                           ScannerStyle(tone=LUT)(torch.rand(4, 1, 32, 32, generator=g),
                                                  generator=0)])
    return source, reference


def _two_members(**kwargs) -> StyleFamily:
    return StyleFamily([{"style": {"noise": {"photons": 300.0}, "mtf": {"sigma": 1.0}},
                         "quantiles": [0.0, 0.1, 0.3, 0.9], "weight": 1.0},
                        {"style": {"collimation": {"margin": 0.2}, "tone": LUT},
                         "quantiles": [0.1, 0.5, 0.6, 1.0], "weight": 3.0}], **kwargs)


def test_fit_family_recovers_both_tone_curves_and_draws_both(mixture):
    source, reference = mixture
    fam = ScannerStyle.fit_family(reference, source=source, knots=33)
    curves = [ScannerStyle(tone=t).tone_curve(256) for t in (SIGMOID, LUT)]
    for i, member in enumerate(fam.styles):
        gaps = [float((member.tone_curve(256) - c).abs().max()) for c in curves]
        assert gaps[i // 4] < 0.07 and gaps[1 - i // 4] > 0.2, (i, gaps)
    counts = fam.sample(4000, 0)["index"].bincount(minlength=8)
    assert counts[:4].sum() / 4000 == pytest.approx(0.5, abs=0.03)
    assert int(counts.min()) > 400  # every film's member is drawn (uniform weights)


def test_matching_family_gives_each_image_its_members_histogram(mixture):
    source, reference = mixture
    fam = fit_style_family(reference, match=1.0, knots=33)
    assert fam.description.startswith("8 members, per-image histogram matching")
    params = fam.sample(6, 1)
    out = fam.apply(source, params)
    for b, m in enumerate(params["index"].tolist()):
        got = torch.tensor(film_quantiles(out[b], 33))
        want = torch.tensor(film_quantiles(reference[m], 33))
        assert float((got - want)[1:-1].abs().max()) < 0.05
    half = StyleFamily(fam.to_config()["members"], match=0.5).apply(source, params)
    assert torch.allclose(half, (source + out) / 2, atol=1e-5)


def test_matching_maps_a_tie_block_to_the_middle_of_its_quantiles():
    # 10 % of the film exactly black; the member's lowest 6 % black: a tie block takes the
    # member's quantile at the middle of its CDF range (5 %), so the black stays black (the
    # top of the range, 10 %, would lift it to the member's 10 % quantile, 0.04)
    film = torch.linspace(0.0, 1.0, 1000)
    film[:100] = 0.0
    member = torch.cat([torch.zeros(60), torch.linspace(0.0, 1.0, 940)])
    quantiles = sorted_quantiles(member.view(1, -1), 101)
    curve = matching_curves(film.view(1, 1, 1, -1), quantiles)[0]
    assert curve[0].item() == 0.0
    assert sorted_quantiles(member.view(1, -1), 11)[0, 1].item() == pytest.approx(0.043, abs=2e-3)
    white = matching_curves(torch.cat([film[:900], torch.ones(100)]).view(1, 1, 1, -1),
                            1 - quantiles.flip(1))[0]
    assert white[-1].item() == 1.0  # the same at the white end


def test_family_is_deterministic_under_a_seed_and_replays_by_sample():
    fam = _two_members(match=0.5)
    x = render_studies(torch.arange(6), 32, 0).images.float()
    assert torch.equal(fam(x, generator=7), fam(x, generator=7))
    params = fam.sample(6, 7)
    assert params["index"].tolist() == [1, 1, 1, 1, 0, 0]
    assert torch.equal(fam.members_for(x, params), params["index"])
    assert set(params["members"]) == {"0", "1"}
    y = fam.apply(x, params)
    assert not torch.equal(y, fam(x, generator=8))
    assert torch.equal(replay(fam.log(params), x), y)
    rows = torch.tensor([5, 1])
    assert torch.allclose(fam.apply(x[rows], slice_params(params, rows)), y[rows], atol=1e-6)
    mask = fam.occlusion(tuple(x.shape), params)  # member 1 has 20 % shutters on every side
    assert mask[:4, :, :3].all() and not mask[4:].any()


def test_family_p_gates_whole_samples():
    fam = _two_members(match=1.0, p=0.0)
    x = torch.rand(3, 1, 16, 16, generator=torch.Generator().manual_seed(1))
    assert torch.equal(fam(x, generator=0), x)


def test_family_yaml_and_config_round_trip(tmp_path, mixture):
    source, reference = mixture
    base = ScannerStyle(noise={"photons": 500.0}, mtf={"sigma": 0.8}, tone=SIGMOID,
                        resolution={"scale": 0.5})
    fam = ScannerStyle.fit_family(reference, source=source, base=base, knots=9, name="site")
    assert "tone" not in base.to_config()["noise"]
    assert {"noise", "mtf", "resolution", "tone"} <= set(fam.styles[0].stage_config)
    path = tmp_path / "family.yaml"
    fam.to_yaml(path)
    assert path.read_text().startswith("# A style family for mmr_augment.StyleFamily")
    again = StyleFamily.fit(reference, source=source, base=base, knots=9, name="site")
    loaded = StyleFamily.from_yaml(path)
    assert loaded.to_config() == fam.to_config() == again.to_config()
    assert from_config(fam.to_config()).to_config() == fam.to_config()
    assert torch.equal(loaded(source, generator=3), fam(source, generator=3))
    matched = _two_members(match=0.25, p=0.5)
    matched.to_yaml(path)
    assert StyleFamily.from_yaml(path).to_config() == matched.to_config()


def test_family_errors_name_the_fix(tmp_path, mixture):
    source, reference = mixture
    good = {"quantiles": [0.0, 1.0]}
    with pytest.raises(ConfigError, match="non-empty list"):
        StyleFamily([])
    with pytest.raises(ConfigError, match="keys among"):
        StyleFamily([{"styel": {}}])
    with pytest.raises(ConfigError, match="weight must be a number >= 0"):
        StyleFamily([{"weight": -1.0}])
    with pytest.raises(ConfigError, match="must not all be 0"):
        StyleFamily([{"weight": 0.0}])
    with pytest.raises(ConfigError, match="non-decreasing"):
        StyleFamily([{"quantiles": [0.5, 0.2]}])
    with pytest.raises(ConfigError, match="every member or none"):
        StyleFamily([good, {}])
    with pytest.raises(ConfigError, match="every member or none"):
        StyleFamily([good, {"quantiles": [0.0, 0.5, 1.0]}])
    with pytest.raises(ConfigError, match="match > 0 needs"):
        StyleFamily([{}], match=0.5)
    with pytest.raises(ConfigError, match="match must be a number"):
        StyleFamily([good], match=2)
    with pytest.raises(ConfigError, match="must be a ScannerStyle"):
        StyleFamily([{"style": {"type": "GaussianNoise"}}])
    with pytest.raises(ConfigError, match="stage 'mtf'"):
        StyleFamily([{"style": {"mtf": {"sigmaa": 1.0}}}])
    with pytest.raises(ConfigError, match="knots must be an int"):
        fit_style_family(reference, knots=1)
    with pytest.raises(ConfigError, match="max_members"):
        fit_style_family(reference, max_members=1)
    with pytest.raises(ConfigError, match="match must be"):
        fit_style_family(reference, match=-0.1)
    with pytest.raises(ConfigError, match="base must be a ScannerStyle"):
        fit_style_family(reference, base="dr_flat_panel")
    with pytest.raises(InputError, match="at least 16x16"):
        fit_style_family(torch.rand(2, 1, 8, 8))
    path = tmp_path / "bad.yaml"
    path.write_text("type: ScannerStyle\nmembers: []\n")
    with pytest.raises(ConfigError, match="this loader reads StyleFamily"):
        StyleFamily.from_yaml(path)


def test_fit_family_keeps_at_most_max_members_spread_over_the_films(mixture):
    _, reference = mixture
    fam = fit_style_family(reference, match=1.0, max_members=3, knots=5)
    want = [film_quantiles(reference[i], 5) for i in (0, 4, 7)]
    assert [m["quantiles"] for m in fam.to_config()["members"]] == want


@pytest.fixture
def one_thread(torch_threads):
    """The site fit runs many small renders: one thread is several times faster on a busy CPU."""
    torch_threads(1)


@pytest.mark.skipif(bool(missing("tqdm")), reason="needs the preview extra (tqdm)")
@pytest.mark.parametrize("pick", ["random", "nearest"])
def test_fit_style_command_writes_a_family(tmp_path, capsys, one_thread, pick):
    site = tmp_path / "site"
    site.mkdir()
    for i, film in enumerate(render_studies(torch.arange(3), 32, 0).images):
        write_png(site / f"film{i}.png", film)
    out = tmp_path / "family.yaml"
    assert main(["fit-style", str(site), "--out", str(out), "--size", "0",
                 "--search-films", "3", "--knots", "9", "--family", "--match", "0.5",
                 "--pick", pick] + (["--neighbours", "2"] if pick == "nearest" else [])) == 0
    assert "family    3 members, per-image histogram matching" in capsys.readouterr().out
    fam = StyleFamily.from_yaml(out)
    assert len(fam) == 3 and fam.match == 0.5 and fam.name == "family"
    assert (fam.pick, fam.neighbours) == (pick, 2 if pick == "nearest" else 1)


def _levels(*values: float) -> torch.Tensor:
    """16x16 ramps from ``v - 0.1`` to ``v + 0.1``, one per value (clamped to [0, 1])."""
    ramp = torch.linspace(-0.1, 0.1, 256).view(1, 16, 16)
    return torch.stack([(v + ramp).clamp(0, 1) for v in values])


def _graded(**kwargs) -> StyleFamily:
    """Members uniform on ``v -+ 0.05`` for v = 0.1, 0.4, 0.7, 0.9 (65 quantiles each)."""
    return StyleFamily([{"quantiles": torch.linspace(v - 0.05, v + 0.05, 65).tolist()}
                        for v in (0.1, 0.4, 0.7, 0.9)], **kwargs)


def test_nearest_pick_renders_each_image_with_the_closest_member():
    fam = _graded(pick="nearest", match=1.0)
    x = _levels(0.05, 0.45, 0.66, 0.95, 0.3)
    params = fam.sample(5, 0)
    assert set(params) == {"rank", "members", "gate"} and set(params["members"]) == set("0123")
    assert fam.members_for(x, params).tolist() == [0, 1, 2, 3, 1]
    out = fam.apply(x, params)
    medians = torch.stack([o.median() for o in out])
    assert torch.allclose(medians, torch.tensor([0.1, 0.4, 0.7, 0.9, 0.4]), atol=0.01)
    # weight 0 keeps a member from ever being picked: 0.45 then goes to 0.7's member
    zero = StyleFamily([{**m, "weight": 0.0 if i == 1 else 1.0} for i, m in
                        enumerate(fam.to_config()["members"])], pick="nearest")
    assert zero.members_for(x, params).tolist() == [0, 2, 2, 3, 0]


def test_nearest_of_k_draws_among_the_k_closest_only():
    fam = _graded(pick="nearest", neighbours=2, match=0.5)
    x = _levels(*[0.45] * 400)  # closest 0.4, then 0.7
    params = fam.sample(400, 3)
    counts = fam.members_for(x, params).bincount(minlength=4).tolist()
    assert counts[0] == counts[3] == 0 and min(counts[1:3]) > 150
    assert torch.equal(fam.apply(x, params), fam.apply(x, params))


def test_nearest_family_replays_round_trips_and_keeps_the_default_config(tmp_path):
    fam = _graded(pick="nearest", neighbours=3, match=0.5, name="graded")
    x = render_studies(torch.arange(6), 32, 0).images.float()
    params = fam.sample(6, 7)
    y = fam.apply(x, params)
    assert torch.equal(replay(fam.log(params), x), y)
    rows = torch.tensor([4, 0])
    assert torch.allclose(fam.apply(x[rows], slice_params(params, rows)), y[rows], atol=1e-6)
    assert fam.to_config()["pick"] == "nearest" and fam.to_config()["neighbours"] == 3
    path = tmp_path / "nearest.yaml"
    fam.to_yaml(path)
    loaded = StyleFamily.from_yaml(path)
    assert loaded.to_config() == fam.to_config() == from_config(fam.to_config()).to_config()
    assert torch.equal(loaded(x, generator=2), fam(x, generator=2))
    assert "pick" not in _graded(match=0.5).to_config()  # the default writes what it did


def test_fit_nearest_family_picks_each_reference_films_own_member(mixture):
    source, reference = mixture
    fam = fit_style_family(reference, source=source, knots=17, pick="nearest")
    assert fam.description.endswith("picked per image: nearest of 1 by quantiles")
    assert fam.match == 0 and fam.quantiles.shape == (8, 17)
    assert "tone" in fam.styles[0].stage_config  # match 0: fixed tone curves, as before
    assert fam.members_for(reference, fam.sample(8, 0)).tolist() == list(range(8))


def test_nearest_errors_name_the_fix():
    with pytest.raises(ConfigError, match="pick must be one of"):
        _graded(pick="closest")
    with pytest.raises(ConfigError, match="pick='nearest' needs every member's quantiles"):
        StyleFamily([{}, {}], pick="nearest")
    for bad in (0, 5, 1.5, True):
        with pytest.raises(ConfigError, match="neighbours must be an int"):
            _graded(pick="nearest", neighbours=bad)
    with pytest.raises(ConfigError, match="neighbours is for pick='nearest' only"):
        _graded(neighbours=2)
