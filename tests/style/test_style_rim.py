"""StyleFamily's rim stage: each image's border rim moved toward its member film's profile.

Films: 64 px, flat at 0.6 plus white noise of std 0.01 (or synthetic studies), with a rim
rendered by scaling the outer 8 rings of each edge by known ratios (its level; its drop below
the band just inside is then ``max(1 - ratio, 0)``). Tolerances: a fitted border profile
recovers the rendered levels within 0.01 (the noise averaged over a ring of 48-64 px) and the
drops within 0.03 (the drop's box along the edge reaches into the corners, where the next
edge's rim lies); rendered all the way (rim 1) toward a member, a rimless film's levels end
within 0.01 of the member's and its drops within 0.03, where the member's
rim is darker (a rim is darkened, never brightened, unless it is lifted); a dark rim that
varies smoothly along the edge is lifted to within 0.02 of the level just inside (the lift is
smoothed over 9 px along the edge).
"""

from __future__ import annotations

import pytest
import torch

from mmr_augment import StyleFamily, slice_params
from mmr_augment.cli import main
from mmr_augment.errors import ConfigError, InputError
from mmr_augment.extras import missing
from mmr_augment.io import write_png
from mmr_augment.style.fitting import fit_style_family
from mmr_augment.style.rim import RINGS, film_border, match_rim
from mmr_augment.synthetic import render_studies

#: Known ratios per edge (top, bottom, left, right) and ring 0..7.
RIM = torch.tensor([[0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0],
                    [0.5] * 8,
                    [1.0] * 8,
                    [1.2, 1.1, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]], dtype=torch.float64)
#: Their border profile on a flat film: the levels, then the drops.
BORDER = torch.cat([RIM, (1 - RIM).clamp_min(0)])


