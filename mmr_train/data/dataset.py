"""``ManifestDataset``: a torch ``Dataset`` over a :class:`~mmr_train.data.Manifest`.

Each item is a dict:

- ``image``: ``(channels, size, size)`` float32 in ``[0, 1]``. The shorter side is resized to
  ``size`` (bilinear, antialiased, as ``F.interpolate``) and the centre cropped to a square, so
  the aspect ratio is kept (``resize="stretch"`` resizes both sides instead). Colour images
  become grey with kornia's ITU-R 601 weights for ``channels=1``; grey ones are repeated for
  ``channels=3``.
- ``report``: the report text (read from ``report_path`` when the row has no text).
- ``labels``: ``(K,)`` float32 in ``manifest.observations`` order, 1 / 0 / -1 (uncertain),
  NaN when not mentioned; ``label_mask``: ``(K,)`` bool, True where a label is known.
- ``domain``: int; ``id``: str.

Files are checked again on read (a symlink changed since loading, a file removed or corrupt)
and every error names the sample and the path.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kornia
import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import Dataset

from mmr_augment.errors import ConfigError, InputError
from mmr_augment.io import read_image

from ._fields import MISSING_CODE, resolved_inside
from .manifest import Manifest

RESIZE_MODES = ("crop", "stretch")
#: How ``-1`` (uncertain) labels are served: kept, mapped to 1 or 0, or masked out.
UNCERTAIN_POLICIES = ("keep", "ones", "zeros", "ignore")


def fit_image(image: torch.Tensor, size: int, channels: int, resize: str = "crop") -> torch.Tensor:
    """``(C, H, W)`` in ``[0, 1]`` -> ``(channels, size, size)``, as described in the module.

    Example:
        >>> fit_image(torch.ones(3, 20, 40), 10, 1).shape
        torch.Size([1, 10, 10])
    """
    if image.shape[0] == 3 and channels == 1:
        image = kornia.color.rgb_to_grayscale(image)
    elif image.shape[0] == 1 and channels == 3:
        image = image.expand(3, -1, -1)
    height, width = image.shape[-2:]
    if resize == "stretch":
        shape = (size, size)
    else:
        scale = size / min(height, width)
        shape = (max(size, round(height * scale)), max(size, round(width * scale)))
    if shape != (height, width):
        image = F.interpolate(image[None].float(), size=shape, mode="bilinear",
                              align_corners=False, antialias=True)[0]
    top, left = (shape[0] - size) // 2, (shape[1] - size) // 2
    return image[:, top:top + size, left:left + size].clamp(0, 1).contiguous()


class ManifestDataset(Dataset):
    """Samples of a manifest as dicts of tensors (see the module docstring).

    Args:
        manifest: a :class:`~mmr_train.data.Manifest` from :func:`load_manifest`.
        size: output side in pixels.
        channels: 1 or 3.
        resize: ``"crop"`` (shorter side to ``size``, centre crop) or ``"stretch"``.
        uncertain: what ``-1`` labels become: ``"keep"`` (-1), ``"ones"``, ``"zeros"``, or
            ``"ignore"`` (NaN and masked out).

    Example:
        >>> import tempfile
        >>> from mmr_augment.synthetic import write
        >>> from mmr_train.data import load_manifest
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     item = ManifestDataset(load_manifest(write(tmp, 2, 64)), size=32)[1]
        >>> item["image"].shape, item["id"], int(item["label_mask"].sum())
        (torch.Size([1, 32, 32]), '1', 7)
    """

    def __init__(self, manifest: Manifest, size: int = 224, channels: int = 1,
                 resize: str = "crop", uncertain: str = "keep") -> None:
        if not isinstance(manifest, Manifest):
            raise InputError(f"ManifestDataset takes a Manifest (from load_manifest), got "
                             f"{type(manifest).__name__}")
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise ConfigError(f"size must be a positive int, got {size!r}")
        for name, value, allowed in (("channels", channels, (1, 3)),
                                     ("resize", resize, RESIZE_MODES),
                                     ("uncertain", uncertain, UNCERTAIN_POLICIES)):
            if value not in allowed:
                raise ConfigError(f"{name} must be one of {allowed}, got {value!r}")
        self.manifest, self.size, self.channels = manifest, size, channels
        self.resize, self.uncertain = resize, uncertain

    def __len__(self) -> int:
        return len(self.manifest)

    def __getitem__(self, index: int) -> dict[str, Any]:
        row = self.manifest[index]
        where = self.manifest.where(row)
        path = resolved_inside(self.manifest.root, row.image, where, "image")
        try:
            image = read_image(path)
        except InputError as err:
            raise InputError(f"{where}: cannot read image {row.image}: {err}") from err
        labels, mask = self._labels(row.labels)
        return {"image": fit_image(image, self.size, self.channels, self.resize),
                "report": self._report(row, where), "labels": labels, "label_mask": mask,
                "domain": row.domain, "id": row.id}

    def _report(self, row: Any, where: str) -> str:
        if row.report is not None:
            return row.report
        path = resolved_inside(self.manifest.root, row.report_path, where, "report_path")
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            raise InputError(f"{where}: cannot read report {row.report_path}: {err}") from err
        if not text.strip():
            raise InputError(f"{where}: report file {row.report_path} is empty; fill it or "
                             f"drop the row")
        return text

    def _labels(self, stored: bytes) -> tuple[torch.Tensor, torch.Tensor]:
        codes = torch.from_numpy(np.frombuffer(stored, dtype=np.int8).astype(np.float32))
        if self.uncertain == "ones":
            codes = torch.where(codes == -1, 1.0, codes)
        elif self.uncertain == "zeros":
            codes = torch.where(codes == -1, 0.0, codes)
        missing = (codes == MISSING_CODE) | ((codes == -1) & (self.uncertain == "ignore"))
        return codes.masked_fill(missing, float("nan")), ~missing
