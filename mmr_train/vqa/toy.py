"""A tiny generated VQA set (PNG images on disk and :class:`VQARow` lists) for doctests,
tests and smoke runs; it stands in for VQA-RAD / SLAKE, which are never needed by the suite.

Image ``i`` is a dark square with a bright disc when ``i`` is even; each image gets three
questions (closed ``yes``/``no``, open organ, open modality). Even images are X-rays of the
chest, odd ones CT scans of the head.

Example:
    >>> import tempfile
    >>> rows = toy_vqa_rows(tempfile.mkdtemp(), n_images=2)
    >>> [(r.question, r.answer, r.modality) for r in rows[:3]]  # doctest: +NORMALIZE_WHITESPACE
    [('is there a bright spot?', 'yes', 'x-ray'), ('which organ is shown?', 'chest', 'x-ray'),
     ('what is the imaging modality?', 'x-ray', 'x-ray')]
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from ..data.vqa_rows import VQARow


def toy_vqa_rows(folder: str | Path, n_images: int = 4, dataset: str = "vqa_rad",
                 split: str = "train", size: int = 48) -> list[VQARow]:
    """Write ``n_images`` PNGs under ``folder`` and return their ``3 * n_images`` questions."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    yy, xx = np.mgrid[:size, :size]
    rows = []
    for i in range(n_images):
        spot = i % 2 == 0
        pixels = np.full((size, size), 40 + 10 * (i % 5), dtype=np.uint8)
        if spot:
            cy, cx = size // 3 + i % 7, size // 2
            pixels[(yy - cy) ** 2 + (xx - cx) ** 2 < (size // 6) ** 2] = 230
        path = folder / f"{dataset}_{split}_{i}.png"
        Image.fromarray(pixels).save(path)
        organ, modality = ("chest", "x-ray") if spot else ("head", "ct")
        for j, (question, answer, kind, qtype) in enumerate((
                ("is there a bright spot?", "yes" if spot else "no", "closed", "abnormality"),
                ("which organ is shown?", organ, "open", "organ"),
                ("what is the imaging modality?", modality, "open", "modality"))):
            rows.append(VQARow(image=path, question=question, answer=answer, answer_type=kind,
                               organ=organ, modality=modality, question_type=qtype,
                               qid=f"{split}{i}-{j}", image_id=path.name, dataset=dataset,
                               split=split))
    return rows
