"""Process-group setup for ``torchrun`` (gloo on CPU, NCCL on CUDA) and small collectives.

Without ``torchrun`` (no ``WORLD_SIZE`` in the environment) everything runs as a single
process and the collectives are identities.

Example:
    >>> ctx = DistContext.single(torch.device("cpu"))
    >>> ctx.is_main, ctx.world_size, ctx.mean(torch.tensor([2.0, 4.0])).tolist()
    (True, 1, [2.0, 4.0])
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist


@dataclass
class DistContext:
    """Rank, world size and device of this process."""

    rank: int
    world_size: int
    local_rank: int
    device: torch.device

    @classmethod
    def single(cls, device: torch.device) -> DistContext:
        """One process, no process group."""
        return cls(0, 1, 0, device)

    @classmethod
    def from_env(cls, device: str | None = None) -> DistContext:
        """Join the ``torchrun`` process group if there is one (``WORLD_SIZE`` > 1).

        ``device``: ``"cpu"``, ``"cuda"`` or None (CUDA when available).
        """
        use_cuda = torch.cuda.is_available() if device is None else device.startswith("cuda")
        world = int(os.environ.get("WORLD_SIZE", "1"))
        if world <= 1:
            return cls.single(torch.device("cuda" if use_cuda else "cpu"))
        rank, local = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0"))
        if use_cuda:
            torch.cuda.set_device(local)
        if not dist.is_initialized():
            dist.init_process_group("nccl" if use_cuda else "gloo")
        return cls(rank, world, local, torch.device(f"cuda:{local}" if use_cuda else "cpu"))

    @property
    def is_main(self) -> bool:
        """True on rank 0 (the rank that writes checkpoints and logs)."""
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        """True when a process group with several ranks is active."""
        return self.world_size > 1

    def barrier(self) -> None:
        """Wait for every rank."""
        if self.distributed:
            dist.barrier()

    def mean(self, values: torch.Tensor) -> torch.Tensor:
        """Element-wise mean of ``values`` over the ranks."""
        if not self.distributed:
            return values
        out = values.detach().clone()
        dist.all_reduce(out)
        return out / self.world_size

    def gather(self, obj: Any) -> list[Any]:
        """Every rank's ``obj``, in rank order (on every rank)."""
        if not self.distributed:
            return [obj]
        out: list[Any] = [None] * self.world_size
        dist.all_gather_object(out, obj)
        return out

    def close(self) -> None:
        """Leave the process group."""
        if self.distributed and dist.is_initialized():
            dist.destroy_process_group()


def derive_seed(*parts: int | str) -> int:
    """A 63-bit seed from ``parts`` (e.g. run seed, purpose, rank), stable across runs.

    Example:
        >>> derive_seed(0, "policy", 0) == derive_seed(0, "policy", 0) != derive_seed(0,
        ...     "policy", 1)
        True
    """
    digest = hashlib.sha256(":".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "little") >> 1
