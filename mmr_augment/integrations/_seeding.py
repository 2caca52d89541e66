"""Seeds for DataLoader items and batches, derived from a base seed and counters only.

Every adapter draws its ``torch.Generator`` from :func:`derive_seed` over a key such as
``(base_seed, epoch, item_index)`` or ``(base_seed, epoch, batch_index)``, so results depend
on that key and on nothing else: not on the global RNG, not on the process. The epoch lives in
shared memory (:class:`SharedEpoch`), so ``set_epoch`` reaches persistent DataLoader workers.
"""

from __future__ import annotations

import torch

_MASK64 = (1 << 64) - 1


def _splitmix64(x: int) -> int:
    x = (x + 0x9E3779B97F4A7C15) & _MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK64
    return x ^ (x >> 31)


def derive_seed(*key: int) -> int:
    """A seed in ``[0, 2**63)`` that is a pure function of the integers ``key`` (SplitMix64
    chained over the parts, so ``(1, 2)`` and ``(2, 1)`` differ).

    Example:
        >>> a = derive_seed(0, 1, 2)
        >>> a == derive_seed(0, 1, 2), a == derive_seed(0, 2, 1), 0 <= a < 2**63
        (True, False, True)
    """
    h = 0x6A09E667F3BCC908
    for part in key:
        h = _splitmix64(h ^ (int(part) & _MASK64))
    return h >> 1


def generator_for(*key: int) -> torch.Generator:
    """A CPU ``torch.Generator`` seeded with :func:`derive_seed` of ``key``."""
    return torch.Generator().manual_seed(derive_seed(*key))


class SharedEpoch:
    """An epoch number in shared memory: written in the main process, read in every worker
    (also persistent ones, which keep their own copy of the dataset and collate function).

    Example:
        >>> epoch = SharedEpoch(); epoch.set(3); epoch.get()
        3
    """

    def __init__(self) -> None:
        self._value = torch.zeros(1, dtype=torch.int64).share_memory_()

    def set(self, epoch: int) -> None:
        if isinstance(epoch, bool) or not isinstance(epoch, int) or epoch < 0:
            from ..errors import InputError

            raise InputError(f"epoch must be a non-negative int, got {epoch!r}")
        self._value.fill_(epoch)

    def get(self) -> int:
        return int(self._value.item())
