"""One medical VQA question as the readers return it, and how its image becomes a tensor.

The VQA-RAD and SLAKE readers (:mod:`mmr_train.data.vqa_rad`, :mod:`mmr_train.data.slake`)
both return :class:`VQARow` lists, so fine-tuning and evaluation never look at a layout.

Colour handling, the same for both datasets: every image is converted by Pillow to 8-bit
luminance (``"L"``, ITU-R BT.601 weights ``.299 R + .587 G + .114 B``, which leaves a grey
JPEG stored as RGB unchanged), divided by 255, then resized to ``size x size`` with
antialiased bilinear interpolation (aspect ratio not kept, as M3AE does).

Example:
    >>> import tempfile
    >>> from PIL import Image
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     Image.new("RGB", (40, 20), (255, 0, 0)).save(f"{tmp}/a.jpg")
    ...     x = load_vqa_image(f"{tmp}/a.jpg", 16)
    >>> x.shape, x.dtype, round(float(x.mean()), 2)
    (torch.Size([1, 16, 16]), torch.float32, 0.3)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, UnidentifiedImageError

from mmr_augment.errors import InputError

#: Answer types, lower-case.
ANSWER_TYPES = ("closed", "open")


@dataclass(frozen=True)
class VQARow:
    """One question about one image.

    Attributes:
        image: absolute path of the image file.
        question: the question text, stripped.
        answer: the answer, stripped and lower-cased (the scoring key).
        answer_type: ``"closed"`` or ``"open"``.
        organ: body region, lower-case (VQA-RAD ``image_organ``: ``head``/``chest``/``abd``;
            SLAKE ``location``, e.g. ``lung``, ``abdomen``).
        modality: ``"x-ray"``, ``"ct"``, ``"mri"``, or ``""`` when the release does not say.
        question_type: VQA-RAD ``question_type`` / SLAKE ``content_type``, lower-case.
        qid: the release's question id, as text.
        image_id: groups the questions of one image (VQA-RAD: the file name, ``synpic100.jpg``;
            SLAKE: the image folder, ``xmlab102``).
        dataset: ``"vqa_rad"`` or ``"slake"``.
        split: the release split the row came from (``train``, ``validate``, ``test``).
    """

    image: Path
    question: str
    answer: str
    answer_type: str
    organ: str
    modality: str
    question_type: str
    qid: str
    image_id: str
    dataset: str
    split: str


def load_vqa_image(path: str | Path, size: int) -> torch.Tensor:
    """Read a VQA image as ``(1, size, size)`` float32 in ``[0, 1]`` (see the module doc)."""
    try:
        with Image.open(path) as opened:
            grey = np.asarray(opened.convert("L"), dtype=np.float32) / 255.0
    except FileNotFoundError as err:
        raise InputError(f"VQA image {path} does not exist; check the dataset root") from err
    except (UnidentifiedImageError, OSError) as err:
        raise InputError(f"VQA image {path} cannot be decoded ({err}); the file is corrupt "
                         f"or not an image") from err
    x = torch.from_numpy(grey)[None, None]
    x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False,
                      antialias=True)
    return x[0].clamp_(0.0, 1.0)
