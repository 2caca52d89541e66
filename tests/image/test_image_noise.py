"""What is special to the noise families: Poisson statistics, speckle on black, impulse counts."""

import math

import numpy as np
import pytest
import torch

import mmr_augment.image._kernels.impulse as impulse_module
import mmr_augment.image.noise as noise_module
from mmr_augment import (
    ConfigError,
    GaussianNoise,
    ImpulseNoise,
    PoissonNoise,
    SpeckleNoise,
    clamp_out_of_range,
)
from mmr_augment._rng import draw_row, normal
from mmr_augment.image._kernels.impulse import outcome_table, uint32_draws
from mmr_augment.image._kernels.poisson import poisson_counts, poisson_scaled
from mmr_augment.image.noise import LUMA


def flat(level: float, b: int = 4, c: int = 1, size: int = 64, dtype=torch.float32):
    return torch.full((b, c, size, size), level, dtype=dtype)


def poisson_pmf(k: torch.Tensor, rate: float) -> torch.Tensor:
    k = k.to(torch.float64)
    return torch.exp(k * math.log(rate) - rate - torch.lgamma(k + 1.0))


def chi_square_against_exact(counts: torch.Tensor, rate: float) -> tuple[float, int]:
    """Pearson's statistic against the exact pmf, cells pooled to an expected count >= 20."""
    n = counts.numel()
    top = int(rate + 12 * rate**0.5 + 20)
    observed = torch.bincount(counts.flatten().long(), minlength=top + 1)[: top + 1].double()
    expected = poisson_pmf(torch.arange(top + 1), rate) * n
    observed[-1] += n - observed.sum()  # the last cell takes the tail
    expected[-1] += n - expected.sum()
    stat, cells, o_acc, e_acc = 0.0, 0, 0.0, 0.0
    for o, e in zip(observed.tolist(), expected.tolist(), strict=True):
        o_acc, e_acc = o_acc + o, e_acc + e
        if e_acc >= 20:
            stat, cells, o_acc, e_acc = stat + (o_acc - e_acc) ** 2 / e_acc, cells + 1, 0.0, 0.0
    stat += (o_acc - e_acc) ** 2 / max(e_acc, 1e-9) if e_acc else 0.0
    return stat, cells - 1


@pytest.mark.parametrize("rate", [0.05, 0.7, 3.0, 9.5, 19.0, 40.0, 250.0])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_poisson_counts_follow_the_exact_law_per_rate_band(rate, dtype):
    r = torch.full((4, 25_000), rate, dtype=dtype)
    n = poisson_counts(r, torch.tensor([11, 12, 13, 14]))
    assert n.dtype == dtype and torch.equal(n, n.round())
    size = n.numel()
    assert abs(n.mean().item() - rate) < 4.5 * (rate / size) ** 0.5  # 4.5 standard errors
    assert n.var().item() == pytest.approx(rate, rel=6 * (2 / size) ** 0.5 + 4.5 / size**0.5)
    stat, dof = chi_square_against_exact(n, rate)
    assert stat < dof + 5 * (2 * max(dof, 1)) ** 0.5, (stat, dof)  # far beyond p = 0.001


def test_poisson_counts_per_sample_streams_and_zero_rate():
    r = torch.full((3, 500), 4.0)
    r[:, :50] = 0.0
    a = poisson_counts(r, torch.tensor([1, 2, 1]))
    assert (a[:, :50] == 0).all()
    assert torch.equal(a[0], a[2]) and not torch.equal(a[0], a[1])  # the seed decides
    assert torch.equal(a[1:2], poisson_counts(r[1:2], torch.tensor([2])))  # slices replay
    assert not torch.equal(a, poisson_counts(r, torch.tensor([1, 2, 1]), stream=1))


def test_poisson_sampler_large_rate_moments():
    r = torch.full((2, 50_000), 1e4, dtype=torch.float64)
    n = poisson_counts(r, torch.tensor([3, 4]))
    assert abs(n.mean().item() - 1e4) < 1.0  # standard error 0.3
    assert abs(n.var().item() / 1e4 - 1.0) < 0.03


