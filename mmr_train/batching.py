"""From a dataset of study dicts to resumable micro-batches.

- :func:`collate_studies`: dataset items (``image`` (C, H, W) float in [0, 1], ``report`` str,
  optional ``labels`` / ``label_vector``, ``domain``, ``study_id``, ``view2_image``,
  ``view2_report``) -> :class:`StudyBatch`, images resized to the model's size and channels.
- :class:`ResumableSampler`: a ``DistributedSampler`` (one rank or many) that can start in the
  middle of an epoch, so a resumed run sees exactly the batches it would have seen.
- :class:`BatchStream`: endless micro-batches over epochs, with its position (epoch, batch
  index) for the checkpoint.

Example:
    >>> items = [{"image": torch.rand(1, 8, 8), "report": f"r{i}"} for i in range(6)]
    >>> stream = BatchStream(items, batch_size=2, seed=0, image_size=4, channels=1)
    >>> [b.reports for b in (stream.next(), stream.next(), stream.next(), stream.next())]
    [['r2', 'r5'], ['r3', 'r0'], ['r1', 'r4'], ['r1', 'r5']]
    >>> stream.position()
    (1, 1)
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset, DistributedSampler

from mmr_augment.errors import InputError, InputTypeError


@dataclass
class StudyBatch:
    """Collated studies; ``view2_*`` hold the dataset's second style view when it has one."""

    images: torch.Tensor
    reports: list[str]
    labels: torch.Tensor | None = None
    view2_images: torch.Tensor | None = None
    view2_reports: list[str] | None = None
    #: Per-study seeds of the policy params (sharded data: from base seed, epoch, study id).
    sample_seeds: list[int] | None = None

    def __len__(self) -> int:
        return len(self.reports)


def fit_images(images: Sequence[torch.Tensor], size: int, channels: int) -> torch.Tensor:
    """Stack ``(C, H, W)`` images as ``(B, channels, size, size)`` float32 in [0, 1].

    Images of another size are resized (bilinear, antialiased); 3 channels become 1 by their
    mean and 1 channel becomes 3 by repetition.
    """
    out = []
    for img in images:
        if not isinstance(img, torch.Tensor) or img.dim() != 3 or img.is_complex():
            raise InputTypeError("each item's 'image' must be a (C, H, W) float tensor in [0, 1]")
        if not img.is_floating_point():
            raise InputTypeError("integer images are not accepted; convert with "
                                 "mmr_augment.io (or img.float() / 255) first")
        img = img.float()
        if img.shape[0] != channels:
            img = img.mean(0, keepdim=True) if channels == 1 else img[:1].expand(channels, -1, -1)
        if tuple(img.shape[1:]) != (size, size):
            img = F.interpolate(img[None], size=(size, size), mode="bilinear", antialias=True,
                                align_corners=False)[0].clamp(0, 1)
        out.append(img)
    return torch.stack(out)


def _labels(items: Sequence[dict[str, Any]]) -> torch.Tensor | None:
    values = [item.get("label_vector", item.get("labels")) for item in items]
    if any(v is None or isinstance(v, dict) for v in values):
        return None
    return torch.stack([torch.as_tensor(v, dtype=torch.float32) for v in values])


def collate_studies(items: Sequence[dict[str, Any]], image_size: int, channels: int
                    ) -> StudyBatch:
    """Collate dataset items into a :class:`StudyBatch` (see the module docstring)."""
    for item in items:
        if not isinstance(item, dict) or "image" not in item or "report" not in item:
            raise InputError("dataset items must be dicts with 'image' and 'report' keys")
        if not isinstance(item["report"], str):
            raise InputTypeError(f"'report' must be str, got {type(item['report']).__name__}")
    has_view2 = all("view2_image" in item for item in items)
    return StudyBatch(
        images=fit_images([item["image"] for item in items], image_size, channels),
        reports=[item["report"] for item in items], labels=_labels(items),
        view2_images=(fit_images([item["view2_image"] for item in items], image_size, channels)
                      if has_view2 else None),
        view2_reports=([item.get("view2_report", item["report"]) for item in items]
                       if has_view2 else None),
        sample_seeds=([int(item["perturb_seed"]) for item in items]
                      if all("perturb_seed" in item for item in items) else None))


