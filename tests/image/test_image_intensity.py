"""Behaviour of the tone and display-mapping ops: gamma, contrast, brightness, window/level,
tone curves and inversion (the registry battery covers the shared contract)."""

import kornia
import pytest
import torch

import mmr_augment as ma
from mmr_augment.image.tone_curve import apply_lut


def params_of(**values):
    """Hand-made params for a batch: every value a list, gate all True."""
    t = {k: torch.tensor(v, dtype=torch.float64) for k, v in values.items()}
    n = len(next(iter(t.values())))
    return {**t, "gate": torch.ones(n, dtype=torch.bool)}


def ramp(b=1, n=256):
    return torch.linspace(0, 1, n).expand(b, 1, 1, n).contiguous()


# ------------------------------------------------------------------ gamma / contrast / brightness
def test_gamma_below_one_brightens_mid_grey_by_the_formula():
    y = ma.Gamma(gamma=0.5)(torch.full((1, 1, 4, 4), 0.5), generator=0)
    assert torch.allclose(y, torch.full_like(y, 0.5**0.5))
    assert ma.Gamma(gamma=2.0)(torch.full((1, 1, 1, 1), 0.5), generator=0).item() == 0.25


def test_gamma_seeded_params_and_exact_output():
    op = ma.Gamma(gamma=(0.6, 1.6))
    params = op.sample(3, torch.Generator().manual_seed(0))
    expected = torch.tensor([1.5207476841219603, 1.2450241201227648, 1.3911478921803035],
                            dtype=torch.float64)
    torch.testing.assert_close(params["gamma"], expected, rtol=0, atol=1e-12)
    x = torch.rand(3, 1, 8, 8, generator=torch.Generator().manual_seed(1))
    x[:, :, 0, :2] = torch.tensor([0.0, 1.0])
    y = op.apply(x, params)
    # exp(gamma * log x) on the CPU: within 1.8e-7 of torch.pow (_kernels/gamma.py), 0 and 1 exact
    torch.testing.assert_close(y, x ** params["gamma"].float().view(-1, 1, 1, 1), rtol=0,
                               atol=1.8e-7)
    assert torch.equal(y[:, :, 0, :2], x[:, :, 0, :2])


@pytest.mark.parametrize("name, arg, up, down", [
    ("Gamma", "gamma", 1.6, 0.4), ("Contrast", "factor", 1.6, 0.4),
    ("Brightness", "factor", 1.5, 0.5),
])
def test_direction_picks_the_medmnist_c_table(name, arg, up, down):
    cls = ma.REGISTRY[name]
    for direction, value in (("up", up), ("down", down)):
        op = cls(severity=5, direction=direction)
        assert op.sample(2, 0)[arg].tolist() == [value, value]
        assert ma.from_config(op.to_config()).sample(1, 0)[arg].item() == value
    with pytest.raises(ma.ConfigError, match="direction"):
        cls(direction="sideways")


@pytest.mark.parametrize("c", [1, 3])
def test_contrast_keeps_the_per_image_mean(c):
    x = torch.rand(4, c, 16, 16, generator=torch.Generator().manual_seed(0))
    y = ma.Contrast(factor=(0.2, 0.9))(x, generator=1)
    luma = (lambda t: kornia.color.rgb_to_grayscale(t)) if c == 3 else (lambda t: t)
    torch.testing.assert_close(luma(y).mean((1, 2, 3)), luma(x).mean((1, 2, 3)),
                               rtol=0, atol=1e-6)
    assert (y.std((1, 2, 3)) < x.std((1, 2, 3))).all()


def test_contrast_zero_gives_the_mean_image():
    x = torch.tensor([[[[0.2, 0.4], [0.6, 0.8]]]])
    assert torch.allclose(ma.Contrast(factor=0.0)(x, generator=0), torch.full_like(x, 0.5))


def test_brightness_is_a_clipped_gain_that_keeps_black():
    x = torch.tensor([[[[0.0, 0.25, 0.5, 0.9]]]])
    y = ma.Brightness(factor=1.5)(x, generator=0)
    assert y.tolist() == [[[[0.0, 0.375, 0.75, 1.0]]]]


