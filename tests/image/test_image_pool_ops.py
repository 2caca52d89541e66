"""Ops whose work runs per sample in slices (torch's OpenMP team or a thread pool): JPEG,
impulse and shot noise clamp in their kernels' slices, with the values of the torch passes
they replace. Gamma runs NumPy's exp(gamma * log x) there, within a stated bound of
torch.pow."""

import pytest
import torch

import mmr_augment as ma
import mmr_augment.image.noise as noise_module
from mmr_augment.image._kernels.gamma import gamma_by_numpy
from mmr_augment.image._kernels.luma import rgb_round_trip
from mmr_augment.image._kernels.poisson import poisson_scaled


def large(seed: int = 0, dtype=torch.float32) -> torch.Tensor:
    return torch.rand(8, 1, 64, 72, generator=torch.Generator().manual_seed(seed), dtype=dtype)


@pytest.mark.parametrize("copies", [1, 3])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_shot_noise_divided_and_clamped_in_the_kernel_equals_the_torch_passes(copies, dtype):
    x = (large(2, dtype) * 255).round() / 255
    x[1] = torch.rand(1, 64, 72, dtype=dtype)  # off the 8-bit grid: NumPy's sampler
    photons = torch.tensor([5.0, 18.0, 60.0, 400.0, 0.5, 25.0, 10.0, 7.3], dtype=torch.float64)
    seeds = torch.arange(8) + 40
    counts = poisson_scaled(x, photons, seeds, copies=copies)
    expected = counts.div_(photons.view(-1, 1, 1, 1).to(dtype)).clamp_(0.0, 1.0)
    got = poisson_scaled(x, photons, seeds, copies=copies, unit=True)
    assert got.dtype == dtype and torch.equal(got, expected)
    one = poisson_scaled(x[:1], photons[:1], seeds[:1], copies=copies, unit=True)
    assert torch.equal(one, expected[:1])  # a batch of one divides as torch does too


@pytest.mark.parametrize("channels", ["joint", "independent"])
def test_impulse_noise_clamps_in_its_slices(channels):
    op = ma.ImpulseNoise(amount=0.2, channels=channels)
    x = large(3) * 1.6 - 0.3
    with ma.clamp_out_of_range():
        y = op.apply(x, op.sample(8, 0))
    assert y.min() >= 0 and y.max() <= 1
    # untouched pixels (80%, or 51% = 0.8 ** 3 of the grey pixels' RGB copies) and hits that
    # a clamp undoes come back as the clamped input
    kept = (y == x.clamp(0, 1)).float().mean()
    assert 0.8 < kept < 0.87 if channels == "joint" else 0.55 < kept < 0.67


def test_poisson_with_read_noise_and_rgb_round_trip_stays_clamped():
    x = large(4)
    for op in (ma.PoissonNoise(photons=5, read_std=0.2),
               ma.PoissonNoise(photons=5, read_std=0.2, grey_as_rgb=True),
               ma.PoissonNoise(photons=5, grey_as_rgb=True)):
        y = op.apply(x, op.sample(8, 1))
        assert y.min() == 0 and y.max() == 1


@pytest.mark.parametrize("gamma", [0.001, 0.4, 0.7, 1.1, 1.6, 2.0, 100.0])
def test_gamma_on_the_pool_is_within_its_stated_bound_of_torch_pow(gamma):
    x = torch.rand(4, 1, 512, 512, generator=torch.Generator().manual_seed(5))
    x[0, 0, 0, :4] = torch.tensor([0.0, 1.0, 1e-45, 1e-38])
    exponents = torch.full((4,), gamma, dtype=torch.float64)
    got = gamma_by_numpy(x, exponents, torch.empty_like(x))
    expected = torch.pow(x, torch.tensor(gamma, dtype=torch.float32))
    assert (got - expected).abs().max() <= 1.8e-7
    assert got[0, 0, 0, 0] == 0 and got[0, 0, 0, 1] == 1
    wide = gamma_by_numpy(x.double(), exponents, torch.empty_like(x, dtype=torch.float64))
    assert (wide - torch.pow(x.double(), gamma)).abs().max() <= 3e-16