class ResumableSampler(DistributedSampler):
    """``DistributedSampler`` whose epoch order can be entered at sample ``start``.

    The order of epoch ``e`` is a permutation drawn from ``seed + e`` (torch's
    ``DistributedSampler`` rule), split across ``num_replicas`` ranks.
    """

    def __init__(self, dataset: Any, num_replicas: int = 1, rank: int = 0, seed: int = 0
                 ) -> None:
        super().__init__(dataset, num_replicas=num_replicas, rank=rank, shuffle=True,
                         seed=seed, drop_last=True)
        self.start = 0

    def set_position(self, epoch: int, start: int) -> None:
        """Next iteration yields epoch ``epoch``'s order from its ``start``-th index on."""
        self.set_epoch(epoch)
        self.start = start

    def __iter__(self) -> Iterator[int]:
        return itertools.islice(super().__iter__(), self.start, None)


class BatchStream:
    """Endless micro-batches of ``batch_size`` studies per rank, epoch after epoch.

    The incomplete last batch of an epoch is dropped, so every batch has the same size.
    """

    def __init__(self, dataset: Dataset, batch_size: int, seed: int, image_size: int,
                 channels: int, rank: int = 0, world_size: int = 1, num_workers: int = 0
                 ) -> None:
        per_rank = len(dataset) // world_size
        if per_rank < batch_size:
            raise InputError(f"{len(dataset)} studies give {per_rank} per rank, fewer than "
                             f"train.batch_size {batch_size}; lower the batch size or add data")
        self.sampler = ResumableSampler(dataset, world_size, rank, seed)
        self.batches_per_epoch = per_rank // batch_size
        self.loader = DataLoader(
            dataset, batch_size=batch_size, sampler=self.sampler, drop_last=True,
            num_workers=num_workers, generator=torch.Generator().manual_seed(seed),
            collate_fn=partial(collate_studies, image_size=image_size, channels=channels),
            persistent_workers=False)
        self.epoch, self.index = 0, 0
        self._iter: Iterator[StudyBatch] | None = None

    def position(self) -> tuple[int, int]:
        """``(epoch, batches of that epoch already consumed)``."""
        return self.epoch, self.index

    def seek(self, epoch: int, index: int) -> None:
        """Continue from ``position() == (epoch, index)``."""
        self.epoch, self.index, self._iter = int(epoch), int(index), None

    def state_dict(self) -> dict[str, int]:
        """``{"epoch", "index"}``: what :meth:`load_state_dict` continues from."""
        return {"epoch": self.epoch, "index": self.index}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue from :meth:`state_dict`."""
        self.seek(state["epoch"], state["index"])

    def next(self) -> StudyBatch:
        """The next micro-batch."""
        if self.index >= self.batches_per_epoch:
            self.epoch, self.index, self._iter = self.epoch + 1, 0, None
        if self._iter is None:
            self.sampler.set_position(self.epoch, self.index * self.loader.batch_size)
            self._iter = iter(self.loader)
        batch = next(self._iter)
        self.index += 1
        return batch


def batch_stream(dataset: Any, batch_size: int, seed: int, image_size: int, channels: int,
                 rank: int = 0, world_size: int = 1, num_workers: int = 0) -> Any:
    """:class:`BatchStream` over a map-style dataset; a ``ShardStream``
    (:mod:`mmr_train.data.shards`) over WebDataset shards, which split across ranks and
    workers themselves."""
    from .data.shards import ShardedStudies, ShardStream

    if isinstance(dataset, ShardedStudies):
        return ShardStream(dataset, batch_size, image_size, channels, num_workers)
    return BatchStream(dataset, batch_size, seed, image_size, channels, rank, world_size,
                       num_workers)
