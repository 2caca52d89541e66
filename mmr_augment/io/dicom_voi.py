"""Grayscale DICOM pixels -> ``[0, 1]``: modality LUT, VOI LUT or window, MONOCHROME1 inversion.

The LUT arithmetic is pydicom's (``pydicom.pixels.apply_modality_lut``, ``apply_voi`` and
``apply_windowing``, which is what ``apply_voi_lut(..., prefer_lut=True)`` dispatches to); this
module only decides which one applies and how its output range maps onto ``[0, 1]``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydicom import Dataset
from pydicom.multival import MultiValue
from pydicom.pixels import apply_modality_lut, apply_voi, apply_windowing

from ..errors import InputError, InputTypeError
from ._common import DicomError


def voi_kind(ds: Dataset) -> str:
    """``"lut"``, ``"window"`` or ``"none"``: the VOI transform pydicom's apply_voi_lut picks."""
    lut_items = ds.get("VOILUTSequence") or []
    if lut_items and "LUTDescriptor" in lut_items[0] and "LUTData" in lut_items[0]:
        return "lut"
    if ds.get("WindowCenter") is not None and ds.get("WindowWidth") is not None:
        return "window"
    return "none"


def output_range(ds: Dataset) -> tuple[float, float]:
    """The modality-LUT output of the lowest and highest stored value, as pydicom computes it.

    From the Modality LUT Sequence's bit depth, else the stored range (``BitsStored``, signed or
    not) passed through rescale slope and intercept. May be decreasing for a negative slope.
    """
    if ds.get("ModalityLUTSequence"):
        bits = int(ds.ModalityLUTSequence[0].LUTDescriptor[2])
        return 0.0, float(2**bits - 1)
    bits = int(ds.BitsStored)
    if ds.get("PixelRepresentation", 0) == 0:
        low, high = 0.0, float(2**bits - 1)
    else:
        low, high = float(-(2 ** (bits - 1))), float(2 ** (bits - 1) - 1)
    slope, intercept = ds.get("RescaleSlope"), ds.get("RescaleIntercept")
    if slope is not None and intercept is not None:
        low, high = low * float(slope) + float(intercept), high * float(slope) + float(intercept)
    return low, high


def _checked_range(ds: Dataset) -> tuple[float, float]:
    low, high = output_range(ds)
    if low == high:
        raise DicomError(f"read_dicom: the modality LUT maps every stored value to {low} "
                         f"(RescaleSlope 0?); the header is corrupt")
    return low, high


def _as_list(value: Any) -> list[Any]:
    """A possibly multi-valued DICOM element (e.g. several window centres) as a list."""
    return list(value) if isinstance(value, MultiValue | list | tuple) else [value]


def _check_index(ds: Dataset, kind: str, index: Any) -> None:
    if index is not None and (isinstance(index, bool) or not isinstance(index, int)):
        raise InputTypeError(f"read_dicom: voi_index must be an int or None, got {index!r}")
    if kind == "none":
        return
    count = len(ds.VOILUTSequence) if kind == "lut" else min(
        len(_as_list(ds.WindowCenter)), len(_as_list(ds.WindowWidth)))
    if not 0 <= index < count:
        raise InputError(f"read_dicom: voi_index={index} but the file has {count} VOI "
                         f"{'LUT(s)' if kind == 'lut' else 'window(s)'}; pass 0..{count - 1}")


def render_monochrome(stored: np.ndarray, ds: Dataset,
                      voi_index: int | None) -> tuple[np.ndarray, dict[str, Any]]:
    """Stored grayscale values ``(H, W)`` -> float64 ``(H, W)`` in ``[0, 1]``, MONOCHROME2.

    Returns the image and the VOI facts for the metadata (``voi``, ``window_center``,
    ``window_width``). ``voi_index=None`` skips the VOI stage.
    """
    kind = "none" if voi_index is None else voi_kind(ds)
    _check_index(ds, kind, voi_index)
    values = apply_modality_lut(stored, ds)
    info: dict[str, Any] = {"voi": kind, "window_center": None, "window_width": None}
    if kind == "lut":
        if np.array_equal(values, np.round(values)):
            values = values.astype(np.int64)  # apply_voi indexes a table: integer input
        bits = int(ds.VOILUTSequence[voi_index].LUTDescriptor[2])
        unit = apply_voi(values, ds, index=voi_index) / float(2**bits - 1)
    elif kind == "window":
        info["window_center"] = float(_as_list(ds.WindowCenter)[voi_index])
        info["window_width"] = float(_as_list(ds.WindowWidth)[voi_index])
        try:
            windowed = apply_windowing(values, ds, index=voi_index)
        except ValueError as err:
            raise DicomError(f"read_dicom: invalid VOI window in the file ({err}); pass "
                             f"voi_index=None to skip windowing") from err
        low, high = _checked_range(ds)
        unit = (windowed - low) / (high - low)
    else:
        low, high = sorted(_checked_range(ds))
        unit = (values - low) / (high - low)
    unit = np.clip(unit, 0.0, 1.0)
    if ds.PhotometricInterpretation == "MONOCHROME1":
        unit = 1.0 - unit
    return unit, info
