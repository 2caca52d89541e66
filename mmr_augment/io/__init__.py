"""Image file I/O: DICOM (pydicom) and PNG / JPEG (Pillow) to float tensors in ``[0, 1]``.

- :func:`read_dicom`: ``(C, H, W)`` float32 plus metadata; modality LUT, VOI LUT or window,
  MONOCHROME1 inverted to the MONOCHROME2 convention.
- :func:`write_dicom`: a derived DX For Presentation file (16-bit MONOCHROME2).
- :func:`read_image`: PNG / JPEG (8- and 16-bit); DICOM files go to :func:`read_dicom`.
- :func:`write_png`: 8-bit grayscale or RGB, 16-bit grayscale.

Errors are :class:`~mmr_augment.errors.InputError` (bad files: :class:`DicomError` for DICOM)
or :class:`~mmr_augment.errors.InputTypeError`, each saying what to do.

Example:
    >>> import tempfile, torch
    >>> from mmr_augment.io import read_image, write_dicom
    >>> x = torch.linspace(0, 1, 6).reshape(1, 2, 3)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     write_dicom(f"{tmp}/x.dcm", x, seed=0)
    ...     y = read_image(f"{tmp}/x.dcm")
    >>> bool((x - y).abs().max() < 1 / 4095)
    True
"""

from ._common import MAX_PIXELS, DicomError
from .dicom_read import read_dicom
from .dicom_write import write_dicom
from .raster import read_image, write_png

__all__ = ["MAX_PIXELS", "DicomError", "read_dicom", "read_image", "write_dicom", "write_png"]
