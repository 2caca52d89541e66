"""read_dicom on real pydicom / pydicom-data files, checked against pydicom's own LUT pipeline."""

from __future__ import annotations

import numpy as np
import pydicom
import pytest
import torch
from pydicom.data import get_testdata_file
from pydicom.pixels import apply_modality_lut, apply_voi_lut

from mmr_augment.errors import InputError, InputTypeError
from mmr_augment.io import DicomError, read_dicom


def data_file(name: str) -> str:
    """Path of a pydicom / pydicom-data test file, never downloaded; skip when absent."""
    path = get_testdata_file(name, download=False)
    if path is None:
        pytest.skip(f"{name} is not available offline (pip install pydicom-data for CR files)")
    return str(path)


def reference(name: str) -> np.ndarray:
    """pydicom's apply_voi_lut(apply_modality_lut(...)), normalised as read_dicom documents."""
    ds = pydicom.dcmread(data_file(name))
    voi = apply_voi_lut(apply_modality_lut(ds.pixel_array, ds), ds)
    if "VOILUTSequence" in ds:
        low, high = 0, 2 ** ds.VOILUTSequence[0].LUTDescriptor[2] - 1
    elif "ModalityLUTSequence" in ds:
        low, high = 0, 2 ** ds.ModalityLUTSequence[0].LUTDescriptor[2] - 1
    else:
        low, high = 0, 2**ds.BitsStored - 1
        if ds.PixelRepresentation == 1:
            low, high = -(2 ** (ds.BitsStored - 1)), 2 ** (ds.BitsStored - 1) - 1
        if "RescaleSlope" in ds:
            low = low * ds.RescaleSlope + ds.RescaleIntercept
            high = high * ds.RescaleSlope + ds.RescaleIntercept
    unit = np.clip((voi - low) / (high - low), 0, 1)
    return 1 - unit if ds.PhotometricInterpretation == "MONOCHROME1" else unit


@pytest.mark.parametrize("name, bits, window", [("RG1_UNCR.dcm", 15, (15000.0, 30000.0)),
                                                ("RG3_UNCR.dcm", 10, (550.0, 1024.0))])
def test_monochrome1_cr_matches_pydicom_reference(name, bits, window):
    image, meta = read_dicom(data_file(name))
    assert image.dtype == torch.float32 and image.shape == (1, meta["rows"], meta["columns"])
    np.testing.assert_allclose(image[0].numpy(), reference(name), atol=1e-6)
    assert meta["modality"] == "CR" and meta["photometric_interpretation"] == "MONOCHROME1"
    assert meta["inverted"] is True and meta["bits_stored"] == bits
    assert (meta["voi"], meta["window_center"], meta["window_width"]) == ("window", *window)


def test_cr_matches_the_dicom_linear_window_by_hand():
    """RG3: centre 550, width 1024, MONOCHROME1: 1 - clip((v - 549.5) / 1023 + 0.5, 0, 1)."""
    stored = pydicom.dcmread(data_file("RG3_UNCR.dcm")).pixel_array.astype(np.float64)
    image, _ = read_dicom(data_file("RG3_UNCR.dcm"))
    expected = 1 - np.clip((stored - 549.5) / 1023 + 0.5, 0, 1)
    np.testing.assert_allclose(image[0].numpy(), expected, atol=1e-6)
    assert image[0][stored == 0].min() == 1.0  # MONOCHROME1: lowest stored value is white


@pytest.mark.parametrize("name, voi", [("MR_small.dcm", "window"), ("CT_small.dcm", "none"),
                                       ("vlut_04.dcm", "lut"), ("mlut_18.dcm", "none")])
def test_grayscale_matches_pydicom_reference(name, voi):
    image, meta = read_dicom(data_file(name))
    np.testing.assert_allclose(image[0].numpy(), reference(name), atol=1e-6)
    assert meta["voi"] == voi and meta["inverted"] is False


def test_no_voi_uses_stored_range_after_rescale():
    image, meta = read_dicom(data_file("CT_small.dcm"))  # signed 16-bit, slope 1, no window
    ds = pydicom.dcmread(data_file("CT_small.dcm"))
    expected = (ds.pixel_array.astype(np.float64) + 2**15) / (2**16 - 1)
    np.testing.assert_allclose(image[0].numpy(), expected, atol=1e-6)
    assert meta["window_center"] is None


