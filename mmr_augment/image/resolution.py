"""Resolution loss: pixelation (block means) and down-up resampling, per-sample sizes.

Both work on the whole batch at once: each axis is resized by a per-sample weight matrix
(see ``_kernels/resize.py``), so no loop over samples or over distinct sizes is needed.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from ..core import Params
from ..errors import ConfigError
from ._kernels.resize import (
    DOWN_MODES,
    SIZE_ROUNDING,
    block_mean_weights,
    block_means,
    down_up_operator,
    expand_blocks,
    resize_sizes,
)
from .base import ImagePerturbation


def _resize_both_axes(x: torch.Tensor, rows: torch.Tensor, cols: torch.Tensor) -> torch.Tensor:
    """``rows (B, H', H) @ x @ cols (B, W', W)^T`` for every channel."""
    return rows[:, None] @ x @ cols.transpose(-1, -2)[:, None]


class Pixelate(ImagePerturbation):
    """Pixelation: each block of about ``1 / scale`` pixels replaced by its mean.

    The image is reduced to ``round(scale * H) x round(scale * W)`` cells by exact block
    means, then enlarged back by nearest neighbour, so the output is constant on each block.
    ``size_rounding="down"`` takes ``int(scale * H)`` cells instead, as MedMNIST-C (PIL's
    ``resize`` to ``int(width * factor)``) does: at 28 px, scale 0.2 gives 5 cells, not 6.

    Severity (MedMNIST-C chest X-ray, as a fraction of the resolution): scale .30 .25 .20
    .15 .10.

    Args:
        scale: kept fraction of the resolution per axis, in ``(0, 1]``.
        size_rounding: ``"nearest"`` or ``"down"``, how ``scale * H`` becomes a whole number of
            cells.

    Example:
        >>> op = Pixelate(scale=0.25)
        >>> y = op(torch.rand(2, 1, 8, 8), generator=0)
        >>> bool((y[..., :4, :4] == y[..., :1, :1]).all())
        True
    """

    family = "pixelate"
    clamps_output = True  # the cells, before they are enlarged: fewer pixels, same values
    severity_table = {"scale": (0.30, 0.25, 0.20, 0.15, 0.10)}

    def __init__(self, scale=(0.1, 0.5), *, size_rounding: str = "nearest", p: float = 1.0,
                 severity: int | None = None, value_range=(0.0, 1.0)) -> None:
        super().__init__(p=p, severity=severity, value_range=value_range)
        self.scale = self.spec("scale", scale, low=1e-3, high=1.0)
        if size_rounding not in SIZE_ROUNDING:
            raise ConfigError(f"Pixelate: size_rounding must be one of {list(SIZE_ROUNDING)}, "
                              f"got {size_rounding!r}")
        self.size_rounding = size_rounding

    def _apply(self, x: torch.Tensor, params: Params) -> torch.Tensor:
        h, w = x.shape[-2:]
        size_y = resize_sizes(params["scale"].cpu(), h, self.size_rounding)
        size_x = resize_sizes(params["scale"].cpu(), w, self.size_rounding)
        if x.device.type == "cpu":  # block sums in a fixed order: fast and deterministic
            cells = block_means(x, size_y, size_x)
        else:  # one batched product per axis (index_add_ adds in no fixed order there)
            cells = _resize_both_axes(x, block_mean_weights(h, size_y, x.dtype, x.device),
                                      block_mean_weights(w, size_x, x.dtype, x.device))
        # nearest up-sampling: each pixel takes its cell's value, exactly constant per block
        return expand_blocks(cells.clamp_(0.0, 1.0), size_y, size_x, h, w)


class Resample(ImagePerturbation):
    """Down-up resampling: shrink to ``scale`` of the resolution, bilinear back up.

    ``down`` picks the reduction filter: ``"area"`` (box average), ``"bilinear"`` or
    ``"bicubic"`` (with ``antialias``, as in PIL / ``F.interpolate(antialias=True)``); a list
    of modes picks one per sample. Unlike :class:`Pixelate` the result is smooth (blurred
    and, without antialiasing, aliased), like a low-resolution acquisition shown at full size.

    Severity (no MedMNIST-C / ImageNet-C row; ours): scale .60 .45 .35 .25 .15.

    Args:
        scale: kept fraction of the resolution per axis, in ``(0, 1]``.
        down: reduction filter name, or a list of names chosen per sample.
        antialias: low-pass filter before bilinear / bicubic reduction.

    Example:
        >>> op = Resample(scale=(0.3, 0.6), down=["area", "bicubic"])
        >>> x = torch.rand(3, 1, 16, 16)
        >>> params = op.sample(3, torch.Generator().manual_seed(0))
        >>> params["down"].tolist(), op.apply(x, params).shape
        ([0, 1, 0], torch.Size([3, 1, 16, 16]))
    """

    family = "resample"
    severity_table = {"scale": (0.60, 0.45, 0.35, 0.25, 0.15)}

    def __init__(self, scale=(0.25, 0.75), down: str | Sequence[str] = "area",
                 antialias: bool = True, *, p: float = 1.0, severity: int | None = None,
                 value_range=(0.0, 1.0)) -> None:
        super().__init__(p=p, severity=severity, value_range=value_range)
        self.scale = self.spec("scale", scale, low=1e-3, high=1.0)
        modes = (down,) if isinstance(down, str) else tuple(down)
        if not modes or any(m not in DOWN_MODES for m in modes):
            raise ConfigError(f"Resample: down must be one of {DOWN_MODES} or a non-empty "
                              f"list of them, got {down!r}")
        if not isinstance(antialias, bool):
            raise ConfigError(f"Resample: antialias must be True or False, got {antialias!r}")
        self.modes = modes
        self.antialias = antialias

    def _sample(self, batch_size: int, generator: torch.Generator) -> Params:
        scale = self.scale.sample(batch_size, generator)
        down = torch.randint(len(self.modes), (batch_size,), generator=generator)
        return {"scale": scale, "down": down}

    def _operator(self, n: int, size: torch.Tensor, down: torch.Tensor, dtype: torch.dtype,
                  device: torch.device) -> torch.Tensor:
        if torch.compiler.is_compiling():  # every filter for every sample, picked by mask
            op = torch.zeros(len(size), n, n, device=device, dtype=dtype)
            for index, mode in enumerate(self.modes):
                full = down_up_operator(n, size, mode, self.antialias, dtype, device).to(dtype)
                op = torch.where((down == index).to(device).view(-1, 1, 1), full, op)
            return op
        op = torch.empty(len(size), n, n, device=device, dtype=dtype)
        for index, mode in enumerate(self.modes):  # at most three filters
            chosen = down == index
            if chosen.any():
                # .to(dtype): under autocast the product comes back in half precision
                op[chosen.to(device)] = down_up_operator(n, size[chosen], mode, self.antialias,
                                                         dtype, device).to(dtype)
        return op

    def _apply(self, x: torch.Tensor, params: Params) -> torch.Tensor:
        h, w = x.shape[-2:]
        down = params["down"].cpu()
        rows = self._operator(h, resize_sizes(params["scale"].cpu(), h), down, x.dtype, x.device)
        cols = self._operator(w, resize_sizes(params["scale"].cpu(), w), down, x.dtype, x.device)
        return _resize_both_axes(x, rows, cols)
