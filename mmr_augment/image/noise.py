"""Noise families: additive Gaussian, Poisson-Gaussian (shot), speckle and impulse noise.

All noise is regenerated in ``apply`` from a per-sample seed (:mod:`mmr_augment._rng`), never
stored in the params, and depends only on that sample: a batch slice reproduces it exactly.
"""

from __future__ import annotations

from typing import ClassVar

import torch

from .._rng import draw_row, draw_seeds, normal
from ..core import Params
from ..errors import ConfigError
from ._kernels.impulse import impulse_noise_cpu
from ._kernels.luma import LUMA, rgb_round_trip
from ._kernels.poisson import poisson_scaled
from ._kernels.threads import eager_cpu_batch, run_in_slices
from .base import ImagePerturbation, per_sample

__all__ = ["GaussianNoise", "PoissonNoise", "SpeckleNoise", "ImpulseNoise", "rgb_round_trip"]

#: Values (float32) of the scratch each thread draws a chunk of samples' RGB noise into
CHUNK_VALUES = 1 << 20


def _flag(op: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{op}: grey_as_rgb must be True or False, got {value!r}")
    return value


class SeededNoise(ImagePerturbation, abstract=True):
    """An image op whose noise is regenerated in ``apply`` from one seed per sample, drawn in
    ``sample`` (the params hold ``seed``, never the noise)."""

    def _sample(self, batch_size: int, generator: torch.Generator) -> Params:
        return {**super()._sample(batch_size, generator), "seed": draw_seeds(batch_size, generator)}


class ScaledNoise(SeededNoise, abstract=True):
    """Standard normal noise scaled by a per-sample ``std`` (at most :attr:`std_high`), on
    each channel or, with ``grey_as_rgb=True``, on a grey image's RGB copy
    (:func:`rgb_round_trip`). Subclasses say how the noise meets the image in :meth:`_noisy`."""

    pointwise = True
    std_high: ClassVar[float] = 1.0

    def __init__(self, std, *, grey_as_rgb: bool = False, p: float = 1.0,
                 severity: int | None = None, value_range=(0.0, 1.0)) -> None:
        super().__init__(p=p, severity=severity, value_range=value_range)
        self.std = self.spec("std", std, low=0.0, high=self.std_high)
        self.grey_as_rgb = _flag(type(self).__name__, grey_as_rgb)

    def _noisy(self, x: torch.Tensor, noise: torch.Tensor, std: torch.Tensor,
               out: torch.Tensor | None) -> torch.Tensor:
        """``x`` with ``noise`` scaled by ``std`` per sample, into ``out`` (``x`` or ``noise``,
        both free to write) or, with ``None``, into ``noise`` or a new tensor."""
        raise NotImplementedError

    def _apply(self, x: torch.Tensor, params: Params) -> torch.Tensor:
        rgb = self.grey_as_rgb and x.shape[1] == 1
        if rgb and x.dtype == torch.float32 and eager_cpu_batch(x):
            return self._rgb_round_trip_in_chunks(x, params)
        noise = gated_normal(params, (3 if rgb else x.shape[1], *x.shape[2:]),
                             x.device).to(x.dtype)
        if rgb:  # three noisy channels back to one
            return rgb_round_trip(self._noisy(x, noise, params["std"], None))
        return self._noisy(x, noise, params["std"], noise)  # the noise buffer: made here

    def _rgb_round_trip_in_chunks(self, x: torch.Tensor, params: Params) -> torch.Tensor:
        """:meth:`_apply`'s RGB round trip in chunks of samples, in slices on torch's threads:
        each chunk's three noisy channels go through one scratch of about
        :data:`CHUNK_VALUES` values per thread instead of a ``(B, 3, H, W)`` noise batch and its
        noisy copy (two 38 MB buffers at batch 64 and 224 px, whose fresh pages cost more than
        the arithmetic). The same values; gated-off samples get no noise (their output is
        discarded)."""
        b, _, h, w = x.shape
        out = torch.empty_like(x)
        seeds, gate, std = params["seed"].tolist(), params["gate"].tolist(), params["std"]
        chunk = max(1, CHUNK_VALUES // (3 * h * w))

        def noisy_rows(start: int, stop: int) -> None:
            noise = torch.empty(min(chunk, stop - start), 3, h, w)
            for first in range(start, stop, chunk):
                last = min(first + chunk, stop)
                rows = noise[:last - first]
                for i in range(first, last):
                    if gate[i]:
                        draw_row(rows[i - first], seeds[i])
                    else:
                        rows[i - first].zero_()
                rgb_round_trip(self._noisy(x[first:last], rows, std[first:last], rows),
                               out=out[first:last])

        run_in_slices(noisy_rows, b, 3 * x.numel())
        return out

    def _apply_inplace(self, x: torch.Tensor, params: Params) -> torch.Tensor:
        if self.grey_as_rgb and x.shape[1] == 1:
            return self._apply(x, params)  # three noisy channels back to one: a new batch
        noise = normal(params["seed"], tuple(x.shape[1:]), x.device).to(x.dtype)
        return self._noisy(x, noise, params["std"], x)


class GaussianNoise(ScaledNoise):
    """Additive Gaussian noise; ``std`` is relative to the value range.

    Severity (MedMNIST-C chest X-ray): std .04 .08 .12 .18 .26. The noise is regenerated from a
    per-sample seed, never stored. ``grey_as_rgb=True`` corrupts a grey image as MedMNIST-C
    does, through its RGB copy (see :func:`rgb_round_trip`).

    Example:
        >>> op = GaussianNoise(std=(0.02, 0.1), p=0.5)
        >>> x = torch.rand(4, 1, 32, 32); g = torch.Generator().manual_seed(0)
        >>> params = op.sample(4, g)
        >>> torch.equal(op.apply(x, params), op.apply(x, params))
        True
    """

    family = "gaussian_noise"
    severity_table = {"std": (0.04, 0.08, 0.12, 0.18, 0.26)}

    def __init__(self, std=(0.01, 0.1), *, grey_as_rgb: bool = False, p: float = 1.0,
                 severity: int | None = None, value_range=(0.0, 1.0)) -> None:
        super().__init__(std, grey_as_rgb=grey_as_rgb, p=p, severity=severity,
                         value_range=value_range)

    def _noisy(self, x: torch.Tensor, noise: torch.Tensor, std: torch.Tensor,
               out: torch.Tensor | None) -> torch.Tensor:
        return add_scaled_noise(x, noise, std, out=out)  # one fused pass


def gated_normal(params: Params, shape: tuple[int, ...], device: torch.device) -> torch.Tensor:
    """Standard normal noise ``(B, *shape)`` from ``params["seed"]`` for the samples whose gate
    is on, zeros for the others (their output is the input: the gate discards what ``_apply``
    makes for them). A sample's noise depends only on its seed, so skipping the others' draws
    changes no value; while ``torch.compile`` traces, every sample is drawn (one graph).

    Example:
        >>> params = {"seed": torch.tensor([7, 8]), "gate": torch.tensor([True, False])}
        >>> noise = gated_normal(params, (1, 2, 2), torch.device("cpu"))
        >>> torch.equal(noise[0], normal(params["seed"], (1, 2, 2), torch.device("cpu"))[0])
        True
        >>> bool((noise[1] == 0).all())
        True
    """
    gate = params["gate"]
    if torch.compiler.is_compiling() or bool(gate.all()):
        return normal(params["seed"], shape, device)
    noise = torch.zeros(len(gate), *shape, device=device)
    rows = gate.nonzero().flatten()
    if len(rows):
        noise[rows.to(device)] = normal(params["seed"][rows], shape, device)
    return noise


def add_scaled_noise(x: torch.Tensor, noise: torch.Tensor, std: torch.Tensor,
                     out: torch.Tensor | None = None) -> torch.Tensor:
    """``x + noise * std`` per sample (``torch.addcmul``), written into ``out`` (``x`` or
    ``noise``) unless autograd tracks ``x``; ``noise`` may have more channels than ``x`` (a
    grey image's RGB copy), broadcast. Contiguous batches of one shape go through ``(B, C*H*W)``
    views: the same kernel and values, several times faster on the CPU than the 4-D broadcast
    of a ``(B, 1, 1, 1)`` std.

    Example:
        >>> x, noise = torch.zeros(2, 1, 2, 2), torch.ones(2, 1, 2, 2)
        >>> add_scaled_noise(x, noise, torch.tensor([0.5, 2.0]), out=noise)[:, 0, 0, 0]
        tensor([0.5000, 2.0000])
    """
    std = per_sample(std, x)
    if out is not None and torch.is_grad_enabled() and x.requires_grad:
        out = None  # out= does not take part in autograd
    if x.shape == noise.shape and x.is_contiguous() and noise.is_contiguous() \
            and (out is None or out.is_contiguous()):
        b = len(x)
        y = torch.addcmul(x.view(b, -1), noise.view(b, -1), std.view(b, 1),
                          out=None if out is None else out.view(b, -1))
        return y.view(x.shape)
    return torch.addcmul(x, noise, std, out=out)


class PoissonNoise(SeededNoise):
    """Detector-like Poisson-Gaussian noise: ``y = Poisson(x * photons) / photons + read_std * N``.

    Shot noise is signal dependent (variance ``x / photons`` grows with intensity, black stays
    black); the optional additive Gaussian read noise is not. ``photons`` is the count at full
    scale. Severity (MedMNIST-C "shot"): photons 60 25 18 10 5. Counts are exact and come from
    one generator per sample seeded from the params' seed, in slices on torch's threads: on an
    8-bit image (up to 300 photons) one uniform per pixel through a cached table of the Poisson
    CDF per grey level, otherwise NumPy's ``Generator.poisson``
    (``mmr_augment.image._kernels.poisson``). ``grey_as_rgb=True`` corrupts a grey image
    through its RGB copy (:func:`rgb_round_trip`).

    Example:
        >>> op = PoissonNoise(photons=(5, 60), read_std=0.01)
        >>> x = torch.rand(4, 1, 32, 32, generator=torch.Generator().manual_seed(0))
        >>> params = op.sample(4, 1)
        >>> torch.equal(op.apply(x, params), op.apply(x, params))
        True
        >>> PoissonNoise(photons=10)(torch.zeros(1, 1, 8, 8), generator=0).abs().max().item()
        0.0
    """

    family = "poisson_noise"
    clamps_output = True
    severity_table = {"photons": (60, 25, 18, 10, 5)}

    def __init__(self, photons=(5.0, 60.0), read_std=0.0, *, grey_as_rgb: bool = False,
                 p: float = 1.0, severity: int | None = None, value_range=(0.0, 1.0)) -> None:
        super().__init__(p=p, severity=severity, value_range=value_range)
        self.photons = self.spec("photons", photons, low=0.01)
        self.read_std = self.spec("read_std", read_std, low=0.0, high=1.0)
        self.grey_as_rgb = _flag("PoissonNoise", grey_as_rgb)

    def _apply(self, x: torch.Tensor, params: Params) -> torch.Tensor:
        rgb = self.grey_as_rgb and x.shape[1] == 1
        copies = 3 if rgb else 1
        # CPU params: skip drawing read noise that is all zero (while tracing, add zeros: same)
        if not (torch.compiler.is_compiling() or params["read_std"].any()):
            # divided and clamped in the kernel's slices: no torch pass after the pool's draw
            return poisson_scaled(x, params["photons"], params["seed"], stream=0,
                                  copies=copies, unit=True, luma=rgb)
        photons = params["photons"].to(x.device).view(-1, 1, 1, 1)
        y = poisson_scaled(x, params["photons"], params["seed"], stream=0,
                           copies=copies).div_(photons.to(x.dtype))
        read = normal(params["seed"], tuple(y.shape[1:]), x.device, stream=2).to(x.dtype)
        y = y + per_sample(params["read_std"], x) * read
        return (rgb_round_trip(y) if rgb else y).clamp_(0.0, 1.0)


class SpeckleNoise(ScaledNoise):
    """Multiplicative speckle noise ``y = x + x * std * N(0, 1)`` (zero where the image is black).

    Severity (MedMNIST-C): std .05 .15 .20 .35 .45. ``grey_as_rgb=True`` corrupts a grey
    image through its RGB copy (:func:`rgb_round_trip`).

    Example:
        >>> op = SpeckleNoise(std=(0.05, 0.2))
        >>> x = torch.rand(2, 1, 16, 16, generator=torch.Generator().manual_seed(0))
        >>> x[:, :, :8] = 0
        >>> y = op(x, generator=0)
        >>> bool((y[:, :, :8] == 0).all()), bool((y[:, :, 8:] != x[:, :, 8:]).any())
        (True, True)
    """

    family = "speckle_noise"
    severity_table = {"std": (0.05, 0.15, 0.20, 0.35, 0.45)}
    std_high = 2.0

    def __init__(self, std=(0.05, 0.3), *, grey_as_rgb: bool = False, p: float = 1.0,
                 severity: int | None = None, value_range=(0.0, 1.0)) -> None:
        super().__init__(std, grey_as_rgb=grey_as_rgb, p=p, severity=severity,
                         value_range=value_range)

    def _noisy(self, x: torch.Tensor, noise: torch.Tensor, std: torch.Tensor,
               out: torch.Tensor | None) -> torch.Tensor:
        scaled = noise.mul_(x * per_sample(std, x))
        return x.add_(scaled) if out is x else scaled.add_(x)  # a + b == b + a exactly


class ImpulseNoise(SeededNoise):
    """Salt-and-pepper noise: a fraction ``amount`` of pixels set to white or black.

    ``salt_ratio`` is the share of replaced pixels that turn white. By default
    (``channels="joint"``) a pixel is hit in all its channels at once (a dead or hot detector
    element, so gray RGB images stay gray). ``channels="independent"`` hits each channel on
    its own, as ImageNet-C and MedMNIST-C do; a grey image is then treated as the RGB copy
    MedMNIST-C corrupts and comes back as its luma ``.299 R + .587 G + .114 B``, so a hit
    moves a pixel only part of the way to black or white. Severity (MedMNIST-C): amount
    .01 .03 .06 .09 .17. Each hit unit (pixel or channel) costs one 32-bit random from the
    sample's seed, the outcome picked by integer thresholds, and only hits are written
    (``mmr_augment.image._kernels.impulse``).

    Example:
        >>> op = ImpulseNoise(amount=0.1)
        >>> y = op(torch.full((1, 3, 64, 64), 0.5), generator=0)
        >>> hit = (y != 0.5).all(dim=1)  # every channel of a hit pixel changes
        >>> torch.equal(hit, (y != 0.5).any(dim=1)), abs(hit.float().mean().item() - 0.1) < 0.02
        (True, True)
    """

    family = "impulse_noise"
    clamps_output = True  # in the kernel's slices
    severity_table = {"amount": (0.01, 0.03, 0.06, 0.09, 0.17)}

    def __init__(self, amount=(0.01, 0.1), salt_ratio=0.5, *, channels: str = "joint",
                 p: float = 1.0, severity: int | None = None, value_range=(0.0, 1.0)) -> None:
        super().__init__(p=p, severity=severity, value_range=value_range)
        if channels not in ("joint", "independent"):
            raise ConfigError(f"ImpulseNoise: channels must be 'joint' or 'independent', "
                              f"got {channels!r}")
        self.channels = channels
        self.amount = self.spec("amount", amount, low=0.0, high=1.0)
        self.salt_ratio = self.spec("salt_ratio", salt_ratio, low=0.0, high=1.0)

    def _apply(self, x: torch.Tensor, params: Params) -> torch.Tensor:
        # One 32-bit random per unit picks its outcome; only hit units are written.
        grey_rgb = self.channels == "independent" and x.shape[1] == 1  # luma of 3 channels
        y = impulse_noise_cpu(x.detach().cpu(), params["seed"].cpu(),
                              params["amount"].cpu().double(), params["salt_ratio"].cpu().double(),
                              3 if grey_rgb else 1, list(LUMA if grey_rgb else (1.0,)),
                              self.channels == "independent")
        return y.to(x.device, non_blocking=True)
