"""read_dicom refuses broken or unsupported files with a DicomError that says what to do."""

from __future__ import annotations

import pydicom
import pytest
import torch
from pydicom.encaps import encapsulate
from pydicom.pixels import get_decoder
from pydicom.uid import JPEGBaseline8Bit, JPEGLosslessSV1

import mmr_augment.io.dicom_read as dicom_read
from mmr_augment.errors import InputError
from mmr_augment.io import MAX_PIXELS, DicomError, read_dicom, write_dicom


@pytest.fixture
def dx_file(tmp_path):
    """A valid 12-bit 32 x 24 DX file written by write_dicom."""
    path = tmp_path / "dx.dcm"
    image = torch.rand(1, 32, 24, generator=torch.Generator().manual_seed(0))
    write_dicom(path, image, seed=0)
    return path


def rewrite(path, edit):
    """Load ``path``, apply ``edit(ds)``, save it back unchanged otherwise."""
    ds = pydicom.dcmread(path)
    edit(ds)
    ds.save_as(path)
    return path


def compressed_as(syntax):
    """An edit that claims ``syntax`` and encapsulates the (raw, so invalid) pixel bytes."""
    def edit(ds):
        ds.PixelData = encapsulate([ds.PixelData])
        ds["PixelData"].VR = "OB"
        ds.file_meta.TransferSyntaxUID = syntax

    return edit


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        read_dicom(tmp_path / "absent.dcm")


def test_not_a_dicom_file(tmp_path):
    path = tmp_path / "notes.dcm"
    path.write_text("not an image at all" * 20)
    with pytest.raises(DicomError, match="not a DICOM Part 10 file.*read_image"):
        read_dicom(path)


def test_truncated_pixel_data(dx_file):
    dx_file.write_bytes(dx_file.read_bytes()[:-100])
    with pytest.raises(DicomError, match=r"truncated \(1436 of 1536 bytes\)"):
        read_dicom(dx_file)


def test_truncated_header(dx_file):
    dx_file.write_bytes(dx_file.read_bytes()[:200])
    with pytest.raises(DicomError, match="truncated"):
        read_dicom(dx_file)


def test_missing_pixel_data(dx_file):
    rewrite(dx_file, lambda ds: delattr(ds, "PixelData"))
    with pytest.raises(DicomError, match=r"no \(7FE0,0010\) Pixel Data"):
        read_dicom(dx_file)


def test_structured_report_is_not_an_image(dx_file):
    def to_report(ds):
        for keyword in ("Rows", "Columns", "PixelData"):
            delattr(ds, keyword)
        ds.SOPClassUID = pydicom.uid.BasicTextSRStorage

    rewrite(dx_file, to_report)
    with pytest.raises(DicomError, match="not an image .Basic Text SR Storage"):
        read_dicom(dx_file)


def test_compressed_without_decoder_names_the_packages(dx_file):
    if get_decoder(JPEGLosslessSV1).is_available:
        pytest.skip("a JPEG Lossless decoder is installed here")
    rewrite(dx_file, compressed_as(JPEGLosslessSV1))
    with pytest.raises(DicomError, match="no decoder for it is installed") as caught:
        read_dicom(dx_file)
    assert "pip install pylibjpeg pylibjpeg-libjpeg" in str(caught.value)
    assert "pip install python-gdcm" in str(caught.value)


def test_wrong_transfer_syntax_is_a_decode_error(dx_file):
    if not get_decoder(JPEGBaseline8Bit).is_available:
        pytest.skip("no JPEG Baseline decoder (Pillow plugin) here")
    rewrite(dx_file, compressed_as(JPEGBaseline8Bit))
    with pytest.raises(DicomError, match="cannot decode the pixel data"):
        read_dicom(dx_file)


def test_absurd_dimensions_are_refused_before_decoding(dx_file, monkeypatch):
    def huge(ds):
        ds.Rows, ds.Columns, ds.NumberOfFrames = 65535, 65535, 1

    rewrite(dx_file, huge)

    def no_decoding(*args, **kwargs):
        raise AssertionError("pixel data must not be decoded")

    monkeypatch.setattr(dicom_read, "pixel_array", no_decoding)
    monkeypatch.setattr(dicom_read, "get_expected_length", no_decoding)
    limit = f"above the limit mmr_augment.io.MAX_PIXELS = {MAX_PIXELS}"
    with pytest.raises(DicomError, match=limit):
        read_dicom(dx_file)


def test_multi_frame_header_asks_for_frame(dx_file):
    def two_frames(ds):
        ds.NumberOfFrames = 2
        ds.PixelData = ds.PixelData * 2

    rewrite(dx_file, two_frames)
    with pytest.raises(DicomError, match=r"2 frames; pass frame=k with 0 <= k < 2"):
        read_dicom(dx_file)
    first, _ = read_dicom(dx_file, frame=0)
    assert torch.equal(first, read_dicom(dx_file, frame=1)[0])


def test_unknown_photometric_interpretation(dx_file):
    rewrite(dx_file, lambda ds: setattr(ds, "PhotometricInterpretation", "HSV"))
    with pytest.raises(DicomError, match="'HSV'.*not supported; supported: MONOCHROME1"):
        read_dicom(dx_file)


def test_invalid_window_suggests_skipping_voi(dx_file):
    rewrite(dx_file, lambda ds: setattr(ds, "WindowWidth", 0))
    with pytest.raises(DicomError, match="voi_index=None"):
        read_dicom(dx_file)
    image, meta = read_dicom(dx_file, voi_index=None)
    assert meta["voi"] == "none" and image.shape == (1, 32, 24)


@pytest.mark.filterwarnings("ignore:Invalid value for VR IS")
def test_malformed_number_of_frames(dx_file):
    rewrite(dx_file, lambda ds: setattr(ds, "NumberOfFrames", 7))
    element = b"\x28\x00\x08\x00IS\x02\x00"  # (0028,0008) IS, 2 bytes, explicit VR LE
    data = dx_file.read_bytes()
    assert data.count(element + b"7 ") == 1
    dx_file.write_bytes(data.replace(element + b"7 ", element + b"1A"))  # not an integer
    with pytest.raises(DicomError, match="malformed Rows, Columns or Number of Frames"):
        read_dicom(dx_file)