def flat_films(n: int = 2, level: float = 0.6, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return level + 0.01 * torch.randn(n, 1, 64, 64, generator=g)


def with_rim(x: torch.Tensor, ratios: torch.Tensor) -> torch.Tensor:
    """``x`` with ring ``k`` of each edge (each pixel counted to its nearest edge) scaled by
    ``ratios[edge, k]``."""
    h, w = x.shape[-2:]
    i = torch.arange(h).view(-1, 1).expand(h, w)
    j = torch.arange(w).view(1, -1).expand(h, w)
    dist, side = torch.stack([i, h - 1 - i, j, w - 1 - j]).min(0)
    gain = torch.ones(h, w, dtype=torch.float64)
    inner = dist < ratios.shape[1]
    gain[inner] = ratios[side[inner], dist[inner]]
    return x * gain.to(x.dtype)


def test_fitted_border_recovers_a_rendered_rim():
    films = with_rim(flat_films(), RIM)
    tolerance = torch.tensor([0.01] * 4 + [0.03] * 4, dtype=torch.float64).view(8, 1)
    assert ((film_border(films) - BORDER).abs() <= tolerance).all()
    fam = fit_style_family(films, match=0.5, knots=9, pick="nearest", rim=1.0)
    got = torch.tensor([m["border"] for m in fam.to_config()["members"]], dtype=torch.float64)
    assert ((got - BORDER).abs() <= tolerance).all()
    assert fam.rim == 1.0 and "rim moved toward the member film's" in fam.description
    plain = fit_style_family(films, match=0.5, knots=9, pick="nearest")
    assert all("border" not in m for m in plain.to_config()["members"])


def test_rim_one_gives_a_rimless_film_the_members_profile():
    fam = StyleFamily([{"border": BORDER.tolist()}], rim=1.0)
    films = flat_films()
    assert torch.allclose(film_border(films)[:, :4], torch.ones(2, 4, 8, dtype=torch.float64),
                          atol=0.01)
    y = fam(films, generator=0)
    # darker rings are darkened per edge (so their drop grows to the member's); a brighter one
    # (the right edge's rings 0-1, 1.2 and 1.1) is not brightened: a flat film's stays at 1
    assert torch.allclose(film_border(y)[:, :4], RIM.clamp(max=1.0).expand(2, 4, 8), atol=0.01)
    assert torch.allclose(film_border(y)[:, 4:], BORDER[4:].expand(2, 4, 8), atol=0.03)
    # only the outer 8 rings change
    assert torch.equal(y[..., RINGS:-RINGS, RINGS:-RINGS], films[..., RINGS:-RINGS, RINGS:-RINGS])


def test_a_dark_uneven_rim_is_lifted_to_the_level_inside():
    films = flat_films(1)
    along = torch.linspace(0, 3.14159, 64)
    films[..., -3:, :] *= (0.1 + 0.8 * along.sin()).clamp(max=1.0)  # dark, uneven, at the bottom
    band = films[0, 0, -16:-8, 8:-8].mean()
    rim = films[0, 0, -3:, 8:-8]
    assert float((band - rim).max()) > 0.3
    even = torch.cat([torch.ones(1, 4, RINGS), torch.zeros(1, 4, RINGS)], 1).double()
    flat = match_rim(films, even, 1.0)
    assert float((flat[0, 0, -3:, 8:-8] - band).abs().max()) < 0.02
    # half strength: about half of the way
    half = match_rim(films, even, 0.5)
    torch.testing.assert_close(half[0, 0, -3:, 8:-8], (rim + flat[0, 0, -3:, 8:-8]) / 2,
                               rtol=0, atol=0.005)
    # a member whose drop is half the film's: the drop halved, where the rim is dark along it
    before = film_border(films)
    target = before.clone()
    target[0, 5, :3] /= 2
    target[0, 1, :3] = 1.0  # a level the lift alone reaches, so nothing is darkened
    part = match_rim(films, target, 1.0)
    torch.testing.assert_close(film_border(part)[0, 5, :3], target[0, 5, :3], rtol=0, atol=0.02)
    lift = part[0, 0, -1, 8:-8] - films[0, 0, -1, 8:-8]
    assert float(lift[:8].mean()) > 2 * float(lift[20:28].mean())  # dark ends, bright middle


def test_a_rim_brighter_than_the_members_is_darkened_per_edge_keeping_its_unevenness():
    films = flat_films(1)
    films[..., -3:, :] *= 0.8 + 0.2 * torch.linspace(0, 6.0, 64).sin()  # uneven, not dark
    y = match_rim(films, torch.cat([torch.full((1, 4, RINGS), 0.4),
                                    torch.ones(1, 4, RINGS)], 1).double(), 1.0)
    gain = y[0, 0, -3:, 8:-8] / films[0, 0, -3:, 8:-8]
    # not lifted: one gain per ring of the edge, so the rim keeps its shape along the edge
    torch.testing.assert_close(gain, gain[:, :1].expand(3, 48), rtol=0, atol=1e-6)
    assert film_border(y)[0, 1, :3].tolist() == pytest.approx([0.4] * 3, abs=0.01)


def test_rim_zero_is_todays_family_bit_for_bit():
    films = render_studies(torch.arange(6), 64, 0).images.float()
    members = [{"style": {"noise": {"photons": 300.0}}, "quantiles": [0.0, 0.3, 1.0]},
               {"style": {"mtf": {"sigma": 1.0}}, "quantiles": [0.1, 0.6, 1.0]}]
    today = StyleFamily(members, match=0.5, pick="nearest")
    noted = StyleFamily([{**m, "border": BORDER.tolist()} for m in members], match=0.5,
                        pick="nearest")
    assert torch.equal(noted.apply(films, noted.sample(6, 3)), today.apply(films,
                                                                          today.sample(6, 3)))
    assert "rim" not in noted.to_config()


def test_rim_replays_by_sample_and_slices():
    fam = StyleFamily([{"quantiles": [0.0, 0.3, 1.0], "border": BORDER.tolist()},
                       {"quantiles": [0.1, 0.6, 1.0], "border": (BORDER * 0.5).tolist()}],
                      pick="nearest", rim=0.7)
    films = with_rim(render_studies(torch.arange(5), 64, 0).images.float(), RIM.flip(0))
    films = films.clamp(0, 1)
    params = fam.sample(5, 1)
    y = fam.apply(films, params)
    assert torch.equal(y, fam.apply(films, fam.sample(5, 1)))
    rows = torch.tensor([3, 0])
    assert torch.equal(fam.apply(films[rows], slice_params(params, rows)), y[rows])


def test_rim_round_trips_through_yaml(tmp_path):
    fam = StyleFamily([{"quantiles": [0.0, 0.3, 1.0], "border": BORDER.tolist()},
                       {"quantiles": [0.1, 0.6, 1.0], "border": (BORDER * 0.5).tolist()}],
                      pick="nearest", rim=0.5)
    fam.to_yaml(tmp_path / "family.yaml")
    back = StyleFamily.from_yaml(tmp_path / "family.yaml")
    assert back.to_config() == fam.to_config()
    assert back.rim == 0.5
    assert torch.equal(back.border, fam.border)
    films = flat_films(4)
    params = fam.sample(4, 0)
    assert torch.equal(back.apply(films, params), fam.apply(films, params))


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"rim": 1.5}, "rim must be a number in \\[0, 1\\]"),
    ({"rim": True}, "rim must be a number"),
    ({"rim": 0.5, "members": [{}]}, "rim > 0 needs every member's border"),
    ({"members": [{"border": BORDER.tolist()}, {}]}, "give a border for every member or none"),
    ({"members": [{"border": BORDER.tolist()}, {"border": BORDER[:, :4].tolist()}]},
     "with the same number of rings"),
    ({"members": [{"border": RIM.tolist()}]}, "border must be 8 lists"),
    ({"members": [{"border": (-BORDER).tolist()}]}, "numbers in \\[0, 16\\]"),
])
def test_rim_errors_name_the_fix(kwargs, match):
    args = {"members": [{"border": BORDER.tolist()}], **kwargs}
    with pytest.raises(ConfigError, match=match):
        StyleFamily(**args)


