"""What is special to the noise families: Poisson statistics, speckle on black, impulse counts."""

import pytest
import torch

from mmr_augment import ConfigError, ImpulseNoise, PoissonNoise, SpeckleNoise
from mmr_augment._rng import uniform
from mmr_augment.image._kernels.poisson import poisson_counts, poisson_quantile


def flat(level: float, b: int = 4, c: int = 1, size: int = 64, dtype=torch.float32):
    return torch.full((b, c, size, size), level, dtype=dtype)


def inverse_cdf_reference(rate: torch.Tensor, seeds: torch.Tensor) -> torch.Tensor:
    """Textbook inverse CDF, count = #{k : u > F(k)}, on the sampler's own uniforms."""
    u = uniform(seeds, tuple(rate.shape[1:]), rate.device).to(torch.float64).clamp(2.0**-25)
    top = int(rate.max() + 12 * rate.max() ** 0.5 + 30)
    k = torch.arange(top, dtype=torch.float64).view(-1, *([1] * rate.ndim))
    cdf = torch.special.gammaincc(k + 1.0, rate.to(torch.float64)[None])
    return (u[None] > cdf).sum(dim=0).to(torch.float64)


@pytest.mark.parametrize("rate", [0.02, 0.7, 4.0, 19.5, 33.0, 250.0])
def test_poisson_sampler_is_the_exact_inverse_cdf(rate):
    r = torch.full((3, 2000), rate, dtype=torch.float64)
    r[:, ::2] *= 0.5  # two rates per row
    seeds = torch.tensor([11, 12, 13])
    assert torch.equal(poisson_counts(r, seeds), inverse_cdf_reference(r, seeds))


@pytest.mark.parametrize("rate", [1e-4, 0.5, 8.0, 60.0, 3000.0])
def test_poisson_quantile_at_the_ends_of_the_unit_interval(rate):
    r = torch.full((3,), rate, dtype=torch.float64)
    u = torch.tensor([2.0**-25, 0.5, 1.0 - 2.0**-25], dtype=torch.float64)  # extreme uniforms
    k = poisson_quantile(r, u)
    assert torch.isfinite(k).all() and k[0] <= k[1] <= k[2]
    cdf = torch.special.gammaincc(k + 1.0, r)  # F(k); the quantile is the first k with u <= F
    below = torch.special.gammaincc(k, r).where(k > 0, torch.zeros_like(r))  # F(k - 1)
    assert (u <= cdf).all() and (u > below).all()


def test_poisson_sampler_large_rate_moments_and_zero_rate():
    r = torch.full((2, 50_000), 1e4, dtype=torch.float64)
    r[:, :100] = 0.0
    n = poisson_counts(r, torch.tensor([3, 4]))
    assert (n[:, :100] == 0).all()
    big = n[:, 100:]
    assert abs(big.mean().item() - 1e4) < 1.0  # standard error 0.3
    assert abs(big.var().item() / 1e4 - 1.0) < 0.03


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
