"""Perturb a batch already on the GPU inside a training step (falls back to the CPU).

Batches come from a plain DataLoader on the host; in the step, the policy runs on the device
with a per-step generator (``step_generator(seed, step)``), so resuming at step ``k`` replays
the same perturbations without saving RNG state.

Run: ``python examples/gpu_training_step.py --steps 20 --size 128``
"""

from __future__ import annotations

import argparse

import torch
from torch import nn
from torch.utils.data import DataLoader

from mmr_augment import GaussianBlur, MultiModalPolicy, PoissonNoise, SomeOf
from mmr_augment.integrations import perturb_on_device, step_generator
from mmr_augment.synthetic import generate
from mmr_augment.text import SynonymSwap, Typo


def main(size: int = 128, steps: int = 20, batch_size: int = 8, seed: int = 0) -> list[float]:
    """Train a toy denoiser for ``steps`` steps; return the losses."""
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    studies = generate(2 * batch_size, size=size, seed=seed)  # rendered as one batch
    data = list(zip(studies.images, studies.reports, strict=True))
    loader = DataLoader(data, batch_size=batch_size, shuffle=True,
                        generator=torch.Generator().manual_seed(seed),
                        collate_fn=lambda items: (torch.stack([i for i, _ in items]),
                                                  [r for _, r in items]))
    policy = MultiModalPolicy(image=SomeOf([PoissonNoise(), GaussianBlur()], n=(1, 2)),
                              text=SomeOf([Typo(), SynonymSwap()]), severity=(1, 5),
                              modes={"image": 2, "both": 1, "none": 1}, patch_size=16)
    torch.manual_seed(seed)  # the model's init only; the policy never reads the global RNG
    model = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(),
                          nn.Conv2d(16, 1, 3, padding=1)).to(device)
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
    losses, step = [], 0
    while step < steps:
        for images, reports in loader:
            images = images.to(device, non_blocking=True)
            batch = perturb_on_device(policy, images, reports,
                                      generator=step_generator(seed, step))
            # reconstruct the clean image, weighted toward damaged patches
            weight = 1 + nn.functional.interpolate(batch.damage[:, None], size=images.shape[-2:])
            loss = (weight * (model(batch.images) - batch.clean_images) ** 2).mean()
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            losses.append(loss.item())
            step += 1
            if step >= steps:
                break
    print(f"{device.type}: {steps} steps, loss {losses[0]:.4f} -> {losses[-1]:.4f}")
    return losses


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--steps", type=int, default=20)
    args = parser.parse_args()
    main(args.size, args.steps)