def test_poisson_noise_variance_grows_with_intensity():
    op = PoissonNoise(photons=20)
    stats = {}
    for level in (0.1, 0.5):  # low enough that clamping at 1 is negligible
        x = flat(level)
        y = op(x, generator=0)
        stats[level] = ((y - x).mean().item(), y.var().item())
    for level, (bias, var) in stats.items():
        assert abs(bias) < 0.01
        assert var == pytest.approx(level / 20, rel=0.1)
    assert stats[0.5][1] > 4 * stats[0.1][1]


def test_poisson_black_stays_black_and_read_noise_is_additive():
    assert torch.equal(PoissonNoise(photons=(5, 60))(flat(0.0), generator=1), flat(0.0))
    x = flat(0.5, dtype=torch.float64)
    y = PoissonNoise(photons=1e6, read_std=0.05)(x, generator=2)  # shot noise negligible
    assert y.dtype == torch.float64
    assert y.std().item() == pytest.approx(0.05, rel=0.05)


def test_poisson_severity_uses_medmnist_photon_counts():
    counts = [PoissonNoise(severity=s).sample(2, 0)["photons"][0].item() for s in range(1, 6)]
    assert counts == [60, 25, 18, 10, 5]


def test_speckle_is_zero_on_black_and_scales_with_signal():
    x = flat(0.0)
    x[..., 32:] = 0.5
    y = SpeckleNoise(std=0.2)(x, generator=0)
    assert torch.equal(y[..., :32], x[..., :32])
    assert y[..., 32:].std().item() == pytest.approx(0.5 * 0.2, rel=0.05)


@pytest.mark.parametrize("amount", [0.02, 0.1, 0.3])
def test_impulse_changes_the_requested_fraction_in_all_channels(amount):
    x = flat(0.5, c=3)
    y = ImpulseNoise(amount=amount, salt_ratio=0.25)(x, generator=5)
    hit = y != 0.5
    assert torch.equal(hit.all(dim=1), hit.any(dim=1))  # a pixel is hit in every channel
    assert hit[:, 0].float().mean().item() == pytest.approx(amount, rel=0.1)
    salt = (y[:, 0] == 1.0).sum() / hit[:, 0].sum()
    assert salt.item() == pytest.approx(0.25, abs=0.05)
    assert set(y.unique().tolist()) <= {0.0, 0.5, 1.0}


def test_impulse_amount_zero_is_identity():
    x = flat(0.3)
    assert torch.equal(ImpulseNoise(amount=0.0)(x, generator=0), x)


@pytest.mark.parametrize("make", [
    lambda: PoissonNoise(photons=0),
    lambda: PoissonNoise(read_std=-0.1),
    lambda: SpeckleNoise(std=(0.3, 0.1)),
    lambda: ImpulseNoise(amount=1.5),
    lambda: ImpulseNoise(salt_ratio="half"),
])
def test_bad_arguments_raise_config_error(make):
    with pytest.raises(ConfigError):
        make()


def test_impulse_outcomes_of_three_channels_follow_their_probabilities():
    # grey through its RGB copy: each of the 27 channel combinations with its own probability
    amount, ratio = 0.3, 0.4
    edge, keep, add = outcome_table(amount, ratio, 3, LUMA)
    assert len(edge) == 26 and bool((edge[1:] >= edge[:-1]).all())
    assert edge[-1] == round((1 - (1 - amount) ** 3) * 2**32)
    x = flat(0.5, b=8, size=128)
    y = ImpulseNoise(amount=amount, salt_ratio=ratio, channels="independent")(x, generator=2)
    values = y.flatten().double()
    assert (values == 0.5).double().mean().item() == pytest.approx((1 - amount) ** 3, abs=5e-3)
    n = values.numel()
    for k in (0, 1, 12, 25):  # salt in B only, pepper in B only, ..., pepper in all three
        p = (edge[k] - (edge[k - 1] if k else 0)) / 2**32
        hit = (values - (0.5 * keep[k] + add[k])).abs() < 1e-6
        assert hit.double().mean().item() == pytest.approx(p, abs=4 * (p / n) ** 0.5 + 1e-4)


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("amount, ratio", [(0.2, 0.3), (1.0, 1.0), (1.0, 0.0), (0.05, 0.5)])
def test_one_channel_impulse_is_its_definition_from_the_draws(channels, amount, ratio):
    # each pixel's uint32 draw r: r < edge[0] salt, r < edge[1] pepper, else kept
    x = torch.rand(3, channels, 17, 23, generator=torch.Generator().manual_seed(4))
    op = ImpulseNoise(amount=amount, salt_ratio=ratio)
    params = op.sample(3, 8)
    y = op.apply(x, params)
    (edge_salt, edge_hit), _, _ = outcome_table(amount, ratio, 1, (1.0,))
    for i, seed in enumerate(params["seed"].tolist()):
        words = uint32_draws(np.random.PCG64([seed, 0]), 17 * 23)
        r = torch.from_numpy(words.astype(np.int64)).view(17, 23)
        expected = torch.where(r < edge_salt, 1.0, torch.where(r < edge_hit, 0.0, x[i]))
        assert torch.equal(y[i], expected)


