"""Write a derived image as a DX (Digital X-Ray Image Storage - For Presentation) DICOM file."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch
from pydicom import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import (
    PYDICOM_IMPLEMENTATION_UID,
    DigitalXRayImageStorageForPresentation,
    ExplicitVRLittleEndian,
    generate_uid,
)

from ..errors import InputError
from ._common import PathLike, check_bits, quantise

_TYPE_2_EMPTY = (
    "PatientName", "PatientID", "PatientBirthDate", "PatientSex", "StudyDate", "StudyTime",
    "ReferringPhysicianName", "StudyID", "AccessionNumber", "SeriesNumber", "InstanceNumber",
    "Manufacturer", "PatientOrientation", "DetectorType",
)


def write_dicom(path: PathLike, image: torch.Tensor, metadata: Mapping[str, Any] | None = None,
                *, bits_stored: int = 12, seed: int | None = None) -> None:
    """Write a float image in ``[0, 1]`` as a 16-bit MONOCHROME2 DX For Presentation file.

    Explicit VR Little Endian; values are rounded to ``bits_stored`` bits (error at most
    ``0.5 / (2**bits_stored - 1)``); rescale slope 1, intercept 0; one window that maps the
    full stored range onto the display range, so :func:`read_dicom` returns the written image.
    Patient and study attributes are left empty (type 2); the image is marked DERIVED.

    From ``metadata`` (e.g. what :func:`read_dicom` returned; other keys are ignored):
    ``pixel_spacing`` -> Imager Pixel Spacing, ``view_position`` -> View Position, and
    ``sop_instance_uid`` / ``sop_class_uid`` -> Source Image Sequence.

    Args:
        path: the file to write (overwritten if it exists).
        image: ``(1, H, W)`` or ``(H, W)`` float tensor in ``[0, 1]``, MONOCHROME2 convention.
        metadata: optional source metadata, see above.
        bits_stored: 12 or 16.
        seed: makes the Study, Series and SOP Instance UIDs deterministic (derived from the
            seed, the pixel values and the source UID); None draws fresh UIDs.

    Example:
        >>> import tempfile, pydicom, torch
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     write_dicom(f"{tmp}/x.dcm", torch.ones(1, 2, 2), {"pixel_spacing": (0.2, 0.2)},
        ...                 seed=7)
        ...     ds = pydicom.dcmread(f"{tmp}/x.dcm")
        >>> ds.Modality, ds.BitsStored, int(ds.pixel_array.max()), float(ds.ImagerPixelSpacing[0])
        ('DX', 12, 4095, 0.2)
    """
    bits = check_bits(bits_stored, (12, 16), "write_dicom")
    pixels = quantise(image, bits, (1,), "write_dicom")[0].astype("<u2")
    source = dict(metadata or {})
    uids = _uids(seed, pixels, source.get("sop_instance_uid"))
    ds = Dataset()
    ds.file_meta = _file_meta(uids["instance"])
    ds.SOPClassUID = DigitalXRayImageStorageForPresentation
    ds.SOPInstanceUID = uids["instance"]
    ds.StudyInstanceUID, ds.SeriesInstanceUID = uids["study"], uids["series"]
    for keyword in _TYPE_2_EMPTY:  # required but unknown for a derived image: present, empty
        setattr(ds, keyword, None if keyword.endswith("Number") else "")
    ds.Modality, ds.PresentationIntentType = "DX", "FOR PRESENTATION"
    ds.ImageType = ["DERIVED", "PRIMARY", ""]
    ds.DerivationDescription = "float image written by mmr_augment.io.write_dicom"
    ds.AnatomicRegionSequence = Sequence()
    _set_pixels(ds, pixels, bits)
    _set_source(ds, source)
    ds.save_as(path, enforce_file_format=True)


def _uids(seed: int | None, pixels: np.ndarray, source_uid: Any) -> dict[str, str]:
    if seed is None:
        return {role: generate_uid() for role in ("study", "series", "instance")}
    base = f"mmr_augment.io.write_dicom seed={int(seed)}"
    content = hashlib.sha256(pixels.tobytes() + str(pixels.shape).encode()).hexdigest()
    return {
        "study": generate_uid(entropy_srcs=[base, "study"]),
        "series": generate_uid(entropy_srcs=[base, "series"]),
        "instance": generate_uid(entropy_srcs=[base, "instance", content, str(source_uid)]),
    }


def _file_meta(instance_uid: str) -> FileMetaDataset:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = DigitalXRayImageStorageForPresentation
    meta.MediaStorageSOPInstanceUID = instance_uid
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
    return meta


def _set_pixels(ds: Dataset, pixels: np.ndarray, bits: int) -> None:
    ds.Rows, ds.Columns = pixels.shape
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, bits, bits - 1, 0
    ds.PixelIntensityRelationship, ds.PixelIntensityRelationshipSign = "LOG", 1
    ds.RescaleIntercept, ds.RescaleSlope, ds.RescaleType = 0, 1, "US"
    # DICOM linear window: centre 2**(b-1), width 2**b maps [0, 2**b - 1] exactly onto [0, 1].
    ds.WindowCenter, ds.WindowWidth = 2 ** (bits - 1), 2**bits
    ds.PresentationLUTShape, ds.LossyImageCompression = "IDENTITY", "00"
    ds.BurnedInAnnotation = "NO"
    ds.PixelData = pixels.tobytes()


def _set_source(ds: Dataset, source: dict[str, Any]) -> None:
    spacing = source.get("pixel_spacing")
    if spacing is not None:
        if len(spacing) != 2 or min(float(v) for v in spacing) <= 0:
            raise InputError(f"write_dicom: pixel_spacing must be two positive numbers (row, "
                             f"column spacing in mm), got {spacing!r}; or leave it out")
        ds.ImagerPixelSpacing = [f"{float(v):.10g}" for v in spacing]
    if source.get("view_position"):
        ds.ViewPosition = str(source["view_position"])
    if source.get("sop_instance_uid") and source.get("sop_class_uid"):
        reference = Dataset()
        reference.ReferencedSOPClassUID = source["sop_class_uid"]
        reference.ReferencedSOPInstanceUID = source["sop_instance_uid"]
        ds.SourceImageSequence = Sequence([reference])
