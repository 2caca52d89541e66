"""Checks and quantisation shared by the DICOM and PNG/JPEG readers and writers."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..errors import ConfigError, InputError, InputTypeError

#: Largest image (rows * columns * frames) a reader decodes. It guards against absurd or
#: corrupted headers that would otherwise allocate gigabytes; checked before any pixel is read.
MAX_PIXELS = 2**28

PathLike = str | os.PathLike


class DicomError(InputError):
    """A DICOM file that cannot be read as an image; the message says why and what to do."""


def existing_file(path: PathLike, reader: str) -> Path:
    """``path`` as a :class:`~pathlib.Path`, or :class:`InputError` if it is not a file."""
    if not isinstance(path, str | os.PathLike):
        raise InputTypeError(f"{reader}: expected a file path (str or pathlib.Path), got "
                             f"{type(path).__name__}")
    file = Path(path)
    if not file.exists():
        raise InputError(f"{reader}: file not found: {file}; check the path")
    if not file.is_file():
        raise InputError(f"{reader}: {file} is not a regular file (a directory?); pass a file")
    return file


def check_pixel_count(rows: int, columns: int, frames: int, reader: str, file: Path,
                      error: type[InputError] = InputError) -> None:
    """Refuse zero-sized images and ones above :data:`MAX_PIXELS`, before decoding."""
    if rows <= 0 or columns <= 0 or frames <= 0:
        raise error(f"{reader}: {file} declares an empty image ({rows} rows, {columns} "
                         f"columns, {frames} frames); the header is corrupt")
    total = rows * columns * frames
    if total > MAX_PIXELS:
        raise error(
            f"{reader}: {file} declares {rows} x {columns} x {frames} frames = {total} pixels, "
            f"above the limit mmr_augment.io.MAX_PIXELS = {MAX_PIXELS}; the header is probably "
            f"corrupt (raise the limit only if the image is genuinely that large)")


def check_bits(bits: int, allowed: tuple[int, ...], writer: str) -> int:
    """Validate a requested output bit depth."""
    if isinstance(bits, bool) or bits not in allowed:
        raise ConfigError(f"{writer}: bits must be one of {allowed}, got {bits!r}")
    return int(bits)


def quantise(image: Any, bits: int, channels: tuple[int, ...], writer: str) -> np.ndarray:
    """A float image ``(C, H, W)`` or ``(H, W)`` in ``[0, 1]`` -> unsigned ``(C, H, W)`` array.

    Values are rounded to the nearest of ``2**bits`` levels, so the round-trip error is at
    most ``0.5 / (2**bits - 1)``.

    Example:
        >>> quantise(torch.tensor([[0.0, 0.5, 1.0]]), 8, (1,), "demo").tolist()
        [[[0, 128, 255]]]
    """
    if not isinstance(image, torch.Tensor):
        raise InputTypeError(f"{writer}: expected a torch.Tensor (C, H, W), got "
                             f"{type(image).__name__}; numpy arrays: torch.from_numpy(a)")
    if not image.is_floating_point():
        raise InputTypeError(f"{writer}: image dtype {image.dtype} is not supported; pass a "
                             f"float image in [0, 1], e.g. mmr_augment.to_float_image(x)")
    if image.ndim == 2:
        image = image[None]
    if image.ndim != 3 or image.shape[0] not in channels:
        raise InputError(f"{writer}: expected shape (C, H, W) with C in {channels}, got "
                         f"{tuple(image.shape)} (a batch: write each image x[i] separately)")
    if image.shape[1] == 0 or image.shape[2] == 0:
        raise InputError(f"{writer}: image has zero size {tuple(image.shape[1:])}")
    values = image.detach().to("cpu", torch.float64)
    if not torch.isfinite(values).all():
        raise InputError(f"{writer}: image contains NaN or Inf; clean it first, e.g. "
                         f"torch.nan_to_num(x, nan=0.0)")
    if values.min() < 0 or values.max() > 1:
        raise InputError(f"{writer}: values must lie in [0, 1], got [{values.min():.4g}, "
                         f"{values.max():.4g}]; rescale or clamp first: x.clamp(0, 1)")
    top = 2**bits - 1
    dtype = np.uint8 if bits <= 8 else np.uint16
    return torch.round(values * top).numpy().astype(dtype)