# ------------------------------------------------------------------ window / level
def test_window_maps_centre_to_half_and_clips_outside():
    # windows [0.2, 0.4] and [0.3, 0.9]; columns: centre, below, inside, above
    x = torch.tensor([[[[0.3, 0.1, 0.35, 0.7]]], [[[0.6, 0.0, 0.45, 1.0]]]], dtype=torch.float64)
    y = ma.WindowLevel().apply(x, params_of(center=[0.3, 0.6], width=[0.2, 0.6]))
    torch.testing.assert_close(y[:, 0, 0, 0], torch.tensor([0.5, 0.5], dtype=torch.float64))
    assert y[:, 0, 0, 1].tolist() == [0.0, 0.0] and y[:, 0, 0, 3].tolist() == [1.0, 1.0]
    torch.testing.assert_close(y[:, 0, 0, 2], torch.tensor([0.75, 0.25], dtype=torch.float64))


def test_window_full_width_no_shift_is_identity_and_centres_use_both_signs():
    x = torch.rand(2, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(ma.WindowLevel(width=1.0, shift=0.0)(x, generator=0), x)
    centre = ma.WindowLevel(shift=0.1).sample(32, 3)["center"]
    assert set(centre.sub(0.5).sign().tolist()) == {-1.0, 1.0}
    torch.testing.assert_close(centre.sub(0.5).abs(), torch.full((32,), 0.1, dtype=torch.float64))


def test_window_is_relative_to_the_value_range():
    op = ma.WindowLevel(width=0.5, shift=0.0, value_range=(0.0, 4000.0))
    x = torch.tensor([[[[1000.0, 2000.0, 2500.0, 3500.0]]]])
    assert op(x, generator=0).tolist() == [[[[0.0, 2000.0, 3000.0, 4000.0]]]]


# ------------------------------------------------------------------ tone curves
@pytest.mark.parametrize("kind", ["sigmoid", "piecewise"])
def test_tone_curves_are_monotonic_and_keep_the_endpoints(kind):
    op = ma.ToneCurve(kind=kind, slope=(1.0, 50.0), midpoint=(0.1, 0.9), jitter=(0.0, 0.5),
                      points=9)
    y = op(ramp(b=32), generator=4)
    assert (y.diff(dim=-1) >= 0).all()
    torch.testing.assert_close(y[..., 0], torch.zeros(32, 1, 1), rtol=0, atol=1e-6)
    torch.testing.assert_close(y[..., -1], torch.ones(32, 1, 1), rtol=0, atol=1e-6)
    assert (y - ramp(b=32)).abs().amax(dim=(1, 2, 3)).min() > 0.01


def test_piecewise_params_are_the_seeded_sorted_curve():
    curve = ma.ToneCurve(kind="piecewise", points=4, jitter=0.1).sample(3, 0)["curve"]
    torch.testing.assert_close(curve[0], torch.tensor(
        [0.0, 0.4174828701577254, 0.6956714906912197, 1.0], dtype=torch.float64))
    assert (curve.diff(dim=1) >= 0).all()


def test_lut_with_identity_knots_is_identity_and_interpolates_linearly():
    x = torch.rand(2, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    identity = torch.linspace(0, 1, 7).expand(2, 7)
    torch.testing.assert_close(apply_lut(x, identity), x, rtol=0, atol=1e-6)
    step = torch.tensor([[0.0, 0.0, 1.0]])
    assert apply_lut(torch.tensor([[[[0.5, 0.625, 0.75]]]]), step).tolist() == [
        [[[0.0, 0.25, 0.5]]]]


@pytest.mark.parametrize("kwargs", [dict(kind="spline"), dict(points=2), dict(points=4.0),
                                    dict(slope=0.5), dict(midpoint=0.95)])
def test_tone_curve_rejects_bad_config(kwargs):
    with pytest.raises(ma.ConfigError):
        ma.ToneCurve(**kwargs)


# ------------------------------------------------------------------ invert
def test_invert_strength_one_is_exact_and_involutive():
    x = torch.rand(3, 3, 16, 16, generator=torch.Generator().manual_seed(0))
    op = ma.Invert()
    y = op(x, generator=0)
    assert torch.equal(y, 1 - x)
    assert torch.equal(op(y, generator=1), x)  # rand values are multiples of 2**-24: exact


def test_invert_partial_strength_blends_and_has_no_severity():
    x = torch.tensor([[[[0.0, 0.25, 1.0]]]] * 2)
    y = ma.Invert().apply(x, params_of(strength=[0.5, 0.25]))
    assert y.tolist() == [[[[0.5, 0.5, 0.5]]], [[[0.25, 0.375, 0.75]]]]
    with pytest.raises(ma.ConfigError, match="severity"):
        ma.Invert(severity=1)
    with pytest.raises(ma.ConfigError):
        ma.Invert(strength=1.5)
