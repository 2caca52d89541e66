"""JPEG: the CPU path is PIL bit for bit; kornia's differentiable codec is close to it."""

import io
import os

import numpy as np
import pytest
import torch
from PIL import Image

from mmr_augment import JPEG


def radiograph_like(h=64, w=64, seed=0):
    g = torch.Generator().manual_seed(seed)
    yy, xx = torch.meshgrid(torch.linspace(0, 1, h), torch.linspace(0, 1, w), indexing="ij")
    smooth = 0.3 + 0.4 * torch.sin(6 * yy) * xx
    return (smooth + 0.08 * torch.rand(1, 1, h, w, generator=g)).clamp(0, 1)


def pil_jpeg(x, quality):
    pixels = (x[0, 0].numpy() * 255).round().astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels, "L").save(buffer, "JPEG", quality=quality)
    return torch.from_numpy(np.array(Image.open(buffer)).astype(np.float32) / 255)


@pytest.mark.parametrize("differentiable", [False, True])
def test_lower_quality_gives_larger_error(differentiable):
    x = radiograph_like().expand(4, 1, 64, 64)
    op = JPEG(quality=(5, 90), differentiable=differentiable)
    params = op.sample(4, 0)
    params["quality"] = torch.tensor([90.0, 50.0, 20.0, 5.0], dtype=torch.float64)
    error = (op.apply(x, params) - x).abs().flatten(1).mean(1)
    assert torch.all(error[1:] > error[:-1]), error


@pytest.mark.parametrize("quality", [50, 15, 7])
def test_close_to_a_real_jpeg_encoder(quality):
    x = radiograph_like()
    ours = JPEG(quality=quality, differentiable=True)(x, generator=0)[0, 0]
    real = pil_jpeg(x, quality)
    codec_error = (real - x[0, 0]).abs().mean()
    assert (ours - real).abs().mean() < 0.3 * codec_error
    assert abs((ours - x[0, 0]).abs().mean() - codec_error) < 0.15 * codec_error


def test_blocking_appears_on_the_8x8_grid():
    ramp = torch.linspace(0.2, 0.8, 64).view(1, 1, 1, 64).expand(1, 1, 64, 64)
    y = JPEG(quality=5)(ramp, generator=0)
    step = (y[..., 1:] - y[..., :-1]).abs().mean(dim=(0, 1, 2))  # column j -> j + 1
    at_edges = step[7::8].mean()
    inside = step[torch.arange(63) % 8 != 7].mean()
    assert at_edges > 3 * inside


def test_odd_sizes_and_rgb_match_a_real_encoder():
    tint = torch.tensor([1.0, 0.8, 0.6]).view(1, 3, 1, 1)
    x = radiograph_like(h=21, w=35) * tint
    y = JPEG(quality=20, differentiable=True)(x, generator=0)
    assert y.shape == x.shape
    pixels = (x[0].permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels, "RGB").save(buffer, "JPEG", quality=20)
    real = torch.from_numpy(np.array(Image.open(buffer)).astype(np.float32) / 255)
    real = real.permute(2, 0, 1)[None]  # PIL's default 4:2:0 chroma subsampling, like kornia
    codec_error = (real - x).abs().mean()
    assert (y - real).abs().mean() < 0.4 * codec_error
    assert abs((y - x).abs().mean() - codec_error) < 0.15 * codec_error


def pil_roundtrip(image, quality):
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return np.array(Image.open(io.BytesIO(buffer.getvalue())))


