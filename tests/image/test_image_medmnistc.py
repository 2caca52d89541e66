"""The MedMNIST-C protocol against MedMNIST-C's own formulas, recomputed here with NumPy / PIL
(grey -> RGB, corrupt each channel, ``.astype(uint8)``, ``convert("L")``), no dependency on it."""

import numpy as np
import pytest
import torch
from PIL import Image, ImageEnhance

from mmr_augment.errors import ConfigError
from mmr_augment.medmnistc import (
    CHEST_CORRUPTIONS,
    LUMA_NOISE_SCALE,
    medmnistc_op,
    medmnistc_policy,
)

PUBLISHED = {  # medmnistc/corruptions/registry.py, "chestmnist"
    "pixelate": [0.30, 0.25, 0.20, 0.15, 0.10], "jpeg_compression": [50, 30, 15, 10, 7],
    "gaussian_noise": [0.04, .08, .12, 0.18, 0.26], "speckle_noise": [0.05, 0.15, 0.2, 0.35, 0.45],
    "impulse_noise": [0.01, 0.03, 0.06, 0.09, 0.17], "shot_noise": [60, 25, 18, 10, 5],
    "gaussian_blur": [3, 5, 7, 9, 11], "brightness_up": [1.1, 1.2, 1.3, 1.4, 1.5],
    "brightness_down": [0.9, 0.8, 0.7, 0.6, 0.5], "contrast_up": [1.1, 1.2, 1.3, 1.4, 1.6],
    "contrast_down": [0.9, 0.8, 0.7, 0.6, 0.4], "gamma_corr_up": [1.1, 1.2, 1.3, 1.4, 1.6],
    "gamma_corr_down": [0.9, 0.8, 0.7, 0.6, 0.4],
}


def medmnistc_noise(level, name, value, n=200_000, seed=0):
    """MedMNIST-C's noise corruptions on a flat grey image, through its RGB round trip."""
    rng = np.random.default_rng(seed)
    img = np.full((n, 1, 3), round(level * 255), np.uint8) / 255.0
    if name == "gaussian_noise":
        out = np.clip(img + rng.normal(size=img.shape, scale=value), 0, 1)
    elif name == "speckle_noise":
        out = np.clip(img + img * rng.normal(size=img.shape, scale=value), 0, 1)
    elif name == "shot_noise":
        out = np.clip(rng.poisson(img * value) / value, 0, 1)
    else:  # skimage random_noise(mode="s&p"): each element independently, salt half the time
        hit, salt = rng.random(img.shape) < value, rng.random(img.shape) < 0.5
        out = np.where(hit, salt.astype(float), img)
    rgb = (out * 255).astype(np.uint8)
    return np.asarray(Image.fromarray(rgb).convert("L"), dtype=np.float64)[:, 0] / 255


def ours(name, severity, x, exact=False):
    return medmnistc_op(name, severity, exact)(x, generator=1)


def medmnistc_float_noise(level, name, value, n=200_000, seed=0):
    """MedMNIST-C's noise through its RGB round trip up to the clip, before its 8-bit storage:
    each channel clipped to [0, 1], luma back in floating point."""
    rng = np.random.default_rng(seed)
    img = np.full((n, 3), level)
    if name == "gaussian_noise":
        out = img + rng.normal(size=img.shape, scale=value)
    elif name == "speckle_noise":
        out = img + img * rng.normal(size=img.shape, scale=value)
    else:
        out = rng.poisson(img * value) / value
    return np.clip(out, 0, 1) @ np.array([0.299, 0.587, 0.114])


def test_table_is_medmnistc_chest_row_and_effective_values():
    assert {k: list(v.values) for k, v in CHEST_CORRUPTIONS.items()} == PUBLISHED
    assert pytest.approx(0.6686, abs=1e-4) == LUMA_NOISE_SCALE
    assert medmnistc_op("gaussian_noise", 3).std.values[0] == pytest.approx(0.12 * 0.6686, 1e-3)
    assert medmnistc_op("shot_noise", 1).photons.values[0] == pytest.approx(60 / 0.44697, 1e-3)
    assert medmnistc_op("impulse_noise", 2).channels == "independent"
    with pytest.raises(ConfigError, match="choose from"):
        medmnistc_op("zoom_blur", 1)
    with pytest.raises(ConfigError, match="1-5"):
        medmnistc_op("pixelate", 6)


@pytest.mark.parametrize("name,severity,level", [
    ("gaussian_noise", 1, 0.5), ("gaussian_noise", 5, 0.5), ("speckle_noise", 3, 0.4),
    ("speckle_noise", 5, 0.4), ("shot_noise", 1, 0.3), ("shot_noise", 5, 0.3),
])
def test_noise_strength_matches_the_rgb_round_trip(name, severity, level):
    value = PUBLISHED[name][severity - 1]
    x = torch.full((4, 1, 250, 200), round(level * 255) / 255)
    level = x[0, 0, 0, 0].item()
    theirs = medmnistc_noise(level, name, value)
    y = ours(name, severity, x).double()
    # mean absolute change, the benchmark's strength measure; MedMNIST-C clips each channel
    # before the luma, which its single-channel equivalent cannot copy exactly (about 4% at
    # Gaussian severity 5)
    change = (y - x).abs().mean().item()
    assert change == pytest.approx(np.abs(theirs - level).mean(), rel=0.05)
    assert y.std().item() == pytest.approx(theirs.std(), rel=0.05)
    # their astype(uint8) truncates, a mean shift of about half a grey level
    assert abs(y.mean().item() - theirs.mean()) < 1.5 / 255