def test_gamma_takes_torch_pow_with_autograd_and_is_the_identity_at_one():
    x = large(6)
    op = ma.Gamma(gamma=(0.5, 2.0))
    params = op.sample(8, 0)
    exponent = params["gamma"].float().view(-1, 1, 1, 1)
    assert torch.equal(op.apply(x.requires_grad_(), params), x.detach() ** exponent)
    assert torch.equal(ma.Gamma(gamma=1.0)(x.detach(), generator=0), x.detach())
    with ma.clamp_out_of_range():
        wide = x.detach() * 2 - 0.5
        assert torch.equal(ma.Gamma(gamma=1.0)(wide, generator=0), wide.clamp(0, 1))
    with ma.clamp_out_of_range():  # clamped first on both paths: no NaN from negative input
        y = op.apply(x.detach() * 2 - 0.5, params)
    assert torch.equal(y == 0, x.detach() <= 0.25) and not y.isnan().any()


@pytest.mark.parametrize("photons", [5.0, 40.0, 134.0])
@pytest.mark.parametrize("copies", [1, 3])
@pytest.mark.parametrize("off_grid", [False, True])
def test_shot_counts_from_the_direct_table_equal_the_guided_search(photons, copies, off_grid):
    """Four samples sharing a photon count are drawn as one run from the direct per-bucket
    table (each sample alone, when one of them is off the 8-bit grid); one sample alone takes
    the guided search. A sample's counts depend on its seed only: the same either way."""
    x = (torch.rand(4, 1, 64, 64, generator=torch.Generator().manual_seed(7)) * 255).round()
    x = x / 255
    x[:, :, :4] = 0  # black (rate 0) and white rows
    x[:, :, 4:8] = 1
    if off_grid:
        x[2, 0, 10, 10] = 0.5001
    seeds = torch.tensor([3, 4, 5, 6])
    together = poisson_scaled(x, torch.full((4,), photons), seeds, copies=copies)
    for i in range(4):
        alone = poisson_scaled(x[i:i + 1], torch.full((1,), photons), seeds[i:i + 1],
                               copies=copies)
        assert torch.equal(alone[0], together[i])


@pytest.mark.parametrize("grid", [True, False])
@pytest.mark.parametrize("size", [8, 64])  # runs of several samples, and one sample a run
def test_shot_noise_luma_in_the_slices_equals_the_round_trip_after_them(grid, size):
    x = torch.rand(6, 1, size, size, generator=torch.Generator().manual_seed(1))
    x = (x * 255).round() / 255 if grid else x
    photons, seeds = torch.tensor([5.0, 5.0, 5.0, 5.0, 60.0, 5.0]), torch.arange(6) + 11
    three = poisson_scaled(x, photons, seeds, copies=3, unit=True)
    expected = rgb_round_trip(three).clamp_(0.0, 1.0)
    got = poisson_scaled(x, photons, seeds, copies=3, unit=True, luma=True)
    assert got.shape == x.shape and torch.equal(got, expected)


@pytest.mark.parametrize("kwargs", [{"copies": 1, "unit": True}, {"copies": 3, "unit": False}])
def test_shot_noise_luma_needs_three_unit_copies_of_a_grey_image(kwargs):
    with pytest.raises(ValueError, match="luma takes a grey x"):
        poisson_scaled(torch.rand(2, 1, 4, 4), torch.tensor([5.0, 5.0]), torch.tensor([1, 2]),
                       luma=True, **kwargs)


@pytest.mark.parametrize("op", [ma.GaussianNoise(std=(0.02, 0.3), grey_as_rgb=True, p=0.6),
                                ma.SpeckleNoise(std=(0.1, 0.5), grey_as_rgb=True, p=0.6)],
                         ids=repr)
def test_rgb_round_trip_in_chunks_equals_the_batch_ops(op, monkeypatch):
    """Chunks of two samples (a small scratch forced), gated-off samples among them: the values
    of the batch path that draws the whole ``(B, 3, H, W)`` noise first."""
    x = torch.rand(9, 1, 16, 12, generator=torch.Generator().manual_seed(2))
    x[:, :, :3] = 0  # black and white rows: the channels clip on their own
    x[:, :, 3:6] = 1
    params = op.sample(9, 4)
    assert params["gate"].any() and not params["gate"].all()
    monkeypatch.setattr(noise_module, "CHUNK_VALUES", 2 * 3 * 16 * 12)
    got = op.apply(x, params)
    monkeypatch.setattr(noise_module, "eager_cpu_batch", lambda x: False)
    assert torch.equal(got, op.apply(x, params))
    with torch.enable_grad():  # autograd takes the batch ops too
        assert torch.equal(got, op.apply(x.clone().requires_grad_(), params).detach())
