"""GridLines: the pattern's frequency, direction, depth and line width."""

import math

import pytest
import torch

from mmr_augment import ConfigError, GridLines


def dominant_frequency(y):
    """(rows, cols) cycles-per-image of the strongest non-DC Fourier peak, as signed ints."""
    spectrum = torch.fft.fft2(y - y.mean()).abs()
    h, w = spectrum.shape
    r, c = divmod(int(spectrum.argmax()), w)
    return (r if r <= h // 2 else r - h), (c if c <= w // 2 else c - w)


@pytest.mark.parametrize("frequency, angle", [(10, 0.0), (10, 90.0), (12, 30.0), (7, 135.0),
                                              (20, 60.0)])
def test_fft_peak_sits_at_the_requested_frequency_and_angle(frequency, angle):
    op = GridLines(frequency=frequency, angle=angle, contrast=0.3)
    y = op(torch.full((1, 1, 64, 64), 0.8), generator=0)[0, 0]
    rows, cols = dominant_frequency(y)
    expected_cols = frequency * math.cos(math.radians(angle))
    expected_rows = frequency * math.sin(math.radians(angle))
    sign = 1 if (rows, cols) >= (0, 0) else -1  # the spectrum is symmetric: fold it
    if (round(expected_rows), round(expected_cols)) < (0, 0):
        expected_rows, expected_cols = -expected_rows, -expected_cols
    assert abs(sign * rows - expected_rows) <= 0.5 and abs(sign * cols - expected_cols) <= 0.5


def test_depth_is_bounded_by_contrast_and_multiplicative():
    x = torch.rand(4, 1, 32, 40, generator=torch.Generator().manual_seed(0))
    op = GridLines(frequency=(5.0, 15.0), angle=(0.0, 180.0), contrast=(0.1, 0.4))
    params = op.sample(4, torch.Generator().manual_seed(0))
    ratio = (op.apply(x, params) / x).flatten(1)
    contrast = params["contrast"].float()
    assert torch.all(ratio.max(1).values <= 1.0)
    assert torch.all(ratio.min(1).values >= 1 - contrast - 1e-6)
    assert torch.all(ratio.min(1).values <= 1 - 0.9 * contrast)  # the full depth is reached


def test_sharpness_thins_the_lines_but_keeps_the_period():
    x = torch.ones(1, 1, 64, 64)
    soft = GridLines(frequency=8, angle=0.0, contrast=1.0, sharpness=1)(x, generator=0)
    thin = GridLines(frequency=8, angle=0.0, contrast=1.0, sharpness=8)(x, generator=0)
    assert (thin < 0.5).float().mean() < 0.5 * (soft < 0.5).float().mean()
    assert dominant_frequency(thin[0, 0]) in ((0, 8), (0, -8))


def test_bad_arguments_are_refused():
    with pytest.raises(ConfigError, match="contrast"):
        GridLines(contrast=1.5)
    with pytest.raises(ConfigError, match="sharpness"):
        GridLines(sharpness=0.5)
