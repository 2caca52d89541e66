"""PNG and JPEG via Pillow: read to ``(C, H, W)`` float32 in ``[0, 1]``, write 8- or 16-bit PNG."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

from ..errors import InputError
from ._common import PathLike, check_bits, check_pixel_count, existing_file, quantise
from .dicom_read import read_dicom

_DICOM_SUFFIXES = (".dcm", ".dicom")
# Pillow mode -> (mode to convert to, full-scale value). 16-bit grayscale stays 16-bit.
_MODES = {
    "1": ("L", 255), "L": ("L", 255), "LA": ("L", 255), "P": ("RGB", 255), "PA": ("RGB", 255),
    "RGB": ("RGB", 255), "RGBA": ("RGB", 255), "CMYK": ("RGB", 255), "YCbCr": ("RGB", 255),
    "I;16": ("I;16", 65535), "I;16B": ("I;16B", 65535), "I;16L": ("I;16L", 65535),
    "I": ("I", 65535),
}


def read_image(path: PathLike) -> torch.Tensor:
    """Read a PNG or JPEG (or DICOM) image as ``(C, H, W)`` float32 in ``[0, 1]``.

    8-bit images are divided by 255 and 16-bit grayscale PNGs by 65535. Grayscale gives
    ``C = 1``, colour ``C = 3``; alpha is dropped and palette / CMYK images become RGB. Pillow
    reads 16-bit *colour* PNGs as 8-bit. A ``.dcm`` / ``.dicom`` file, or any file with the DICOM
    ``DICM`` marker, goes to :func:`read_dicom` (its metadata is dropped; call it directly to
    keep it, or to choose a frame).

    Example:
        >>> import tempfile, torch
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     write_png(f"{tmp}/x.png", torch.tensor([[[0.0, 0.25, 1.0]]]), bits=16)
        ...     read_image(f"{tmp}/x.png")
        tensor([[[0.0000, 0.2500, 1.0000]]])
    """
    file = existing_file(path, "read_image")
    if file.suffix.lower() in _DICOM_SUFFIXES or _has_dicom_marker(file):
        return read_dicom(file)[0]
    try:
        opened = Image.open(file)  # reads the header only
    except UnidentifiedImageError as err:
        raise InputError(f"read_image: {file} is not an image Pillow can read (PNG, JPEG) nor "
                         f"a DICOM file; check the file") from err
    except Image.DecompressionBombError as err:
        raise InputError(f"read_image: {file} is too large to open safely ({err}); the header "
                         f"is probably corrupt") from err
    except (OSError, SyntaxError, ValueError) as err:  # a plugin took it and its header broke
        raise InputError(f"read_image: {file} has a broken image header ({err}); check the "
                         f"file") from err
    with opened:
        columns, rows = opened.size
        check_pixel_count(rows, columns, 1, "read_image", file)
        return _to_tensor(opened, file)


def write_png(path: PathLike, image: torch.Tensor, bits: int = 8) -> None:
    """Write a float image ``(C, H, W)`` or ``(H, W)`` in ``[0, 1]`` as a PNG.

    Values are rounded to ``2**bits`` levels (error at most ``0.5 / (2**bits - 1)``).
    ``bits=16`` is for one channel only (Pillow writes 16-bit grayscale, not 16-bit RGB).

    Example:
        >>> import tempfile, torch
        >>> from PIL import Image
        >>> x = torch.rand(3, 4, 5, generator=torch.Generator().manual_seed(0))
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     write_png(f"{tmp}/x.png", x)
        ...     Image.open(f"{tmp}/x.png").mode
        'RGB'
    """
    bits = check_bits(bits, (8, 16), "write_png")
    if bits == 16 and isinstance(image, torch.Tensor) and image.ndim == 3 and image.shape[0] == 3:
        raise InputError("write_png: 16-bit PNG is written for one channel only; pass bits=8 "
                         "for RGB, or a single channel image[:1]")
    levels = quantise(image, bits, (1,) if bits == 16 else (1, 3), "write_png")
    if levels.shape[0] == 1:
        picture = Image.fromarray(levels[0])  # uint8 -> "L", uint16 -> "I;16"
    else:
        picture = Image.fromarray(np.ascontiguousarray(levels.transpose(1, 2, 0)))  # "RGB"
    picture.save(Path(path), format="PNG")


def _has_dicom_marker(file: Path) -> bool:
    with file.open("rb") as handle:
        return handle.read(132)[128:] == b"DICM"


def _to_tensor(opened: Image.Image, file: Path) -> torch.Tensor:
    if opened.mode not in _MODES:
        raise InputError(f"read_image: {file} has Pillow mode {opened.mode!r}, which is not "
                         f"supported; supported modes: {', '.join(_MODES)}")
    mode, full_scale = _MODES[opened.mode]
    try:
        converted = opened.convert(mode) if mode != opened.mode else opened
        values = np.asarray(converted, dtype=np.float64)
    except OSError as err:  # e.g. "image file is truncated"
        raise InputError(f"read_image: cannot decode {file} ({err}); the file is truncated or "
                         f"corrupt") from err
    unit = np.clip(values / full_scale, 0.0, 1.0).astype(np.float32)
    tensor = torch.from_numpy(unit)
    return tensor[None] if tensor.ndim == 2 else tensor.permute(2, 0, 1).contiguous()
