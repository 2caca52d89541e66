"""What is special to the blur families: kernels, kornia agreement, per-sample kernel sizes."""

import math

import pytest
import torch
from kornia.filters import filter2d, gaussian_blur2d

from mmr_augment import ConfigError, DefocusBlur, GaussianBlur, MotionBlur, Sharpen, choice
from mmr_augment.core import slice_params
from mmr_augment.image._kernels.blur import disk_kernels, filter_per_sample, sample_odd
from mmr_augment.params import ParamSpec


def textured(b=4, size=48, dtype=torch.float32, lo=0.3, hi=0.7):
    g = torch.Generator().manual_seed(0)
    yy, xx = torch.meshgrid(torch.linspace(0, 1, size), torch.linspace(0, 1, size), indexing="ij")
    smooth = lo + (hi - lo) * 0.7 * yy * xx
    return (smooth + (hi - lo) * 0.3 * torch.rand(b, 1, size, size, generator=g)).to(dtype)


def dot(size=33):
    x = torch.zeros(1, 1, size, size)
    x[..., size // 2, size // 2] = 1.0
    return x


def laplacian_energy(x):
    lap = 4 * x[..., 1:-1, 1:-1] - x[..., :-2, 1:-1] - x[..., 2:, 1:-1] \
        - x[..., 1:-1, :-2] - x[..., 1:-1, 2:]
    return lap.pow(2).mean().item()


def test_gaussian_blur_keeps_a_flat_image():
    x = torch.full((3, 3, 20, 20), 0.37)
    y = GaussianBlur(kernel_size=choice(3, 7, 11), sigma=(0.5, 3.0))(x, generator=0)
    torch.testing.assert_close(y, x, rtol=0, atol=1e-6)


@pytest.mark.parametrize("dtype, atol", [(torch.float32, 1e-6), (torch.float64, 1e-12)])
def test_gaussian_blur_matches_kornia_for_fixed_kernel(dtype, atol):
    x = textured(dtype=dtype)
    y = GaussianBlur(kernel_size=5, sigma=1.3)(x, generator=0)
    ref = gaussian_blur2d(x, (5, 5), (1.3, 1.3)).clamp(0, 1)
    assert y.dtype == dtype
    torch.testing.assert_close(y, ref, rtol=0, atol=atol)


def test_gaussian_severity_uses_medmnist_kernels_and_opencv_sigma():
    p = GaussianBlur(severity=3).sample(2, 0)
    assert p["kernel_size"].tolist() == [7, 7] and p["sigma"].tolist() == [1.4, 1.4]
    p = GaussianBlur(kernel_size=9).sample(1, 0)  # sigma=None: OpenCV's rule
    assert p["sigma"].item() == pytest.approx(1.7)


@pytest.mark.parametrize("op", [
    GaussianBlur(kernel_size=choice(3, 5, 9, 11), sigma=1.5),
    MotionBlur(kernel_size=(3, 13), angle=(0.0, 360.0), direction=(-1.0, 1.0)),
    DefocusBlur(radius=(0.5, 4.0)),
    Sharpen(amount=1.5, sigma=(0.3, 2.0)),
], ids=lambda op: type(op).__name__)
def test_per_sample_kernel_sizes_differ_and_match_each_sample_alone(op):
    x = textured(b=6)
    params = op.sample(6, torch.Generator().manual_seed(4))
    width = params.get("kernel_size", params.get("radius", params.get("sigma")))
    assert len(set(width.tolist())) > 2
    y = op.apply(x, params)
    for i in range(6):
        alone = op.apply(x[i:i + 1], slice_params(params, torch.tensor([i])))
        torch.testing.assert_close(alone, y[i:i + 1], rtol=0, atol=1e-6)
    if isinstance(op, GaussianBlur):  # and each one is kornia's blur of its own size
        k, s = params["kernel_size"][0].item(), params["sigma"][0].item()
        ref = gaussian_blur2d(x[:1], (k, k), (s, s)).clamp(0, 1)
        torch.testing.assert_close(y[:1], ref, rtol=0, atol=1e-6)


def test_odd_sizes_cover_the_range():
    sizes = sample_odd(ParamSpec.build("k", (3, 9), integer=True, odd=True), 200,
                       torch.Generator().manual_seed(0))
    assert set(sizes.tolist()) == {3, 5, 7, 9}


def streak_axes(y: torch.Tensor) -> tuple[float, float, float]:
    """Principal axis of a streak: angle in degrees (counter-clockwise as displayed) and the
    standard deviations along and across it."""
    w = y[0, 0].double()
    rows, cols = torch.meshgrid(*(torch.arange(n, dtype=torch.float64) for n in w.shape),
                                indexing="ij")
    dx, dy = cols - (w * cols).sum() / w.sum(), -(rows - (w * rows).sum() / w.sum())
    cov = torch.stack([torch.stack([(w * a * b).sum() for b in (dx, dy)]) for a in (dx, dy)])
    var, vec = torch.linalg.eigh(cov / w.sum())
    angle = math.degrees(math.atan2(vec[1, 1], vec[0, 1])) % 180
    return angle, var[1].sqrt().item(), var[0].sqrt().item()


@pytest.mark.parametrize("angle", [0.0, 30.0, 45.0, 90.0, 135.0, 160.0])
def test_motion_blur_spreads_a_dot_along_the_requested_angle(angle):
    y = MotionBlur(kernel_size=15, angle=angle)(dot(), generator=0)
    assert y.sum().item() == pytest.approx(1.0, abs=1e-5)
    measured, along, across = streak_axes(y)
    diff = abs(measured - angle) % 180
    assert min(diff, 180 - diff) < 2.0
    assert along == pytest.approx(15 / math.sqrt(12), rel=0.15)  # a uniform line 15 px long
    assert across < 0.6


def test_motion_blur_horizontal_streak_stays_in_its_row():
    y = MotionBlur(kernel_size=7, angle=0.0)(dot(), generator=0)
    rows = (y[0, 0] > 1e-6).nonzero()[:, 0]
    assert rows.unique().tolist() == [16]
    assert y[0, 0, 16, 13:20].tolist() == pytest.approx([1 / 7] * 7, abs=1e-6)


def test_defocus_kernel_sums_to_one_and_is_radially_symmetric():
    k = disk_kernels(torch.tensor([0.7, 2.5, 4.0]), torch.device("cpu"), torch.float64)
    torch.testing.assert_close(k.sum(dim=(1, 2)), torch.ones(3, dtype=torch.float64))
    for t in (k.flip(1), k.flip(2), k.transpose(1, 2)):
        assert torch.equal(t, k)
    c = k.shape[-1] // 2
    assert k[1, c, c + 3].item() == 0.0 and k[2, c, c + 3].item() > 0  # inside radius 4 only
    assert torch.equal(k[:, c + 3, c + 4], k[:, c + 4, c + 3])  # equal distance, equal weight


def test_defocus_radius_zero_is_identity_and_a_dot_becomes_the_disk():
    x = textured()
    assert torch.equal(DefocusBlur(radius=0.0)(x, generator=0), x)
    y = DefocusBlur(radius=3.0)(dot(), generator=0)
    k = disk_kernels(torch.tensor([3.0]), torch.device("cpu"), torch.float32)[0]
    torch.testing.assert_close(y[0, 0, 12:21, 12:21], k, rtol=0, atol=1e-7)


def test_sharpen_adds_high_frequency_energy_growing_with_amount():
    x = textured()
    energy = [laplacian_energy(Sharpen(amount=a, sigma=1.0)(x, generator=0))
              for a in (0.5, 1.0, 2.0)]
    assert laplacian_energy(x) < energy[0] < energy[1] < energy[2]


def test_blurs_lower_high_frequency_energy():
    x = textured()
    for op in (GaussianBlur(), MotionBlur(), DefocusBlur()):
        assert laplacian_energy(op(x, generator=0)) < 0.5 * laplacian_energy(x)


def test_tiny_image_with_a_large_kernel_falls_back_to_replicate_border():
    x = textured(b=2, size=4)
    y = MotionBlur(kernel_size=11)(x, generator=0)
    assert y.shape == x.shape and torch.isfinite(y).all()
    flat = torch.full((1, 1, 3, 3), 0.5)
    torch.testing.assert_close(GaussianBlur(kernel_size=11)(flat, generator=0), flat)


@pytest.mark.parametrize("make", [
    lambda: GaussianBlur(kernel_size=4),
    lambda: GaussianBlur(kernel_size=(3, 8)),
    lambda: MotionBlur(kernel_size=1),
    lambda: MotionBlur(direction=2.0),
    lambda: DefocusBlur(radius=-1.0),
    lambda: Sharpen(sigma=0.0),
])
def test_bad_arguments_raise_config_error(make):
    with pytest.raises(ConfigError):
        make()


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize(("channels", "size", "k"), [(1, 48, 5), (3, 20, 7), (1, 4, 9)])
def test_filter_per_sample_is_kornias_filter2d_bit_for_bit(dtype, channels, size, k):
    # the padded batch goes into a buffer kept between calls; the output must not share it
    g = torch.Generator().manual_seed(k)
    x = torch.rand(4, channels, size, size, generator=g, dtype=dtype)
    kernels = torch.rand(4, k, k, generator=g, dtype=dtype)
    border = "reflect" if k // 2 < size else "replicate"  # 9 taps on 4 px: replicate
    first = filter_per_sample(x, kernels)
    again = filter_per_sample(x.flip(-1), kernels)  # reuses the kept buffer
    assert torch.equal(first, filter2d(x, kernels, border_type=border))
    assert torch.equal(again, filter2d(x.flip(-1), kernels, border_type=border))
