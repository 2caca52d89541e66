"""PyTorch adapters: a ``Dataset`` wrapper (per item) and a collate function (per batch).

Seeding (no global RNG; see :mod:`._seeding`):

- :class:`PerturbedDataset`: item ``i`` in epoch ``e`` is perturbed with the generator of
  ``(seed, e, i)``: the same whatever the worker count, the order or the batch size.
- :class:`PolicyCollate`: batch ``j`` of epoch ``e`` uses ``(seed, e, j)``, where a worker
  numbers its batches ``j = k * num_workers + worker_id`` (its ``k``-th batch; the
  DataLoader hands batches to workers round-robin), so the batches match for any worker count.

Call ``set_epoch(epoch)`` at the start of every epoch (as with ``DistributedSampler``):
the epoch sits in shared memory, so persistent workers see it too. Without it, workers
repeat the first epoch's perturbations every epoch (each new iterator copies a fresh counter).

Example:
    >>> import torch
    >>> from torch.utils.data import DataLoader
    >>> from mmr_augment import GaussianNoise, MultiModalPolicy
    >>> items = [{"image": torch.full((1, 8, 8), 0.5), "report": "No effusion."}] * 4
    >>> collate = PolicyCollate(MultiModalPolicy(image=GaussianNoise(), patch_size=4), seed=0)
    >>> batch = next(iter(DataLoader(items, batch_size=4, collate_fn=collate)))
    >>> batch.images.shape, batch.mode.tolist()
    (torch.Size([4, 1, 8, 8]), [0, 1, 1, 1])
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch.utils.data import Dataset, default_collate, get_worker_info

from ..batch import PerturbedBatch
from ..errors import ConfigError, InputError
from ._items import check_op, perturb_item
from ._seeding import SharedEpoch, generator_for

__all__ = ["CollatedBatch", "PerturbedDataset", "PolicyCollate"]


class PerturbedDataset(Dataset):
    """Wrap a dataset of dict items; apply ``op`` to each item in ``__getitem__``.

    Args:
        dataset: any map-style dataset whose items are dicts.
        op: an image or text op, composition, style or ``MultiModalPolicy``.
        keys: the item keys the op reads (tensors: images ``(C, H, W)``; strings: reports).
        seed: base seed; item ``i`` in epoch ``e`` uses the generator of ``(seed, e, i)``.
        meta_key: where a ``MultiModalPolicy`` stores clean inputs, mode, flags and damage.

    Example:
        >>> from mmr_augment import GaussianNoise
        >>> data = [{"image": torch.zeros(1, 4, 4) + 0.5, "report": "Clear."}] * 3
        >>> ds = PerturbedDataset(data, GaussianNoise(std=0.1), keys=["image"], seed=0)
        >>> torch.equal(ds[2]["image"], ds[2]["image"]), torch.equal(ds[1]["image"], ds[2]["image"])
        (True, False)
    """

    def __init__(self, dataset: Any, op: Any, *, keys: Sequence[str] = ("image", "report"),
                 seed: int = 0, meta_key: str = "mmr") -> None:
        self.dataset, self.op = dataset, check_op(op, "PerturbedDataset")
        self.keys, self.seed, self.meta_key = _keys(keys, "PerturbedDataset"), int(seed), meta_key
        self._epoch = SharedEpoch()

    def set_epoch(self, epoch: int) -> None:
        """Start epoch ``epoch``: items get new, reproducible perturbations."""
        self._epoch.set(epoch)

    def state_dict(self) -> dict[str, int]:
        """``{"epoch": e}``, all an item's perturbation depends on besides its index (the
        form torchdata's ``StatefulDataLoader`` saves from every worker's dataset)."""
        return {"epoch": self._epoch.get()}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Continue in ``state["epoch"]``; the sampler's state holds the position in it."""
        self.set_epoch(int(state["epoch"]))

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index: int) -> dict[str, Any]:
        item = self.dataset[index]
        if not isinstance(item, Mapping):
            raise InputError(f"PerturbedDataset: items must be dicts, got {type(item).__name__}")
        g = generator_for(self.seed, self._epoch.get(), int(index))
        return perturb_item(self.op, item, self.keys, g, self.meta_key, "PerturbedDataset")


@dataclass
class CollatedBatch(PerturbedBatch):
    """A :class:`PerturbedBatch` plus the item fields the policy did not read (``extras``:
    labels, ids, ... collated by the wrapped collate function)."""

    extras: dict[str, Any] = field(default_factory=dict)


class PolicyCollate:
    """``collate_fn`` that stacks dict items and applies a ``MultiModalPolicy`` per batch.

    Args:
        policy: the ``MultiModalPolicy``.
        seed: base seed; batch ``j`` of epoch ``e`` uses the generator of ``(seed, e, j)``.
        image_key, report_key: item keys of the ``(C, H, W)`` image and the report.
        collate_fn: collates the other fields into :attr:`CollatedBatch.extras`.

    Returns:
        :class:`CollatedBatch` (a ``PerturbedBatch``) from ``__call__``.
    """

    def __init__(self, policy: Any, *, seed: int = 0, image_key: str = "image",
                 report_key: str = "report",
                 collate_fn: Callable[[list[Any]], Any] = default_collate) -> None:
        self.policy = check_op(policy, "PolicyCollate")
        if self.policy.modality != "multimodal":
            raise ConfigError("PolicyCollate: pass a MultiModalPolicy; for a single image or "
                              "text op use PerturbedDataset")
        self.seed, self.image_key, self.report_key = int(seed), image_key, report_key
        self.collate_fn = collate_fn
        self._epoch = SharedEpoch()
        self._seen_epoch, self._count = 0, 0

    def set_epoch(self, epoch: int) -> None:
        """Start epoch ``epoch`` (resets the batch counter)."""
        self._epoch.set(epoch)
        self._seen_epoch, self._count = epoch, 0

    def _batch_generator(self) -> torch.Generator:
        epoch = self._epoch.get()
        if epoch != self._seen_epoch:  # a persistent worker learns of a new epoch
            self._seen_epoch, self._count = epoch, 0
        info = get_worker_info()
        worker, workers = (info.id, info.num_workers) if info is not None else (0, 1)
        index = self._count * workers + worker
        self._count += 1
        return generator_for(self.seed, epoch, index)

    def __call__(self, items: list[Mapping[str, Any]]) -> CollatedBatch:
        if not items or not all(isinstance(i, Mapping) for i in items):
            raise InputError("PolicyCollate: expects a non-empty list of dict items")
        for key in (self.image_key, self.report_key):
            if key not in items[0]:
                raise InputError(f"PolicyCollate: items have no {key!r} key (keys: "
                                 f"{sorted(items[0])}); set image_key= / report_key=")
        images = torch.stack([i[self.image_key] for i in items])
        reports = [i[self.report_key] for i in items]
        rest = [{k: v for k, v in i.items() if k not in (self.image_key, self.report_key)}
                for i in items]
        extras = self.collate_fn(rest) if rest[0] else {}
        out = self.policy(images, reports, generator=self._batch_generator())
        return CollatedBatch(**vars(out), extras=extras)


def _keys(keys: Sequence[str] | str, owner: str) -> tuple[str, ...]:
    keys = (keys,) if isinstance(keys, str) else tuple(keys)
    if not keys or not all(isinstance(k, str) for k in keys):
        raise ConfigError(f"{owner}: keys must be a non-empty list of item keys, got {keys!r}")
    return keys
