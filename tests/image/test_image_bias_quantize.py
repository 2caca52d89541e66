"""Behaviour of the bias field and bit-depth quantisation ops."""

import pytest
import torch

import mmr_augment as ma
from mmr_augment.core import params_to_json
from mmr_augment.image.bias_field import bias_field, polynomial_terms


def high_frequency_ratio(img: torch.Tensor) -> float:
    """Energy of the discrete Laplacian over the variance: ~20 for white noise, ~0 if smooth."""
    lap = (img[..., 1:-1, 2:] + img[..., 1:-1, :-2] + img[..., 2:, 1:-1] + img[..., :-2, 1:-1]
           - 4 * img[..., 1:-1, 1:-1])
    return (lap.pow(2).mean() / img.var()).item()


# ------------------------------------------------------------------ bias field
def test_bias_field_is_smooth_compared_with_noise():
    flat = torch.full((4, 1, 64, 64), 0.4)
    y = ma.BiasField(coefficients=0.5)(flat, generator=0)
    noise = ma.GaussianNoise(std=0.05)(flat, generator=0)
    assert high_frequency_ratio(y) < 1e-3
    assert high_frequency_ratio(noise) > 10


def odds(x):
    return x / (1 - x)


def test_bias_field_multiplies_the_odds_and_keeps_zero_and_one():
    op = ma.BiasField(coefficients=0.3)
    params = op.sample(3, torch.Generator().manual_seed(1))
    g = torch.Generator().manual_seed(2)
    a, b = 0.9 * torch.rand(3, 1, 16, 16, generator=g), 0.9 * torch.rand(3, 1, 16, 16, generator=g)
    a, b = a.double(), b.double()
    torch.testing.assert_close(odds(op.apply(a, params)) / odds(a),
                               odds(op.apply(b, params)) / odds(b))
    assert torch.equal(op.apply(torch.zeros(3, 3, 16, 16), params), torch.zeros(3, 3, 16, 16))
    assert torch.equal(op.apply(torch.ones(3, 1, 16, 16), params), torch.ones(3, 1, 16, 16))


def test_bias_field_never_saturates_a_bright_film():
    # the former x * field form sent up to 3/4 of a bright film to >= 0.99 at c = 0.5
    film = torch.full((8, 1, 32, 32), 0.9)
    y = ma.BiasField(coefficients=0.5)(film, generator=0)
    assert float(y.max()) < 0.99 and float(y.min()) > 0.5


def test_bias_field_seeded_coefficients_and_formula():
    params = ma.BiasField(coefficients=0.2, order=1).sample(3, 0)
    torch.testing.assert_close(params["coefficients"][0], torch.tensor(
        [0.16829907364878413, 0.05800964804910591, 0.11645915687212148], dtype=torch.float64))
    assert polynomial_terms(1) == [(0, 0), (0, 1), (1, 0)]
    c = params["coefficients"][:1]
    field = bias_field(c, 1, 3, 3, torch.device("cpu"), torch.float64)
    # corner (y=-1, x=+1): exp(c00 - c01 + c10) with the (i, j) = (x power, y power) order
    assert field[0, 0, 0, 2].item() == pytest.approx(torch.exp(c[0, 0] - c[0, 1] + c[0, 2]).item())


def test_bias_field_params_stay_small():
    params = ma.BiasField(order=5).sample(4, 0)
    per_sample = sum(t[0].numel() * t.element_size() for t in params.values())
    assert per_sample < 1024
    assert len(str(params_to_json(params))) < 4 * 1024


@pytest.mark.parametrize("order", [0, 6, 2.0, True])
def test_bias_field_rejects_bad_order(order):
    with pytest.raises(ma.ConfigError, match="order"):
        ma.BiasField(order=order)


def test_bias_field_params_of_another_order_are_refused():
    params = ma.BiasField(order=2).sample(1, 0)
    with pytest.raises(ma.InputError, match="order"):
        ma.BiasField(order=3).apply(torch.rand(1, 1, 8, 8), params)


# ------------------------------------------------------------------ quantize
@pytest.mark.parametrize("bits", [1, 2, 3, 5, 8])
def test_quantize_gives_at_most_two_to_the_bits_levels_on_the_grid(bits):
    x = torch.rand(2, 3, 32, 32, generator=torch.Generator().manual_seed(bits))
    y = ma.Quantize(bits=bits)(x, generator=0)
    levels = 2**bits - 1
    assert y.unique().numel() <= 2**bits
    torch.testing.assert_close(y * levels, (y * levels).round(), rtol=0, atol=1e-4)
    assert (y - x).abs().max() <= 0.5 / levels + 1e-6


def test_quantize_uses_each_samples_bits():
    ramp = torch.linspace(0, 1, 1000).expand(3, 1, 1, 1000)
    params = {"bits": torch.tensor([1, 2, 4]), "gate": torch.ones(3, dtype=torch.bool)}
    y = ma.Quantize().apply(ramp, params)
    assert [y[i].unique().numel() for i in range(3)] == [2, 4, 16]
    assert y.shape == ramp.shape


@pytest.mark.parametrize("bits", [0, 17, 4.5, (2, 20)])
def test_quantize_rejects_bad_bits(bits):
    with pytest.raises(ma.ConfigError, match="bits"):
        ma.Quantize(bits=bits)
