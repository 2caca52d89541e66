"""Private stage ops of :class:`~mmr_augment.style.ScannerStyle` that no public family covers.

Detector response (gain / offset / nonlinearity), correlated signal-dependent noise, the
detector MTF blur, a fixed window / level and a fixed look-up table. They are declared
``abstract=True``, so they stay out of the op registry; the other stages are the public ops.
The last three only draw their parameters differently from a public op and then run it through
the public :meth:`~mmr_augment.Perturbation.apply_batch` hook with explicit params: the fixed
window is ``WindowLevel`` at a given centre (``WindowLevel`` draws a random shift and sign around
0.5 instead), the MTF blur is ``GaussianBlur`` with a kernel size derived from sigma, the LUT is
``ToneCurve``'s piecewise curve with fixed knots.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from .._rng import draw_seeds, normal
from ..core import Params
from ..errors import ConfigError
from ..image.base import ImagePerturbation, per_sample
from ..image.blur import GaussianBlur
from ..image.display import WindowLevel
from ..image.tone_curve import ToneCurve


def noise_filter(height: int, width: int, beta: torch.Tensor, correlation: torch.Tensor,
                 device: torch.device) -> torch.Tensor:
    """``(B, H, W // 2 + 1)`` amplitude filter on the ``rfft2`` grid, one per sample.

    The noise power spectrum is ``|f| ** -beta * exp(-4 pi^2 correlation^2 |f|^2)`` (``|f|`` in
    cycles per pixel, floored at one cycle per image so the DC term stays finite): ``beta`` tilts
    it towards low frequencies (0 is white), ``correlation`` is a Gaussian low-pass of that
    width in pixels. Each filter is scaled so that filtered unit white noise keeps unit variance.

    Example:
        >>> amp = noise_filter(8, 8, torch.tensor([0.0]), torch.tensor([0.0]), torch.device("cpu"))
        >>> amp.shape, bool(torch.allclose(amp, torch.ones_like(amp)))
        (torch.Size([1, 8, 5]), True)
    """
    fy = torch.fft.fftfreq(height, device=device, dtype=torch.float64)
    fx = torch.fft.rfftfreq(width, device=device, dtype=torch.float64)
    f = torch.sqrt(fy[:, None] ** 2 + fx[None, :] ** 2).clamp_min(1.0 / max(height, width))
    beta = beta.to(device=device, dtype=torch.float64).view(-1, 1, 1)
    sigma = correlation.to(device=device, dtype=torch.float64).view(-1, 1, 1)
    amp = (2.0 * f) ** (-beta / 2) * torch.exp(-2.0 * math.pi ** 2 * sigma ** 2 * f ** 2)
    # rfft keeps half the spectrum: interior columns stand for two frequencies each
    twice = torch.full((fx.numel(),), 2.0, device=device, dtype=torch.float64)
    twice[0] = 1.0
    if width % 2 == 0:
        twice[-1] = 1.0
    power = (amp ** 2 * twice).sum(dim=(1, 2), keepdim=True) / (height * width)
    return amp / power.sqrt()


class DetectorResponse(ImagePerturbation, abstract=True):
    """``y = offset + gain * x ** gamma``: detector gain, dark offset and nonlinearity."""

    family = "scanner_style"

    def __init__(self, gain=1.0, offset=0.0, gamma=1.0, *, p: float = 1.0) -> None:
        super().__init__(p=p)
        self.gain = self.spec("gain", gain, low=0.0, high=10.0)
        self.offset = self.spec("offset", offset, low=-1.0, high=1.0)
        self.gamma = self.spec("gamma", gamma, low=0.05, high=20.0)

    def _apply(self, x: torch.Tensor, params: Params) -> torch.Tensor:
        signal = x.clamp_min(0.0) ** per_sample(params["gamma"], x)
        return per_sample(params["offset"], x) + per_sample(params["gain"], x) * signal


class CorrelatedNoise(ImagePerturbation, abstract=True):
    """Poisson-Gaussian noise with a per-style power spectrum (see :func:`noise_filter`).

    ``y = x + sqrt(x / photons + read_std^2) * n`` where ``n`` is unit-variance white noise
    (regenerated from a per-sample seed, one field shared by all channels) shaped in the FFT
    domain. This is the Gaussian form of the Poisson-Gaussian model (Foi et al. 2008): exact
    Poisson counts (``PoissonNoise``) are white and cannot carry a spectrum.
    """

    family = "scanner_style"

    def __init__(self, photons=1000.0, read_std=0.0, beta=0.0, correlation=0.0, *,
                 p: float = 1.0) -> None:
        super().__init__(p=p)
        self.photons = self.spec("photons", photons, low=1.0)
        self.read_std = self.spec("read_std", read_std, low=0.0, high=1.0)
        self.beta = self.spec("beta", beta, low=0.0, high=3.0)
        self.correlation = self.spec("correlation", correlation, low=0.0, high=20.0)

    def _sample(self, batch_size: int, generator: torch.Generator) -> Params:
        return {**super()._sample(batch_size, generator), "seed": draw_seeds(batch_size, generator)}

    def _apply(self, x: torch.Tensor, params: Params) -> torch.Tensor:
        h, w = x.shape[-2:]
        white = normal(params["seed"], (1, h, w), x.device)
        amp = noise_filter(h, w, params["beta"], params["correlation"], x.device)
        spectrum = torch.fft.rfft2(white, norm="ortho") * amp[:, None].to(torch.float32)
        field = torch.fft.irfft2(spectrum, s=(h, w), norm="ortho").to(x.dtype)
        variance = x.clamp_min(0.0) / per_sample(params["photons"], x) \
            + per_sample(params["read_std"], x) ** 2
        return x + variance.sqrt() * field


class MTFBlur(ImagePerturbation, abstract=True):
    """Detector MTF as a Gaussian point-spread function of ``sigma`` pixels (0: sharp)."""

    family = "scanner_style"

    def __init__(self, sigma=0.7, *, p: float = 1.0) -> None:
        super().__init__(p=p)
        self.sigma = self.spec("sigma", sigma, low=0.0, high=10.0)
        self.blur = GaussianBlur()

    def apply_batch(self, x: torch.Tensor, params: Params, *, in_range: bool = False
                    ) -> torch.Tensor:
        sigma = params["sigma"]
        size = 2 * torch.ceil(3.0 * sigma).to(torch.int64) + 1  # sigma 0 -> one tap, identity
        blur = {"kernel_size": size, "sigma": sigma.clamp_min(1e-3), "gate": params["gate"]}
        return self.blur.apply_batch(x, blur, in_range=in_range)


class FixedWindow(ImagePerturbation, abstract=True):
    """A site's default VOI window: ``[center - width/2, center + width/2]`` -> ``[0, 1]``."""

    family = "scanner_style"

    def __init__(self, center=0.5, width=1.0, *, p: float = 1.0) -> None:
        super().__init__(p=p)
        self.center = self.spec("center", center, low=-1.0, high=2.0)
        self.width = self.spec("width", width, low=1e-3, high=4.0)
        self.window = WindowLevel()

    def apply_batch(self, x: torch.Tensor, params: Params, *, in_range: bool = False
                    ) -> torch.Tensor:
        return self.window.apply_batch(x, params, in_range=in_range)  # same params: center, width


class ToneLUT(ImagePerturbation, abstract=True):
    """A fixed piecewise-linear tone curve: ``curve`` holds outputs at evenly spaced inputs."""

    family = "scanner_style"

    def __init__(self, curve: Sequence[float] = (0.0, 1.0), *, p: float = 1.0) -> None:
        super().__init__(p=p)
        values = list(curve) if isinstance(curve, (list, tuple)) else None
        if values is None or not 2 <= len(values) <= 4096 or any(
                isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v <= 1
                for v in values):
            raise ConfigError(f"tone curve: 'curve' must be a list of 2..4096 numbers in [0, 1] "
                              f"(outputs at evenly spaced inputs), got {curve!r}")
        self.curve = torch.tensor(values, dtype=torch.float64)
        self.lut = ToneCurve(kind="piecewise")

    def apply_batch(self, x: torch.Tensor, params: Params, *, in_range: bool = False
                    ) -> torch.Tensor:
        curve = self.curve.expand(x.shape[0], -1)
        return self.lut.apply_batch(x, {"curve": curve, "gate": params["gate"]}, in_range=in_range)
