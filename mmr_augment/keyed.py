"""Params keyed by sample: each sample's params drawn from its own seed, then batched.

For work split across machines, processes or shards, a sample must get the same
perturbation whatever batch it lands in. :func:`key_seed` turns a key (base seed, epoch or
family, sample id, ...) into a seed; :func:`keyed_params` draws each sample's params with
``sample(1, generator(seed_i))`` and stacks them, so ``op.apply`` still runs once per batch.

Example:
    >>> from mmr_augment import GaussianNoise
    >>> op = GaussianNoise(std=(0.01, 0.1))
    >>> a, b = key_seed(0, 1, "study-a"), key_seed(0, 1, "study-b")
    >>> pair = keyed_params(op, [a, b])
    >>> torch.equal(pair["std"][1:], keyed_params(op, [b])["std"])
    True
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import torch

from .core import Params, Perturbation
from .errors import InputError


def key_seed(*key: int | str) -> int:
    """A 63-bit seed that is a pure function of ``key`` (ints and strings, order matters)."""
    text = "\x1f".join(f"{type(k).__name__}:{k}" for k in key)
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little") >> 1


def stack_params(parts: Sequence[Any]) -> Any:
    """Concatenate params of the same op (nested dicts / lists of batch-first tensors)."""
    if not parts:
        raise InputError("stack_params needs at least one params dict")
    first = parts[0]
    if isinstance(first, torch.Tensor):
        return torch.cat(list(parts))
    if isinstance(first, dict):
        return {k: stack_params([p[k] for p in parts]) for k in first}
    if isinstance(first, (list, tuple)):
        return [stack_params([p[i] for p in parts]) for i in range(len(first))]
    return first


def keyed_params(op: Perturbation, seeds: Sequence[int]) -> Params:
    """Params for a batch whose sample ``i`` is drawn from a generator seeded ``seeds[i]``."""
    return stack_params([op.sample(1, torch.Generator().manual_seed(int(s))) for s in seeds])