def test_rim_refuses_bad_fit_arguments_and_small_films():
    with pytest.raises(ConfigError, match="fit_style_family: rim must be a number"):
        fit_style_family(flat_films(), rim=-0.1)
    fam = StyleFamily([{"border": BORDER.tolist()}], rim=1.0)
    with pytest.raises(InputError, match="films need more than 4 x 8 px per side"):
        fam(torch.rand(1, 1, 32, 64), generator=0)


@pytest.mark.skipif(bool(missing("tqdm")), reason="needs the preview extra (tqdm)")
def test_fit_style_command_writes_a_family_with_a_rim(tmp_path, capsys, torch_threads):
    torch_threads(1)
    site = tmp_path / "site"
    site.mkdir()
    for i, film in enumerate(render_studies(torch.arange(3), 40, 0).images):
        write_png(site / f"film{i}.png", film)
    out = tmp_path / "family.yaml"
    assert main(["fit-style", str(site), "--out", str(out), "--size", "0", "--search-films",
                 "3", "--knots", "9", "--family", "--match", "0.5", "--pick", "nearest",
                 "--rim", "0.5"]) == 0
    assert "rim moved toward the member film's (strength 0.5)" in capsys.readouterr().out
    fam = StyleFamily.from_yaml(out)
    assert fam.rim == 0.5 and fam.border.shape == (3, 8, RINGS)


@pytest.mark.slow
def test_rim_is_one_graph_for_every_batch():
    graphs = []

    def backend(gm, example_inputs):
        graphs.append(gm)
        return gm.forward

    torch._dynamo.reset()
    fam = StyleFamily([{"quantiles": [0.0, 0.3, 1.0], "border": BORDER.tolist()},
                       {"quantiles": [0.1, 0.6, 1.0], "border": (BORDER * 0.5).tolist()}],
                      pick="nearest", rim=0.7)
    compiled = torch.compile(fam.apply, backend=backend, fullgraph=True)
    for seed in range(3):  # gains and lifts differ per batch: one graph
        films = flat_films(3, 0.3 + 0.2 * seed, seed)
        params = fam.sample(3, seed)
        torch.testing.assert_close(compiled(films, params), fam.apply(films, params))
    torch._dynamo.reset()
    assert len(graphs) == 1
