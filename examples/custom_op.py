"""Property-test your own perturbation with ``mmr_augment.testing.check_perturbation``.

``Vignette`` follows the contract (params from the given generator, gated by ``p``, a severity
table); ``LeakyVignette`` draws from the global RNG and ignores ``p``, and the checker says so.

Run: ``python examples/custom_op.py``
"""

from __future__ import annotations

import argparse

import torch

from mmr_augment.core import Params
from mmr_augment.image.base import ImagePerturbation, per_sample
from mmr_augment.testing import CheckReport, check_perturbation


class Vignette(ImagePerturbation):
    """Darker corners: ``y = x * (1 - strength * r^2 / 2)``, ``r`` the distance from the
    centre in units of the half-size. A smooth multiplicative field, hence family
    ``bias_field``."""

    family = "bias_field"
    severity_table = {"strength": (0.1, 0.2, 0.3, 0.45, 0.6)}

    def __init__(self, strength=(0.1, 0.5), *, p: float = 1.0, severity: int | None = None,
                 value_range=(0.0, 1.0)) -> None:
        super().__init__(p=p, severity=severity, value_range=value_range)
        self.strength = self.spec("strength", strength, low=0.0, high=1.0)

    def _apply(self, x: torch.Tensor, params: Params) -> torch.Tensor:
        h, w = x.shape[-2:]
        yy = torch.linspace(-1, 1, h, device=x.device, dtype=x.dtype).view(-1, 1)
        xx = torch.linspace(-1, 1, w, device=x.device, dtype=x.dtype).view(1, -1)
        return x * (1 - per_sample(params["strength"], x) * (yy**2 + xx**2) / 2)


class LeakyVignette(Vignette):
    """Deliberately broken: global-RNG strengths, and the ``p`` gate is ignored."""

    def _sample(self, batch_size: int, generator: torch.Generator) -> Params:
        return {"strength": 0.1 + 0.4 * torch.rand(batch_size, dtype=torch.float64)}

    def apply_batch(self, x: torch.Tensor, params: Params, *, in_range: bool = False
                    ) -> torch.Tensor:
        ungated = {**params, "gate": torch.ones_like(params["gate"])}
        return super().apply_batch(x, ungated, in_range=in_range)


def main(size: int = 32) -> tuple[CheckReport, CheckReport]:
    """Check both ops on ``size`` x ``size`` images; print and return the two reports."""
    g = torch.Generator().manual_seed(0)
    images = torch.rand(4, 1, size, size + 3, generator=g) * 0.6 + 0.2
    good = check_perturbation(Vignette(), images=images)
    bad = check_perturbation(LeakyVignette(), images=images)
    print(good, bad, sep="\n\n")
    return good, bad


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=64)
    main(parser.parse_args().size)