@pytest.mark.parametrize("encoding", ["MR_small_bigendian.dcm", "MR_small_implicit.dcm",
                                      "MR_small_RLE.dcm", "MR_small_expb.dcm"])
def test_transfer_syntax_does_not_change_the_image(encoding):
    assert torch.equal(read_dicom(data_file(encoding))[0], read_dicom(data_file("MR_small.dcm"))[0])


def test_multi_valued_window_is_chosen_by_voi_index():
    path = data_file("MR-SIEMENS-DICOM-WithOverlays.dcm")  # windows (450, 790) and (200, 443)
    first, meta0 = read_dicom(path)
    second, meta1 = read_dicom(path, voi_index=1)
    raw, meta_none = read_dicom(path, voi_index=None)
    assert (meta0["window_center"], meta0["window_width"]) == (450.0, 790.0)
    assert (meta1["window_center"], meta1["window_width"]) == (200.0, 443.0)
    assert meta_none["voi"] == "none" and not torch.equal(first, second)
    # a narrower window saturates more pixels
    assert (second == 1).sum() > (first == 1).sum() and raw.max() < 1
    with pytest.raises(InputError, match="voi_index=2 but the file has 2"):
        read_dicom(path, voi_index=2)
    with pytest.raises(InputTypeError, match="voi_index must be an int or None"):
        read_dicom(path, voi_index="1")


def test_multi_frame_needs_a_frame_index():
    path = data_file("emri_small.dcm")
    with pytest.raises(DicomError, match=r"10 frames; pass frame=k"):
        read_dicom(path)
    image, meta = read_dicom(path, frame=3)
    ds = pydicom.dcmread(path)
    expected = ds.pixel_array[3] / (2**ds.BitsStored - 1)
    np.testing.assert_allclose(image[0].numpy(), np.clip(expected, 0, 1), atol=1e-6)
    assert (meta["frame"], meta["number_of_frames"]) == (3, 10)
    with pytest.raises(InputError, match="pass 0..9"):
        read_dicom(path, frame=10)
    with pytest.raises(InputTypeError, match="frame must be an int"):
        read_dicom(path, frame="3")


def test_rgb_and_ybr_give_three_channels():
    rgb, meta = read_dicom(data_file("SC_rgb.dcm"))
    ds = pydicom.dcmread(data_file("SC_rgb.dcm"))
    expected = torch.from_numpy(ds.pixel_array / 255.0).permute(2, 0, 1).float()
    assert torch.equal(rgb, expected) and meta["voi"] == "none"
    ybr, meta = read_dicom(data_file("SC_ybr_full_uncompressed.dcm"))
    assert meta["photometric_interpretation"] == "YBR_FULL" and ybr.shape == (3, 100, 100)
    difference = (ybr - rgb).abs()  # YBR -> RGB conversion rounding only
    assert difference.mean() < 1 / 255 and difference.max() <= 8 / 255


def test_palette_colour_is_refused_with_a_hint():
    with pytest.raises(DicomError, match="PALETTE COLOR.*apply_color_lut"):
        read_dicom(data_file("examples_palette.dcm"))


@pytest.mark.parametrize("name", ["reportsi.dcm", "rtplan.dcm"])
def test_non_image_objects_are_refused(name):
    with pytest.raises(DicomError, match="is not an image"):
        read_dicom(data_file(name))


def test_pixel_spacing_prefers_pixel_spacing_and_ignores_zero():
    assert read_dicom(data_file("MR2_UNCR.dcm"))[1]["pixel_spacing"] == (0.195313, 0.195313)
    meta = read_dicom(data_file("RG1_UNCR.dcm"))[1]  # PixelSpacing 0\0: unknown, not zero
    assert (meta["pixel_spacing"], meta["pixel_spacing_tag"]) == (None, None)


def test_metadata_is_json_friendly():
    import json

    meta = read_dicom(data_file("MR_small.dcm"))[1]
    assert json.loads(json.dumps(meta))["sop_instance_uid"] == meta["sop_instance_uid"]