@pytest.mark.parametrize("amount", [0.01, 0.1, 0.3, 0.9])
@pytest.mark.parametrize("channels, c", [("joint", 3), ("independent", 3), ("independent", 1)])
def test_impulse_dense_table_path_gives_the_hit_list_values(monkeypatch, amount, channels, c):
    # every unit through the bucket table (x * 1 + 0 where nothing is hit) or only the hit
    # units: the same values, bit for bit, on input in and out of [0, 1] (clamped after)
    op = ImpulseNoise(amount=amount, salt_ratio=0.3, channels=channels)
    x = torch.rand(4, c, 30, 34, generator=torch.Generator().manual_seed(6)) * 1.4 - 0.2
    params = op.sample(4, 9)
    got = {}
    for path, hits in (("dense", 0.0), ("sparse", 1.0)):
        monkeypatch.setattr(impulse_module, "DENSE_HITS", hits)
        with clamp_out_of_range():
            got[path] = op.apply(x, params)
    assert torch.equal(got["dense"], got["sparse"])
    assert bool((got["dense"] != x.clamp(0, 1)).any())


def test_impulse_noise_is_per_sample_and_amount_one_hits_everything():
    op = ImpulseNoise(amount=(0.05, 0.5), salt_ratio=(0.2, 0.8), channels="independent")
    x = torch.rand(5, 3, 20, 24, generator=torch.Generator().manual_seed(0))
    params = op.sample(5, torch.Generator().manual_seed(1))
    y = op.apply(x, params)
    part = {k: v[2:4] for k, v in params.items()}
    assert torch.equal(op.apply(x[2:4], part), y[2:4])  # a batch slice reproduces its samples
    assert set((y != x).float().mean(dim=(1, 2, 3)).round(decimals=2).tolist()) != {0.0}
    full = ImpulseNoise(amount=1.0, salt_ratio=0.5)(x, generator=0)
    assert set(full.unique().tolist()) == {0.0, 1.0}
    assert torch.equal(full.amin(dim=1), full.amax(dim=1))  # joint: all channels at once


@pytest.mark.parametrize("photons,level", [(134.0, 255), (134.0, 40), (60.0, 128), (11.0, 200),
                                           (5.0, 3), (300.0, 255)])
def test_poisson_tables_follow_the_exact_law_on_8_bit_images(photons, level):
    x = torch.full((4, 1, 100, 100), level / 255)
    n = poisson_scaled(x, torch.full((4,), photons), torch.tensor([1, 2, 3, 4]))
    rate = (torch.tensor(level / 255, dtype=torch.float32) * photons).item()
    assert torch.equal(n, n.round()) and n.dtype == torch.float32
    assert abs(n.mean().item() - rate) < 4.5 * (rate / n.numel()) ** 0.5
    stat, dof = chi_square_against_exact(n, rate)
    assert stat < dof + 5 * (2 * max(dof, 1)) ** 0.5, (stat, dof)


@pytest.mark.parametrize("photons", [134.0, 11.0])
def test_poisson_tables_give_the_inverse_cdf_of_the_sample_uniforms(photons):
    # every count is the first whose CDF exceeds the pixel's uniform, also where the guide
    # table starts far below it (the lowest bucket: finished by bisection)
    from mmr_augment.image._kernels.poisson import _level_tables
    levels = torch.arange(256).repeat(100)
    x = (levels.float() / 255).view(1, 1, 100, 256)
    n = poisson_scaled(x, torch.tensor([photons]), torch.tensor([9]))
    _, cdf, _, width = _level_tables(photons, "float32")
    u = np.random.default_rng([9, 0]).random(levels.numel())
    table = cdf.reshape(256, width)
    expected = [np.searchsorted(table[j], u[i], side="right") for i, j in enumerate(levels)]
    assert n.flatten().long().tolist() == expected


