"""GPU batch path: perturb a batch that already lives on the accelerator, in a training step.

Params are drawn on the CPU from the step's generator (tiny tensors); the dense work (noise,
blur, resampling, damage map) runs where the images are, so no image crosses back to the host.
:func:`perturb_on_device` also moves the per-sample fields of the result onto the device.

Example:
    >>> import torch
    >>> from mmr_augment import GaussianNoise, MultiModalPolicy
    >>> policy = MultiModalPolicy(image=GaussianNoise(), patch_size=4)
    >>> g = step_generator(seed=0, step=10)
    >>> out = perturb_on_device(policy, torch.rand(2, 1, 8, 8), ["No effusion.", "Clear."],
    ...                         generator=g, device="cpu")
    >>> out.images.device.type, out.mode.device.type
    ('cpu', 'cpu')
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields

import torch

from ..batch import PerturbedBatch
from ..errors import InputError
from ._items import check_op
from ._seeding import generator_for

__all__ = ["perturb_on_device", "step_generator"]


def step_generator(seed: int, step: int, rank: int = 0) -> torch.Generator:
    """The CPU generator of training step ``step`` (and DDP ``rank``): resuming at a step
    reproduces its perturbations without saving any RNG state."""
    return generator_for(seed, rank, step)


def perturb_on_device(policy: torch.nn.Module, images: torch.Tensor, texts: Sequence[str], *,
                      generator: torch.Generator | int,
                      device: torch.device | str | None = None) -> PerturbedBatch:
    """``policy(images.to(device), texts, generator=generator)`` with every tensor field of the
    result on ``device`` (default: the images' device).

    Args:
        policy: a ``MultiModalPolicy``.
        images: ``(B, C, H, W)`` float images (CPU or already on the device).
        texts: ``B`` reports.
        generator: a CPU ``torch.Generator`` or an int seed (e.g. :func:`step_generator`).
        device: where the batch and the result go.
    """
    check_op(policy, "perturb_on_device")
    if policy.modality != "multimodal":
        raise InputError("perturb_on_device: pass a MultiModalPolicy; an image op runs on the "
                         "device as it is: op(images.cuda(), generator=g)")
    device = torch.device(device) if device is not None else images.device
    out = policy(images.to(device, non_blocking=True), texts, generator=generator)
    for f in fields(out):
        value = getattr(out, f.name)
        if isinstance(value, torch.Tensor) and value.device != device:
            setattr(out, f.name, value.to(device, non_blocking=True))
    return out
