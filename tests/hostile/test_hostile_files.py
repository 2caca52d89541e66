"""Hostile files: DICOM headers, raster images, and checkpoints crafted to run code.

Already covered (not repeated; see SECURITY.md): tests/io/test_io_dicom_errors.py (missing, not
DICOM, truncated header and pixel data, no pixel data, SR not an image, compressed without a
decoder, wrong transfer syntax, absurd dimensions refused before decoding, multi-frame, unknown
photometric interpretation, bad window, malformed Number of Frames);
tests/train/test_train_data.py (manifests: missing files, paths and symlinks escaping the root,
duplicate ids, empty reports, bad cells, file deleted after loading);
tests/train/test_train_checkpoint.py (truncated, wrong version, foreign file, pickled class refused,
full disk, SIGKILL during and after a write then bit-identical resume).
"""

from __future__ import annotations

import pickle
import random
import zipfile

import pydicom
import pytest
import torch
from PIL import Image

pytest.importorskip("tokenizers", reason="needs the train extra: pip install 'mmr[train]'")

from mmr_augment.errors import InputError
from mmr_augment.io import DicomError, read_dicom, read_image, write_dicom
from mmr_train.checkpoint import CheckpointError, CheckpointManager, load_checkpoint


@pytest.fixture
def dx_file(tmp_path):
    path = tmp_path / "dx.dcm"
    write_dicom(path, torch.rand(1, 32, 24, generator=torch.Generator().manual_seed(0)), seed=0)
    return path


def rewrite(path, **values):
    ds = pydicom.dcmread(path)
    for key, value in values.items():
        setattr(ds, key, value)
    ds.save_as(path)
    return path


# ----------------------------------------------------------------------------- DICOM
@pytest.mark.parametrize("values, match", [
    ({"Rows": 0}, "declares an empty image"),
    ({"BitsAllocated": 7}, "cannot decode the pixel data"),
    ({"BitsStored": 20}, "cannot decode the pixel data"),
    ({"SamplesPerPixel": 4}, "truncated"),
    ({"NumberOfFrames": 100_000}, "truncated"),
])
def test_inconsistent_headers_are_refused(dx_file, values, match):
    with pytest.raises(DicomError, match=match):
        read_dicom(rewrite(dx_file, **values))


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("slope", ["NaN", "1e400", "-inf"])
def test_non_finite_rescale_is_refused_not_passed_on_as_nan(dx_file, slope):
    rewrite(dx_file, RescaleSlope=slope, RescaleIntercept="0")
    with pytest.raises(DicomError, match="NaN or Inf"):
        read_dicom(dx_file)


def test_zero_byte_file(tmp_path):
    (tmp_path / "empty.dcm").write_bytes(b"")
    with pytest.raises(DicomError, match="not a DICOM Part 10 file"):
        read_dicom(tmp_path / "empty.dcm")


def test_png_decompression_bomb_is_refused(tmp_path):
    path = tmp_path / "bomb.png"
    Image.new("L", (20_000, 20_000)).save(path, optimize=True)  # 400 MPixel, ~0.4 MB file
    assert path.stat().st_size < 2_000_000
    with pytest.raises(InputError, match="too large to open safely"):
        read_image(path)


@pytest.mark.parametrize("head", [b"", b"\x1c\x02\x00\xff", b"\x1c\x09\x00\x10"])
def test_garbage_with_an_image_suffix(tmp_path, head):
    """Seeded garbage; the heads make Pillow's IPTC plugin claim the file and then fail
    (an OSError / SyntaxError from inside Image.open, not UnidentifiedImageError)."""
    path = tmp_path / "x.png"
    path.write_bytes(head + random.Random(0).randbytes(4096))
    with pytest.raises(InputError):
        read_image(path)


# ----------------------------------------------------------------------------- checkpoints
class PlantMarker:
    """Unpickling this would create a file: the classic malicious-pickle payload."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_malicious_pickle_checkpoint_is_refused_and_runs_nothing(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "step_00000001.pt"
    torch.save({"format": "mmr_train.checkpoint", "version": 1,
                "model": {"w": torch.ones(2)}, "extra": PlantMarker(str(marker))}, path)
    assert not marker.exists()
    with pytest.raises(CheckpointError, match="pickled Python objects; refusing"):
        load_checkpoint(path)
    assert not marker.exists()
    with pytest.raises(pickle.UnpicklingError):  # the same file, unsafely: proof it is armed
        torch.load(path, weights_only=True)
    torch.load(path, weights_only=False)
    assert marker.exists()


def test_legacy_raw_pickle_checkpoint_is_refused(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "legacy.pt"
    path.write_bytes(pickle.dumps(PlantMarker(str(marker))))
    with pytest.raises(CheckpointError):
        load_checkpoint(path)
    assert not marker.exists()


def test_zip_with_garbage_member_is_a_clear_error(tmp_path):
    path = tmp_path / "odd.pt"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("odd/data.pkl", b"\x80\x05garbage")
    with pytest.raises(CheckpointError, match="truncated or corrupt|pickled"):
        load_checkpoint(path)


def test_latest_pointer_cannot_leave_the_checkpoint_folder(tmp_path):
    folder = tmp_path / "checkpoints"
    manager = CheckpointManager(folder)
    manager.save({"model": {"w": torch.ones(1)}}, 1)
    other = CheckpointManager(tmp_path / "elsewhere")
    outside = other.save({"model": {"w": torch.zeros(1)}}, 9)
    (folder / "latest").write_text(f"../elsewhere/{outside.name}")
    assert manager.latest() == manager.path(1)
