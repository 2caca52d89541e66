"""MONAI adapter: one dictionary transform, :class:`MMRd`, for any mmr_augment op.

Wraps an image op, composition, scanner style, text op, report style or
``MultiModalPolicy`` for dict data (``{"image": (C, H, W) tensor, "report": str}``) inside
``monai.transforms.Compose``; MONAI ``MetaTensor`` images keep their metadata.

Seeding (no global RNG): each call draws from a ``torch.Generator`` derived from a key.

- ``index_key`` set (e.g. ``"study_id"``): key ``(seed, epoch, item[index_key])``; an item's
  perturbation is then the same whatever the worker count or the order.
- otherwise: key ``(seed, epoch, worker_id, k)`` for the ``k``-th item this worker process
  handles: reproducible for the same worker count, distinct across workers.

``set_epoch(epoch)`` starts a new epoch (shared memory: persistent workers see it).

MONAI's ``Randomizable`` API: with ``seed=None`` the base seed follows MONAI's reseeding
(``Compose.set_random_state``, ``monai.utils.set_determinism`` through ``Compose``, and
``monai.data.DataLoader``'s per-worker seeding); MONAI draws those seeds at random unless
``set_determinism`` or ``set_random_state`` was called. An explicit ``seed=int`` pins the base
seed: ``Compose`` reseeds its children at construction, which would otherwise make the result
change from one ``Compose`` to the next, so MONAI's reseeding is then ignored.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

import numpy as np
from torch.utils.data import get_worker_info

from ..core import Perturbation
from ..errors import InputError
from ..extras import require
from ._items import check_op, perturb_item
from ._seeding import SharedEpoch, derive_seed, generator_for

require("monai", "monai")  # the `monai` extra; says what to install if absent
from monai.config import KeysCollection  # noqa: E402
from monai.transforms import MapTransform, Randomizable  # noqa: E402

__all__ = ["MMRd"]


class MMRd(Randomizable, MapTransform):
    """Apply an mmr_augment op to the ``keys`` of a dict item.

    Args:
        op: any ``Perturbation`` (image, text, composition, style or ``MultiModalPolicy``).
        keys: item keys the op reads: tensors are images ``(C, H, W)``, strings reports; a
            policy takes one of each.
        seed: base seed of the per-item generators; ``None``: set by MONAI's reseeding
            (``set_random_state``), 0 until then.
        index_key: item key of a stable item id (see the module docs); ``None``: a per-worker
            counter.
        meta_key: where a ``MultiModalPolicy`` stores clean inputs, mode, flags and damage.
        allow_missing_keys: skip keys absent from an item (MONAI convention).

    Example:
        >>> import torch
        >>> from monai.transforms import Compose
        >>> from mmr_augment import GaussianNoise
        >>> t = Compose([MMRd(GaussianNoise(std=0.1), keys="image", seed=0, index_key="id")])
        >>> item = {"image": torch.full((1, 4, 4), 0.5), "id": 7}
        >>> torch.equal(t(item)["image"], t(item)["image"])
        True
    """

    def __init__(self, op: Perturbation, keys: KeysCollection, *, seed: int | None = None,
                 index_key: Hashable | None = None, meta_key: str = "mmr",
                 allow_missing_keys: bool = False) -> None:
        MapTransform.__init__(self, keys, allow_missing_keys)
        self.op = check_op(op, "MMRd")
        self.pinned = seed is not None
        self.seed, self.index_key, self.meta_key = int(seed or 0), index_key, meta_key
        self._epoch = SharedEpoch()
        self._seen_epoch, self._count = 0, 0

    def set_epoch(self, epoch: int) -> None:
        """Start epoch ``epoch`` (resets the per-worker item counter)."""
        self._epoch.set(epoch)
        self._seen_epoch, self._count = epoch, 0

    def set_random_state(self, seed: int | None = None,
                         state: np.random.RandomState | None = None) -> MMRd:
        """MONAI's reseeding hook: a new base seed (from ``seed``, or drawn from ``state``);
        ignored when the transform was built with an explicit ``seed``."""
        super().set_random_state(seed=seed, state=state)
        if self.pinned:
            return self
        if seed is not None:
            self.seed = int(seed)
        elif state is not None:
            self.seed = int(state.randint(2**31 - 1))
        self._count = 0
        return self

    def randomize(self, data: Any = None) -> None:
        """Unused: every draw comes from the per-item ``torch.Generator``."""

    def _key(self, item: Mapping[Hashable, Any]) -> tuple[int, ...]:
        epoch = self._epoch.get()
        if self.index_key is not None:
            if self.index_key not in item:
                raise InputError(f"MMRd: item has no index key {self.index_key!r}; add a stable "
                                 f"item id or pass index_key=None")
            return self.seed, epoch, _item_id(item[self.index_key])
        if epoch != self._seen_epoch:
            self._seen_epoch, self._count = epoch, 0
        info = get_worker_info()
        self._count += 1
        return self.seed, epoch, -1 if info is None else info.id, self._count - 1

    def __call__(self, data: Mapping[Hashable, Any]) -> dict[Hashable, Any]:
        keys = list(self.key_iterator(dict(data)))
        if not keys:
            return dict(data)
        generator = generator_for(*self._key(data))
        return perturb_item(self.op, data, keys, generator, self.meta_key, "MMRd")


def _item_id(value: Any) -> int:
    """An int id from an int, a 0-d tensor / array or a string (stable across processes)."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value)
    if hasattr(value, "item") and getattr(value, "ndim", 1) == 0:
        return int(value.item())
    if isinstance(value, str):
        return derive_seed(*value.encode("utf-8"))
    raise InputError(f"MMRd: index_key values must be ints or strings, got {type(value).__name__}")