@pytest.mark.parametrize("channels", [1, 3])
def test_cpu_path_is_bit_exact_with_pil_per_sample_quality(channels):
    g = torch.Generator().manual_seed(3)
    x = radiograph_like(h=27, w=40).repeat(5, channels, 1, 1)
    x = (x + 0.1 * torch.rand(x.shape, generator=g)).clamp(0, 1)
    op = JPEG(quality=(1, 100))
    params = op.sample(5, 7)
    params["quality"] = torch.tensor([7.0, 10.4, 30.0, 49.6, 95.0], dtype=torch.float64)
    y = op.apply(x, params)
    for i, q in enumerate([7, 10, 30, 50, 95]):
        pixels = (x[i].permute(1, 2, 0) * 255).round().to(torch.uint8).numpy()
        image = Image.fromarray(pixels[..., 0], "L") if channels == 1 else Image.fromarray(pixels)
        expected = torch.from_numpy(pil_roundtrip(image, q).astype(np.float32) / 255)
        expected = expected[None] if channels == 1 else expected.permute(2, 0, 1)
        assert torch.equal(y[i], expected), (i, q)


def test_cpu_path_keeps_dtype_and_value_range():
    x = radiograph_like().to(torch.float64) * 1000
    y = JPEG(quality=30, value_range=(0, 1000))(x, generator=0)
    assert y.dtype == torch.float64
    assert (y - x).abs().max() < 200 and y.min() >= 0 and y.max() <= 1000


def test_differentiable_path_has_gradients():
    x = radiograph_like().requires_grad_()
    JPEG(quality=30, differentiable=True)(x, generator=0).sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0


@pytest.mark.parametrize(("height", "run_pixels"),
                         [(32, 1 << 19), (32, 2 * 32 * 36), (28, 1 << 19), (28, 2 * 32 * 36),
                          (13, 1 << 19), (1, 1 << 19)])
def test_stacked_runs_of_one_quality_are_bit_exact_with_pil(monkeypatch, height, run_pixels):
    # grey: samples of one quality are coded as one tall image (in runs of at most two samples
    # with the small run_pixels), a height that is not a multiple of 8 padded by repeating the
    # last row, as libjpeg pads a lone image; each must decode as it would alone.
    from mmr_augment.image._kernels import jpeg_codec
    monkeypatch.setattr(jpeg_codec, "_RUN_PIXELS", run_pixels)
    g = torch.Generator().manual_seed(5)
    x = (radiograph_like(h=height, w=36).repeat(7, 1, 1, 1)
         + 0.3 * torch.rand(7, 1, height, 36, generator=g)).clamp(0, 1)
    qualities = [30, 30, 30, 7, 7, 90, 30]
    op = JPEG(quality=(1, 100))
    params = op.sample(7, 0)
    params["quality"] = torch.tensor(qualities, dtype=torch.float64)
    y = op.apply(x, params)
    for i, q in enumerate(qualities):
        pixels = (x[i, 0] * 255).round().to(torch.uint8).numpy()
        expected = pil_roundtrip(Image.fromarray(pixels, "L"), q).astype(np.float32) / 255
        assert torch.equal(y[i, 0], torch.from_numpy(expected)), (i, q)


def test_codec_clips_out_of_range_values_before_coding():
    from mmr_augment.image._kernels.jpeg_codec import pil_jpeg as codec
    x = radiograph_like(h=16, w=16) * 1.6 - 0.3  # below 0 and above 1 (ops clamp first)
    y = codec(x, torch.tensor([50]))
    pixels = (x[0, 0].clamp(0, 1) * 255).round().to(torch.uint8).numpy()
    expected = pil_roundtrip(Image.fromarray(pixels, "L"), 50).astype(np.float32) / 255
    assert torch.equal(y[0, 0], torch.from_numpy(expected))


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_forked_child_gets_its_own_scratch_file():
    # DataLoader workers fork: a child writing the parent's file would share its offset
    from mmr_augment.image._kernels.jpeg_codec import _stream_file
    parent = os.fstat(_stream_file().fileno())
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: report whether its scratch file is a different file
        child = os.fstat(_stream_file().fileno())
        os.write(writer, b"1" if child.st_ino != parent.st_ino else b"0")
        os._exit(0)
    os.close(writer)
    os.waitpid(pid, 0)
    assert os.read(reader, 1) == b"1"