@pytest.mark.parametrize("name,severity,level", [
    ("gaussian_noise", 1, 0.0), ("gaussian_noise", 3, 0.03), ("gaussian_noise", 5, 1.0),
    ("speckle_noise", 5, 0.95), ("speckle_noise", 3, 0.5), ("shot_noise", 5, 0.9),
    ("shot_noise", 4, 1.0), ("shot_noise", 1, 0.02),
])
def test_exact_noise_matches_the_per_channel_clip_at_black_and_white(name, severity, level):
    # the single-channel equivalent misses here: at a black pixel MedMNIST-C's clipped channels
    # move the luma 1.5x as far; exact=True draws the three channels and clips each
    value = PUBLISHED[name][severity - 1]
    theirs = medmnistc_float_noise(level, name, value)
    x = torch.full((4, 1, 250, 200), level)
    y = ours(name, severity, x, exact=True).double()
    for stat in (lambda v: (v - level).abs().mean(), lambda v: v.mean(), lambda v: v.std()):
        assert float(stat(y)) == pytest.approx(float(stat(torch.from_numpy(theirs))),
                                               rel=0.02, abs=2e-4)
    if level == 0.0:
        single = ours(name, severity, x).double()
        assert (y - x).abs().mean() / (single - x).abs().mean() == pytest.approx(
            1 / LUMA_NOISE_SCALE, rel=0.02)


def test_exact_mode_is_the_grey_as_rgb_option_and_replays():
    from mmr_augment import GaussianNoise, PoissonNoise, SpeckleNoise

    op = medmnistc_op("shot_noise", 2, exact=True)
    assert op.photons.values == (25,) and op.to_config()["grey_as_rgb"] is True
    assert medmnistc_op("pixelate", 2, exact=True).to_config() == \
        medmnistc_op("pixelate", 2).to_config()
    x = torch.rand(3, 1, 24, 20, generator=torch.Generator().manual_seed(0))
    for cls in (GaussianNoise, SpeckleNoise, PoissonNoise):
        op = cls(grey_as_rgb=True)
        params = op.sample(3, torch.Generator().manual_seed(4))
        y = op.apply(x, params)
        assert y.shape == x.shape and torch.equal(y, op.apply(x, params))
        assert torch.equal(op.apply(x[1:], {k: v[1:] for k, v in params.items()}), y[1:])
        assert cls(**{k: v for k, v in op.to_config().items() if k != "type"}).grey_as_rgb
        rgb = x.expand(-1, 3, -1, -1)  # RGB input is corrupted per channel either way
        assert torch.equal(op.apply(rgb, params), cls().apply(rgb, params))
        with pytest.raises(ConfigError, match="grey_as_rgb"):
            cls(grey_as_rgb="yes")
    policy = medmnistc_policy(exact=True)
    gauss = policy.ops[list(CHEST_CORRUPTIONS).index("gaussian_noise")]
    assert gauss.grey_as_rgb and gauss.sample(50, 0)["std"].max() <= 0.26


@pytest.mark.parametrize("severity", [1, 3, 5])
def test_impulse_noise_hits_channels_like_medmnistc(severity):
    amount = PUBLISHED["impulse_noise"][severity - 1]
    theirs = medmnistc_noise(0.5, "impulse_noise", amount)
    y = ours("impulse_noise", severity, torch.full((4, 1, 250, 200), 128 / 255)).double()
    base = 128 / 255
    untouched = (1 - amount) ** 3
    assert ((y - base).abs() < 1e-6).double().mean().item() == pytest.approx(untouched, abs=4e-3)
    assert (y - base).abs().mean().item() == pytest.approx(np.abs(theirs - base).mean(), rel=0.05)
    # a green-only salt hit lands at .587 of the way to white, as in MedMNIST-C's luma
    assert ((y - (base + 0.587 * (1 - base))).abs() < 1e-5).any()


def pil_grey(x):
    return Image.fromarray((x[0, 0].numpy() * 255).round().astype(np.uint8)).convert("RGB")


@pytest.mark.parametrize("name,severity", [
    ("brightness_up", 3), ("brightness_down", 5), ("contrast_up", 5), ("contrast_down", 4),
    ("gamma_corr_up", 5), ("gamma_corr_down", 5),
])
def test_tone_corruptions_match_pil_and_torchvision_formulas(name, severity):
    g = torch.Generator().manual_seed(0)
    x = (torch.rand(1, 1, 40, 48, generator=g) * 255).round() / 255
    value = PUBLISHED[name][severity - 1]
    img = pil_grey(x)
    if name.startswith("brightness"):
        ref = ImageEnhance.Brightness(img).enhance(value)
    elif name.startswith("contrast"):
        ref = ImageEnhance.Contrast(img).enhance(value)
    else:  # torchvision F_pil.adjust_gamma's lookup table, gain 1
        ref = img.point([int(255.999 * (i / 255) ** value) for i in range(256)] * 3)
    ref = torch.from_numpy(np.asarray(ref.convert("L"), np.float32) / 255)
    got = ours(name, severity, x)[0, 0]
    # PIL rounds its contrast mean to a whole grey level and works on 8 bits
    assert (got - ref).abs().max().item() <= 2.01 / 255, (got - ref).abs().max()


def test_policy_draws_one_corruption_per_sample_within_the_table():
    policy = medmnistc_policy()
    params = policy.sample(64, torch.Generator().manual_seed(0))
    assert len(policy.ops) == 13 and set(params["index"].tolist()) <= set(range(13))
    gamma_down = policy.ops[list(CHEST_CORRUPTIONS).index("gamma_corr_down")]
    drawn = gamma_down.sample(200, 0)["gamma"]
    assert drawn.min() >= 0.4 and drawn.max() <= 0.9
