"""Read a DICOM image into a float tensor in ``[0, 1]`` plus a small metadata dict."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pydicom
import torch
from pydicom import Dataset
from pydicom.errors import InvalidDicomError
from pydicom.pixels import get_decoder, pixel_array
from pydicom.pixels.utils import get_expected_length

from ..errors import InputError, InputTypeError
from ._common import DicomError, PathLike, check_pixel_count, existing_file
from .dicom_voi import render_monochrome

MONOCHROME = ("MONOCHROME1", "MONOCHROME2")
#: Colour interpretations read as RGB; pydicom converts the YBR ones to RGB while decoding.
COLOUR = ("RGB", "YBR_FULL", "YBR_FULL_422", "YBR_ICT", "YBR_RCT")
_DEFER = 4096  # bytes: larger values (the pixel data) are read only when first used
_PIP_NAMES = {"gdcm": "python-gdcm"}


def read_dicom(path: PathLike, frame: int | None = None, *,
               voi_index: int | None = 0) -> tuple[torch.Tensor, dict[str, Any]]:
    """Read a DICOM image as ``(C, H, W)`` float32 in ``[0, 1]`` and its metadata.

    Grayscale (``C = 1``): stored values go through the modality LUT (rescale slope and
    intercept, or a Modality LUT Sequence), then the VOI stage, then onto ``[0, 1]``:

    - VOI LUT Sequence (preferred, as in pydicom's ``apply_voi_lut``): the LUT output
      ``[0, 2**n - 1]`` (``n`` bits from its LUT Descriptor) maps linearly onto ``[0, 1]``.
    - Window centre ``c`` / width ``w`` (the ``voi_index``-th of a multi-valued pair): the
      DICOM linear window maps ``c - 0.5 - (w - 1) / 2 -> 0`` and ``c - 0.5 + (w - 1) / 2 -> 1``
      (that is ``[c - w/2, c + w/2]`` up to one stored unit), clipped outside; SIGMOID and
      LINEAR_EXACT VOI LUT Functions are honoured.
    - No VOI (or ``voi_index=None``): the full stored range (``BitsStored``, signed or not)
      after the modality LUT maps onto ``[0, 1]``; no per-image min-max, so intensities stay
      comparable between images of one source. Values outside that range are clipped.

    MONOCHROME1 images are then inverted (``1 - x``) so that, as in MONOCHROME2, bright means
    high attenuation; ``metadata["inverted"]`` is True and ``photometric_interpretation`` keeps
    the file's value. A Presentation LUT Shape is not applied again.

    Colour (``C = 3``): RGB and the YBR interpretations (converted to RGB by pydicom) are divided
    by ``2**BitsStored - 1``; no LUT applies. PALETTE COLOR and others are refused.

    Args:
        path: the DICOM file.
        frame: 0-based frame of a multi-frame file (required there; 0 or None otherwise).
        voi_index: which VOI LUT or window to apply when the file has several; None skips VOI.

    Returns:
        ``(image, metadata)``; metadata holds JSON-friendly values: ``rows``, ``columns``,
        ``bits_stored``, ``number_of_frames``, ``frame``, ``modality``, ``view_position``,
        ``photometric_interpretation``, ``inverted``, ``pixel_spacing`` (row, column mm) and
        ``pixel_spacing_tag`` (PixelSpacing, else ImagerPixelSpacing; zero values ignored),
        ``voi`` (lut / window / none), ``window_center``, ``window_width``,
        ``sop_instance_uid``, ``sop_class_uid``, ``transfer_syntax_uid``.

    Raises:
        DicomError: not DICOM, truncated, no pixel data, not an image, missing decoder
            (names the packages to install), multi-frame without ``frame``, unsupported
            photometric interpretation, or more than ``MAX_PIXELS`` pixels (checked before
            any pixel data is read).

    Example:
        >>> import tempfile, torch
        >>> from mmr_augment.io import write_dicom
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     write_dicom(f"{tmp}/x.dcm", torch.linspace(0, 1, 12).reshape(1, 3, 4), seed=0)
        ...     image, meta = read_dicom(f"{tmp}/x.dcm")
        >>> image.shape, meta["modality"], meta["voi"], meta["inverted"]
        (torch.Size([1, 3, 4]), 'DX', 'window', False)
        >>> bool((image - torch.linspace(0, 1, 12).reshape(1, 3, 4)).abs().max() < 1 / 4095)
        True
    """
    file = existing_file(path, "read_dicom")
    ds = _read_dataset(file)
    frames = _check_header(ds, file)
    index = _frame_index(frame, frames, file)
    stored = _decode(ds, file, index)
    interpretation = str(ds.PhotometricInterpretation)
    if interpretation in MONOCHROME:
        unit, voi = render_monochrome(stored, ds, voi_index)
        image = torch.from_numpy(unit.astype(np.float32))[None]
    else:
        unit = np.clip(stored / float(2 ** int(ds.BitsStored) - 1), 0.0, 1.0)
        image = torch.from_numpy(unit.astype(np.float32)).permute(2, 0, 1).contiguous()
        voi = {"voi": "none", "window_center": None, "window_width": None}
    if not torch.isfinite(image).all():  # e.g. Rescale Slope NaN or 1e400: never pass NaN on
        raise DicomError(f"read_dicom: {file} renders to NaN or Inf (Rescale Slope/Intercept "
                         f"or window values are not finite); the header is corrupt")
    return image, _metadata(ds, frames, frame, voi)


def _read_dataset(file: Path) -> Dataset:
    try:
        ds = pydicom.dcmread(file, defer_size=_DEFER)
    except InvalidDicomError as err:
        raise DicomError(f"read_dicom: {file} is not a DICOM Part 10 file (no 'DICM' marker "
                         f"after the 128-byte preamble); for PNG or JPEG use "
                         f"mmr_augment.io.read_image") from err
    except Exception as err:  # pydicom raises many types on a corrupt header
        raise DicomError(f"read_dicom: cannot parse the DICOM header of {file} ("
                         f"{type(err).__name__}: {err}); the file is truncated or corrupt") from err
    if "TransferSyntaxUID" not in ds.file_meta:
        raise DicomError(f"read_dicom: {file} has no Transfer Syntax UID in its file meta "
                         f"information; the file is truncated or not a DICOM Part 10 file")
    return ds


def _check_header(ds: Dataset, file: Path) -> int:
    """Validate everything knowable before decoding; return the number of frames."""
    _check_is_image(ds, file)
    try:
        rows, columns = int(ds.Rows), int(ds.Columns)
        frames = int(ds.get("NumberOfFrames") or 1)
    except (TypeError, ValueError) as err:
        raise DicomError(f"read_dicom: malformed Rows, Columns or Number of Frames in {file} "
                         f"({err}); the header is corrupt") from err
    check_pixel_count(rows, columns, frames, "read_dicom", file, DicomError)
    interpretation = ds.get("PhotometricInterpretation")
    if interpretation not in MONOCHROME + COLOUR:
        hint = (" (a palette image: decode it yourself with pydicom.pixels.apply_color_lut)"
                if interpretation == "PALETTE COLOR" else "")
        raise DicomError(f"read_dicom: photometric interpretation {interpretation!r} of {file} "
                         f"is not supported{hint}; supported: {', '.join(MONOCHROME + COLOUR)}")
    _check_decoder(ds, file)
    return frames


def _check_is_image(ds: Dataset, file: Path) -> None:
    if "Rows" not in ds or "Columns" not in ds:
        sop = ds.get("SOPClassUID")
        if sop is None:
            raise DicomError(f"read_dicom: {file} has neither a SOP Class UID nor Rows/Columns; "
                             f"it is truncated, corrupt, or not an image object")
        raise DicomError(f"read_dicom: {file} is not an image ({getattr(sop, 'name', sop)}, no "
                         f"Rows/Columns); read_dicom reads image objects such as CR, DX, CT, MR")
    if "PixelData" not in ds:
        floats = "FloatPixelData" in ds or "DoubleFloatPixelData" in ds
        raise DicomError(f"read_dicom: {file} has no (7FE0,0010) Pixel Data" + (
            " (float pixel data is not supported)" if floats else
            "; it was stripped or the file is cut short before the pixels"))
    missing = [key for key in ("BitsAllocated", "BitsStored") if key not in ds]
    if missing:
        raise DicomError(f"read_dicom: {file} lacks {', '.join(missing)}; the image header "
                         f"is incomplete")


def _check_decoder(ds: Dataset, file: Path) -> None:
    syntax = ds.file_meta.TransferSyntaxUID
    try:
        decoder = get_decoder(syntax)
    except NotImplementedError as err:
        raise DicomError(f"read_dicom: {file} uses transfer syntax {syntax} ({syntax.name}), "
                         f"which pydicom cannot decode") from err
    if not decoder.is_available:
        options = "; or ".join(_pip_command(dep) for dep in decoder.missing_dependencies)
        raise DicomError(f"read_dicom: {file} is compressed with {syntax.name} and no decoder "
                         f"for it is installed; install one: {options}")
    if not syntax.is_encapsulated:
        expected, found = get_expected_length(ds, "bytes"), len(ds.PixelData)
        if found < expected:
            raise DicomError(f"read_dicom: the pixel data of {file} is truncated ({found} of "
                             f"{expected} bytes); the file is incomplete, copy it again")


def _pip_command(dependency: str) -> str:
    """'gdcm - requires gdcm>=3.0.10' -> 'pip install python-gdcm'."""
    requirements = dependency.split(" - requires ")[-1].split(" and ")
    names = [req.split(">=")[0].strip() for req in requirements]
    return "pip install " + " ".join(_PIP_NAMES.get(name, name) for name in names)


def _frame_index(frame: Any, frames: int, file: Path) -> int | None:
    if frame is None:
        if frames > 1:
            raise DicomError(f"read_dicom: {file} has {frames} frames; pass frame=k with "
                             f"0 <= k < {frames} to choose one")
        return None
    if isinstance(frame, bool) or not isinstance(frame, int):
        raise InputTypeError(f"read_dicom: frame must be an int or None, got {frame!r}")
    if not 0 <= frame < frames:
        raise InputError(f"read_dicom: frame={frame} but {file} has {frames} frame(s); "
                         f"pass 0..{frames - 1}")
    return frame if frames > 1 else None


def _decode(ds: Dataset, file: Path, index: int | None) -> np.ndarray:
    try:
        return pixel_array(ds, index=index)
    except Exception as err:  # decoder plugins raise many types on bad data
        syntax = ds.file_meta.TransferSyntaxUID
        others = get_decoder(syntax).missing_dependencies if syntax.is_encapsulated else []
        hint = f"; another decoder may read it: {'; or '.join(map(_pip_command, others))}" \
            if others else ""
        raise DicomError(f"read_dicom: cannot decode the pixel data of {file} ({syntax.name}; "
                         f"{type(err).__name__}: {err}); the file is corrupt or its transfer "
                         f"syntax does not match the data{hint}") from err


def _spacing(ds: Dataset) -> tuple[tuple[float, float] | None, str | None]:
    for tag in ("PixelSpacing", "ImagerPixelSpacing"):
        try:
            row, column = (float(v) for v in ds.get(tag) or ())
        except (TypeError, ValueError):  # absent, malformed, or not two values
            continue
        if row > 0 and column > 0:
            return (row, column), tag
    return None, None


def _metadata(ds: Dataset, frames: int, frame: int | None,
              voi: dict[str, Any]) -> dict[str, Any]:
    spacing, spacing_tag = _spacing(ds)
    interpretation = str(ds.PhotometricInterpretation)

    def text(keyword: str) -> str | None:
        value = ds.get(keyword)
        return str(value) if value not in (None, "") else None

    return {
        "rows": int(ds.Rows), "columns": int(ds.Columns), "bits_stored": int(ds.BitsStored),
        "number_of_frames": frames, "frame": frame,
        "modality": text("Modality"), "view_position": text("ViewPosition"),
        "photometric_interpretation": interpretation,
        "inverted": interpretation == "MONOCHROME1",
        "pixel_spacing": spacing, "pixel_spacing_tag": spacing_tag, **voi,
        "sop_instance_uid": text("SOPInstanceUID"), "sop_class_uid": text("SOPClassUID"),
        "transfer_syntax_uid": str(ds.file_meta.TransferSyntaxUID),
    }
