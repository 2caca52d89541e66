"""Per-sample 1-D resize operators as batched matrices, for down-up resampling.

``F.interpolate`` takes one output size per call; here every sample has its own size, so each
axis is resized by a ``(B, n_out, n_in)`` weight matrix and the whole batch goes through one
batched matmul. The weights follow PyTorch's own kernels (``upsample_bilinear2d``,
``upsample_bicubic2d``, their ``antialias=True`` variants, and ``adaptive_avg_pool2d`` for
``area``), so a sample resized here matches ``F.interpolate`` with its size
(``tests/image/test_image_resolution.py`` checks it).
"""

from __future__ import annotations

import math

import torch

DOWN_MODES = ("area", "bilinear", "bicubic")


def _cubic(t: torch.Tensor, a: float) -> torch.Tensor:
    """Keys cubic convolution kernel with parameter ``a``."""
    t = t.abs()
    near = ((a + 2) * t - (a + 3)) * t * t + 1
    far = ((a * t - 5 * a) * t + 8 * a) * t - 4 * a
    return torch.where(t < 1, near, torch.where(t < 2, far, torch.zeros_like(t)))


def _dense(index: torch.Tensor, weight: torch.Tensor, n_in: int) -> torch.Tensor:
    """``(B, n_out, n_in)`` matrix from taps ``(B, n_out, taps)``; repeated indices add up.

    Taps past the input carry zero weight; clamping only keeps their index valid.
    """
    out = torch.zeros(*index.shape[:-1], n_in, device=index.device, dtype=weight.dtype)
    return out.scatter_add_(-1, index.clamp(0, n_in - 1), weight)


