"""read_image / write_png: 8- and 16-bit PNG, JPEG, RGB(A), palette, DICOM dispatch, errors."""

from __future__ import annotations

import struct
import zlib

import numpy as np
import pytest
import torch
from PIL import Image

from mmr_augment.errors import ConfigError, InputError, InputTypeError
from mmr_augment.io import DicomError, read_dicom, read_image, write_dicom, write_png


def random_image(channels: int, seed: int = 0) -> torch.Tensor:
    return torch.rand(channels, 24, 32, generator=torch.Generator().manual_seed(seed))


def gradient(height: int = 32, width: int = 48) -> np.ndarray:
    """A smooth uint8 RGB test picture (JPEG keeps it close)."""
    y, x = np.mgrid[0:height, 0:width]
    return np.stack([x * 255 // (width - 1), y * 255 // (height - 1),
                     np.full_like(x, 128)], axis=-1).astype(np.uint8)


def test_sixteen_bit_png_round_trip(tmp_path):
    image = random_image(1)
    write_png(tmp_path / "x.png", image, bits=16)
    with Image.open(tmp_path / "x.png") as stored:
        assert stored.mode == "I;16"
        levels = np.asarray(stored)
    assert np.array_equal(levels, torch.round(image.double() * 65535).numpy()[0])
    back = read_image(tmp_path / "x.png")
    assert back.shape == (1, 24, 32) and back.dtype == torch.float32
    assert (back - image).abs().max() <= 0.5 / 65535 + 1e-7


@pytest.mark.parametrize("channels, mode", [(1, "L"), (3, "RGB")])
def test_eight_bit_png_round_trip(tmp_path, channels, mode):
    image = random_image(channels)
    write_png(tmp_path / "x.png", image)
    with Image.open(tmp_path / "x.png") as stored:
        assert stored.mode == mode
    back = read_image(tmp_path / "x.png")
    assert back.shape == image.shape
    assert torch.equal(torch.round(back.double() * 255), torch.round(image.double() * 255))


def test_rgba_drops_alpha_and_palette_becomes_rgb(tmp_path):
    rgb = gradient()
    rgba = np.concatenate([rgb, np.zeros_like(rgb[..., :1])], axis=-1)
    Image.fromarray(rgba).save(tmp_path / "rgba.png")
    expected = torch.from_numpy(rgb / 255.0).permute(2, 0, 1).float()
    assert torch.equal(read_image(tmp_path / "rgba.png"), expected)
    Image.fromarray(rgb).quantize(16).save(tmp_path / "palette.png")
    palette = read_image(tmp_path / "palette.png")
    assert palette.shape == (3, 32, 48) and (palette - expected).abs().mean() < 0.05


def test_jpeg_read(tmp_path):
    rgb = gradient()
    Image.fromarray(rgb).save(tmp_path / "x.jpg", quality=95)
    Image.fromarray(rgb[..., 0]).save(tmp_path / "gray.jpeg", quality=95)
    colour, gray = read_image(tmp_path / "x.jpg"), read_image(tmp_path / "gray.jpeg")
    assert colour.shape == (3, 32, 48) and gray.shape == (1, 32, 48)
    expected = torch.from_numpy(rgb / 255.0).permute(2, 0, 1).float()
    assert (colour - expected).abs().mean() < 2 / 255
    assert (gray[0] - expected[0]).abs().mean() < 2 / 255


def test_dicom_is_dispatched_by_suffix_or_marker(tmp_path):
    image = random_image(1)
    write_dicom(tmp_path / "x.dcm", image, seed=0)
    expected = read_dicom(tmp_path / "x.dcm")[0]
    assert torch.equal(read_image(tmp_path / "x.dcm"), expected)
    (tmp_path / "x.dcm").rename(tmp_path / "no_suffix")
    assert torch.equal(read_image(tmp_path / "no_suffix"), expected)
    (tmp_path / "fake.dcm").write_bytes(b"not dicom")
    with pytest.raises(DicomError, match="not a DICOM Part 10 file"):
        read_image(tmp_path / "fake.dcm")


def test_reader_errors(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        read_image(tmp_path / "absent.png")
    with pytest.raises(InputError, match="not a regular file"):
        read_image(tmp_path)
    with pytest.raises(InputTypeError, match="expected a file path"):
        read_image(42)
    (tmp_path / "text.png").write_text("hello")
    with pytest.raises(InputError, match="not an image Pillow can read"):
        read_image(tmp_path / "text.png")
    write_png(tmp_path / "x.png", random_image(3))
    data = (tmp_path / "x.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match="truncated or corrupt"):
        read_image(tmp_path / "cut.png")


def huge_png(path, width: int, height: int) -> None:
    """A PNG whose header declares ``width x height`` pixels but holds almost no data."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(
            ">I", zlib.crc32(kind + body))

    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) +
                     chunk(b"IDAT", zlib.compress(b"\x00")) + chunk(b"IEND", b""))


def test_absurd_png_dimensions_are_refused_before_decoding(tmp_path, monkeypatch):
    huge_png(tmp_path / "huge.png", 20_000, 20_000)
    with pytest.raises(InputError, match="too large to open safely"):
        read_image(tmp_path / "huge.png")  # Pillow's decompression-bomb guard
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", None)  # a user who switched Pillow's off
    with pytest.raises(InputError, match="above the limit mmr_augment.io.MAX_PIXELS"):
        read_image(tmp_path / "huge.png")


def test_writer_errors(tmp_path):
    with pytest.raises(InputError, match="16-bit PNG is written for one channel only"):
        write_png(tmp_path / "x.png", random_image(3), bits=16)
    with pytest.raises(ConfigError, match=r"bits must be one of \(8, 16\)"):
        write_png(tmp_path / "x.png", random_image(1), bits=12)
    with pytest.raises(InputError, match=r"C in \(1, 3\)"):
        write_png(tmp_path / "x.png", random_image(2))
    with pytest.raises(InputError, match=r"\[0, 1\]"):
        write_png(tmp_path / "x.png", random_image(1) - 0.5)
    with pytest.raises(InputTypeError, match="dtype torch.uint8"):
        write_png(tmp_path / "x.png", torch.zeros(1, 4, 4, dtype=torch.uint8))
    assert not (tmp_path / "x.png").exists()
