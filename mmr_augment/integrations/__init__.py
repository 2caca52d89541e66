"""Drop-in adapters: MONAI dict transform, torch ``Dataset`` / collate, GPU training step.

- :class:`~mmr_augment.integrations.monai.MMRd`: any op inside ``monai.transforms.Compose``
  (imported on first use: MONAI is slow to import).
- :class:`PerturbedDataset` (per item) and :class:`PolicyCollate` (per batch, returns a
  :class:`CollatedBatch`) for a ``torch.utils.data.DataLoader``, with worker-safe seeding.
- :func:`perturb_on_device` and :func:`step_generator` for a batch already on the GPU.

Every adapter derives its generators from a base seed and counters (:func:`derive_seed`),
never from the global RNG.

Example:
    >>> from mmr_augment.integrations import MMRd, PolicyCollate
    >>> MMRd.__module__
    'mmr_augment.integrations.monai'
"""

from typing import Any

from ._seeding import derive_seed
from .gpu import perturb_on_device, step_generator
from .torch import CollatedBatch, PerturbedDataset, PolicyCollate

__all__ = ["MMRd", "CollatedBatch", "PerturbedDataset", "PolicyCollate", "derive_seed",
           "perturb_on_device", "step_generator"]


def __getattr__(name: str) -> Any:
    if name == "MMRd":
        from .monai import MMRd

        return MMRd
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
