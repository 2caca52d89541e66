"""write_dicom writes a valid DX For Presentation file that read_dicom reads back."""

from __future__ import annotations

import pydicom
import pytest
import torch
from pydicom.data import get_testdata_file
from pydicom.uid import DigitalXRayImageStorageForPresentation, ExplicitVRLittleEndian

from mmr_augment.errors import ConfigError, InputError, InputTypeError
from mmr_augment.io import read_dicom, write_dicom


def random_image(seed: int = 0, shape=(1, 40, 30)) -> torch.Tensor:
    return torch.rand(*shape, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("bits", [12, 16])
def test_round_trip_error_below_one_level(tmp_path, bits):
    image = random_image()
    write_dicom(tmp_path / "x.dcm", image, bits_stored=bits, seed=1)
    back, meta = read_dicom(tmp_path / "x.dcm")
    top = 2**bits - 1
    assert back.shape == image.shape and back.dtype == torch.float32
    assert (back - image).abs().max() <= 0.5 / top + 1e-7 < 1 / 4095
    levels = torch.round(image.double() * top)  # what write_dicom stores
    assert torch.equal(torch.round(back.double() * top), levels)
    assert (meta["bits_stored"], meta["voi"], meta["inverted"]) == (bits, "window", False)


def test_two_dimensional_input_and_extremes(tmp_path):
    image = torch.tensor([[0.0, 1.0], [0.5, 0.25]], dtype=torch.float64)
    write_dicom(tmp_path / "x.dcm", image)
    stored = pydicom.dcmread(tmp_path / "x.dcm").pixel_array
    assert stored.tolist() == [[0, 4095], [2048, 1024]]


def test_dataset_is_a_dx_for_presentation_file(tmp_path):
    write_dicom(tmp_path / "x.dcm", random_image(), {"view_position": "PA"}, seed=3)
    raw = (tmp_path / "x.dcm").read_bytes()
    assert raw[128:132] == b"DICM"
    ds = pydicom.dcmread(tmp_path / "x.dcm")
    assert ds.file_meta.TransferSyntaxUID == ExplicitVRLittleEndian
    assert ds.SOPClassUID == ds.file_meta.MediaStorageSOPClassUID
    assert ds.SOPClassUID == DigitalXRayImageStorageForPresentation
    assert ds.SOPInstanceUID == ds.file_meta.MediaStorageSOPInstanceUID
    assert (ds.Modality, ds.PresentationIntentType, ds.ViewPosition) == (
        "DX", "FOR PRESENTATION", "PA")
    assert list(ds.ImageType) == ["DERIVED", "PRIMARY", ""]
    assert (ds.Rows, ds.Columns, ds.SamplesPerPixel) == (40, 30, 1)
    assert (ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation) == (
        16, 12, 11, 0)
    assert ds.PhotometricInterpretation == "MONOCHROME2"
    assert (ds.RescaleSlope, ds.RescaleIntercept, ds.PresentationLUTShape) == (
        1, 0, "IDENTITY")
    assert (ds.WindowCenter, ds.WindowWidth) == (2048, 4096)
    pydicom.dataset.validate_file_meta(ds.file_meta, enforce_standard=True)


def test_seed_makes_uids_deterministic(tmp_path):
    def uids(name, image, seed):
        write_dicom(tmp_path / name, image, seed=seed)
        ds = pydicom.dcmread(tmp_path / name)
        return ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.SOPInstanceUID

    first = uids("a.dcm", random_image(0), seed=5)
    assert uids("b.dcm", random_image(0), seed=5) == first
    assert uids("c.dcm", random_image(1), seed=5)[:2] == first[:2]  # same study and series
    assert uids("c.dcm", random_image(1), seed=5)[2] != first[2]  # another instance
    assert set(uids("d.dcm", random_image(0), seed=6)).isdisjoint(first)
    assert uids("e.dcm", random_image(0), seed=None) != uids("f.dcm", random_image(0), None)
    assert all(pydicom.uid.UID(uid).is_valid for uid in first)


def test_metadata_of_a_real_cr_is_carried_over(tmp_path):
    path = get_testdata_file("RG3_UNCR.dcm", download=False)
    if path is None:
        pytest.skip("RG3_UNCR.dcm is not available offline (pip install pydicom-data)")
    image, meta = read_dicom(path)
    write_dicom(tmp_path / "derived.dcm", image, {**meta, "pixel_spacing": (0.17, 0.17)}, seed=0)
    back, back_meta = read_dicom(tmp_path / "derived.dcm")
    assert (back - image).abs().max() < 1 / 4095
    assert back_meta["photometric_interpretation"] == "MONOCHROME2"  # already inverted once
    assert back_meta["pixel_spacing"] == (0.17, 0.17)
    assert back_meta["pixel_spacing_tag"] == "ImagerPixelSpacing"
    source = pydicom.dcmread(tmp_path / "derived.dcm").SourceImageSequence[0]
    assert source.ReferencedSOPInstanceUID == meta["sop_instance_uid"]
    assert source.ReferencedSOPClassUID == meta["sop_class_uid"]


@pytest.mark.parametrize("image, error, message", [
    (torch.zeros(1, 4, 4, dtype=torch.int32), InputTypeError, "dtype torch.int32"),
    (torch.zeros(1, 4, 4).numpy(), InputTypeError, "torch.from_numpy"),
    (torch.full((1, 4, 4), 1.5), InputError, r"x.clamp\(0, 1\)"),
    (torch.full((1, 4, 4), float("nan")), InputError, "NaN"),
    (torch.zeros(3, 4, 4), InputError, r"C in \(1,\)"),
    (torch.zeros(2, 1, 4, 4), InputError, "a batch"),
    (torch.zeros(1, 0, 4), InputError, "zero size"),
])
def test_bad_images_are_refused(tmp_path, image, error, message):
    with pytest.raises(error, match=message):
        write_dicom(tmp_path / "x.dcm", image)
    assert not (tmp_path / "x.dcm").exists()


def test_bad_settings_are_refused(tmp_path):
    with pytest.raises(ConfigError, match=r"bits must be one of \(12, 16\)"):
        write_dicom(tmp_path / "x.dcm", torch.zeros(1, 2, 2), bits_stored=10)
    with pytest.raises(InputError, match="pixel_spacing must be two positive numbers"):
        write_dicom(tmp_path / "x.dcm", torch.zeros(1, 2, 2), {"pixel_spacing": (0.0, 0.1)})