def test_poisson_off_the_8_bit_grid_adds_the_remainder_exactly():
    # 90% on the grid, 10% between levels: those get the table count plus NumPy's remainder
    x = torch.full((4, 1, 100, 100), 100 / 255)
    x[..., :10] = 100.4 / 255
    n = poisson_scaled(x, torch.full((4,), 50.0), torch.tensor([5, 6, 7, 8]))
    off = n[..., :10]
    rate = (torch.tensor(100.4 / 255, dtype=torch.float32) * 50.0).item()
    stat, dof = chi_square_against_exact(off, rate)
    assert stat < dof + 5 * (2 * max(dof, 1)) ** 0.5, (stat, dof)
    assert abs(off.mean().item() - rate) < 4.5 * (rate / off.numel()) ** 0.5


def test_poisson_scaled_falls_back_to_numpy_and_replays_slices():
    g = torch.Generator().manual_seed(0)
    smooth = torch.rand(3, 1, 30, 30, generator=g)  # not 8-bit: NumPy's sampler, same stream
    photons, seeds = torch.tensor([20.0, 400.0, 60.0]), torch.tensor([4, 5, 6])
    n = poisson_scaled(smooth, photons, seeds)
    assert torch.equal(n, poisson_counts(smooth * photons.view(-1, 1, 1, 1), seeds))
    grid = (smooth * 255).round() / 255
    grid[:, :, :5] = -0.01  # below black: no counts
    m = poisson_scaled(grid, photons, seeds)
    assert torch.equal(m[1:], poisson_scaled(grid[1:], photons[1:], seeds[1:]))
    assert not torch.equal(m[0], poisson_counts(grid * 20.0, seeds)[0])  # the tables' stream
    assert (m[:, :, :5] == 0).all()


def test_poisson_copies_draw_as_the_repeated_image_does():
    g = torch.Generator().manual_seed(0)
    x = (torch.rand(5, 1, 40, 30, generator=g) * 255).round() / 255
    x[1, :, :3] = 0.3  # partly off the grid
    x[2] = torch.rand(1, 40, 30, generator=g)  # not 8-bit
    photons, seeds = torch.tensor([20.0, 60.0, 11.0, 400.0, 134.0]), torch.arange(5)
    three = poisson_scaled(x, photons, seeds, copies=3)
    assert three.shape == (5, 3, 40, 30)
    assert torch.equal(three, poisson_scaled(x.expand(-1, 3, -1, -1), photons, seeds))
    assert not torch.equal(three[:, 0], three[:, 1])


@pytest.mark.parametrize("op", [GaussianNoise(std=(0.02, 0.2), p=0.5),
                                GaussianNoise(std=0.1, grey_as_rgb=True, p=0.5),
                                SpeckleNoise(std=(0.05, 0.3), p=0.5)], ids=repr)
def test_gated_off_samples_are_not_drawn_and_values_do_not_change(op, monkeypatch):
    x = torch.rand(8, 1, 16, 16, generator=torch.Generator().manual_seed(0))
    params = op.sample(8, 3)
    gate = params["gate"]
    assert gate.any() and not gate.all()
    on = {**params, "gate": torch.ones_like(gate)}  # every sample drawn, then the gate picks
    expected = torch.where(gate.view(-1, 1, 1, 1), op.apply(x, on), x)
    drawn = []  # rows drawn: a batch draw, or one row at a time (the RGB round trip's slices)
    monkeypatch.setattr(noise_module, "normal",
                        lambda seeds, *a, **k: drawn.append(len(seeds)) or normal(seeds, *a, **k))
    monkeypatch.setattr(noise_module, "draw_row",
                        lambda *a, **k: drawn.append(1) or draw_row(*a, **k))
    assert torch.equal(op.apply(x, params), expected)
    assert sum(drawn) == int(gate.sum())