def _linear_taps(n_in: torch.Tensor, n_out: torch.Tensor, length: int,
                 dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
    # upsample_bilinear2d, align_corners=False: source index clamped at 0, right tap at n_in-1
    j = torch.arange(length, device=n_in.device, dtype=dtype)
    src = (n_in.to(dtype) / n_out.to(dtype) * (j + 0.5) - 0.5).clamp(min=0)
    i0 = src.floor()
    i1 = torch.minimum(i0 + 1, n_in.to(dtype) - 1)
    frac = src - i0
    return torch.stack([i0, i1], -1).long(), torch.stack([1 - frac, frac], -1)


def _cubic_taps(n_in: int, n_out: torch.Tensor,
                dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
    # upsample_bicubic2d: four taps, A = -0.75, indices clamped to the border
    j = torch.arange(n_in, device=n_out.device, dtype=dtype)
    src = (n_in / n_out.to(dtype)) * (j + 0.5) - 0.5
    i0 = src.floor()
    offsets = torch.arange(-1, 3, device=n_out.device, dtype=dtype)
    index = (i0[..., None] + offsets).clamp(0, n_in - 1).long()
    return index, _cubic((src - i0)[..., None] - offsets, -0.75)


def _antialiased_taps(n_in: int, n_out: torch.Tensor, mode: str, window: int,
                      dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
    # PIL-style separable filter, as in PyTorch's _upsample_*2d_aa kernels
    j = torch.arange(n_in, device=n_out.device, dtype=dtype)
    scale = n_in / n_out.to(dtype)
    stretch = scale.clamp(min=1)
    support = (1.0 if mode == "bilinear" else 2.0) * stretch
    center = scale * (j + 0.5)
    lo = (center - support + 0.5).floor().clamp(min=0)
    hi = (center + support + 0.5).floor().clamp(max=n_in)
    k = lo[..., None] + torch.arange(window, device=n_out.device, dtype=dtype)
    t = (k - center[..., None] + 0.5) / stretch[..., None]
    w = (1 - t.abs()).clamp(min=0) if mode == "bilinear" else _cubic(t, -0.5)
    w = w * (k < hi[..., None])
    # rows past the output size have empty windows; they are zeroed by the caller
    return k.long(), w / w.sum(dim=-1, keepdim=True).clamp(min=torch.finfo(dtype).tiny)


def _area_taps(n_in: int, n_out: torch.Tensor, window: int,
               dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
    # adaptive_avg_pool2d windows [floor(j n_in / n_out), ceil((j + 1) n_in / n_out))
    j = torch.arange(n_in, device=n_out.device)
    start = (j * n_in) // n_out
    end = ((j + 1) * n_in + n_out - 1) // n_out
    k = start[..., None] + torch.arange(window, device=n_out.device)
    inside = k < end[..., None]
    return k, inside.to(dtype) / (end - start).clamp(min=1).to(dtype)[..., None]


def down_weights(n_in: int, size: torch.Tensor, mode: str, antialias: bool,
                 dtype: torch.dtype, device: torch.device | str = "cpu") -> torch.Tensor:
    """``(B, n_in, n_in)`` down-sampling weights to per-sample sizes ``size`` ``(B,)``.

    ``size`` is a CPU int tensor (it bounds the filter windows without a device sync). Row
    ``j < size[b]`` holds output pixel ``j`` of sample ``b``; the other rows are zero.
    """
    stretch = n_in / max(int(size.min()), 1)
    n_out = size.to(device).view(-1, 1)
    if mode == "area":
        index, weight = _area_taps(n_in, n_out, math.ceil(stretch) + 1, dtype)
    elif antialias:
        radius = 1.0 if mode == "bilinear" else 2.0
        window = math.ceil(2 * radius * max(stretch, 1.0)) + 1
        index, weight = _antialiased_taps(n_in, n_out, mode, window, dtype)
    elif mode == "bilinear":
        index, weight = _linear_taps(torch.full_like(n_out, n_in), n_out, n_in, dtype)
    else:
        index, weight = _cubic_taps(n_in, n_out, dtype)
    rows = torch.arange(n_in, device=n_out.device).view(1, -1, 1)
    return _dense(index, weight * (rows < n_out[..., None]), n_in)


def up_weights(n_out: int, size: torch.Tensor, dtype: torch.dtype,
               device: torch.device | str = "cpu") -> torch.Tensor:
    """``(B, n_out, n_out)`` bilinear up-sampling from ``size`` ``(B,)`` (columns >= size: 0)."""
    n_in = size.to(device).view(-1, 1)
    index, weight = _linear_taps(n_in, torch.full_like(n_in, n_out), n_out, dtype)
    return _dense(index, weight, n_out)


def down_up_operator(n: int, size: torch.Tensor, mode: str, antialias: bool,
                     dtype: torch.dtype, device: torch.device | str = "cpu") -> torch.Tensor:
    """``(B, n, n)``: down-sample to ``size`` ``(B,)`` with ``mode``, bilinear back to ``n``.

    Example:
        >>> op = down_up_operator(8, torch.tensor([4, 8]), "area", False, torch.float32)
        >>> op.shape, torch.allclose(op[1], torch.eye(8))
        (torch.Size([2, 8, 8]), True)
    """
    up = up_weights(n, size, dtype, device)
    return up @ down_weights(n, size, mode, antialias, dtype, device)


def block_cells(n: int, size: torch.Tensor) -> torch.Tensor:
    """``(B, n)`` low-resolution cell of each pixel (nearest up-sampling from ``size``)."""
    return (torch.arange(n, device=size.device) * size.view(-1, 1)) // n


def block_mean_weights(n: int, size: torch.Tensor, dtype: torch.dtype,
                       device: torch.device | str = "cpu") -> torch.Tensor:
    """``(B, n, n)``: row ``c`` averages the pixels of cell ``c`` (see :func:`block_cells`).

    Cell ``c`` of a sample with ``size`` cells spans ``[ceil(c n / size), ceil((c+1) n / size))``.
    """
    window = math.ceil(n / max(int(size.min()), 1))
    cells = size.to(device).view(-1, 1)
    c = torch.arange(n, device=cells.device)
    start = (c * n + cells - 1) // cells
    end = ((c + 1) * n + cells - 1) // cells
    k = start[..., None] + torch.arange(window, device=cells.device)
    inside = (k < end[..., None]) & (c < cells)[..., None]
    return _dense(k, inside.to(dtype) / (end - start).clamp(min=1).to(dtype)[..., None], n)


def resize_sizes(scale: torch.Tensor, n: int) -> torch.Tensor:
    """Per-sample low-resolution sizes ``round(n * scale)`` in ``[1, n]`` (CPU, from params)."""
    return torch.floor(scale * n + 0.5).clamp(1, n).long()
