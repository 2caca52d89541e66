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
    """``(B, max(size), n)``: row ``c`` averages the pixels of cell ``c`` (see
    :func:`block_cells`); rows past a sample's own ``size`` are zero.

    Cell ``c`` of a sample with ``size`` cells spans ``[ceil(c n / size), ceil((c+1) n / size))``.
    ``size`` is a CPU int tensor.
    """
    window = math.ceil(n / max(int(size.min()), 1))
    cells = size.to(device).view(-1, 1)
    c = torch.arange(int(size.max()), device=cells.device)
    start = (c * n + cells - 1) // cells
    end = ((c + 1) * n + cells - 1) // cells
    k = start[..., None] + torch.arange(window, device=cells.device)
    inside = (k < end[..., None]) & (c < cells)[..., None]
    return _dense(k, inside.to(dtype) / (end - start).clamp(min=1).to(dtype)[..., None], n)


def _cell_rows(cells: torch.Tensor, channels: int, count: int) -> torch.Tensor:
    """Flat row index ``(B * C * n,)`` of each pixel row's cell in a ``(B * C * count, ...)``
    stack, for cells ``(B, n)`` shared by the channels of a sample."""
    b = len(cells)
    base = torch.arange(b * channels, device=cells.device).view(b, channels, 1) * count
    return (base + cells[:, None, :]).reshape(-1)


def _sum_rows(x: torch.Tensor, cells: torch.Tensor, count: int) -> torch.Tensor:
    """``(B, C, count, W)``: the sum of the rows of ``x`` ``(B, C, H, W)`` in each cell."""
    b, c, h, w = x.shape
    out = torch.zeros(b * c * count, w, dtype=x.dtype, device=x.device)
    return out.index_add_(0, _cell_rows(cells, c, count), x.reshape(-1, w)).view(b, c, count, w)


def block_means(x: torch.Tensor, size_y: torch.Tensor, size_x: torch.Tensor) -> torch.Tensor:
    """``(B, C, max(size_y), max(size_x))`` block means of ``x`` ``(B, C, H, W)`` on the cells
    of :func:`block_cells` (per-sample sizes, CPU int tensors); cells past a sample's own size
    are zero.

    Each block is summed row by row in one ``index_add_`` pass per axis (contiguous rows; the
    second axis on the transposed row sums), then divided by its pixel count: about 4x faster
    on the CPU than a product with :func:`block_mean_weights`, equal to it up to float
    rounding. ``index_add_`` adds in a fixed order on the CPU only; other devices should use
    the weights.

    Example:
        >>> x = torch.arange(16.0).view(1, 1, 4, 4)
        >>> block_means(x, torch.tensor([2]), torch.tensor([2]))[0, 0].tolist()
        [[2.5, 4.5], [10.5, 12.5]]
    """
    h, w = x.shape[-2:]
    rows, cols = block_cells(h, size_y.to(x.device)), block_cells(w, size_x.to(x.device))
    my, mx = int(size_y.max()), int(size_x.max())
    sums = _sum_rows(x, rows, my).transpose(2, 3).contiguous()
    sums = _sum_rows(sums, cols, mx).transpose(2, 3)
    count_y = torch.zeros(len(rows), my, dtype=x.dtype, device=x.device).scatter_add_(
        1, rows, torch.ones_like(rows, dtype=x.dtype))
    count_x = torch.zeros(len(cols), mx, dtype=x.dtype, device=x.device).scatter_add_(
        1, cols, torch.ones_like(cols, dtype=x.dtype))
    counts = (count_y[:, :, None] * count_x[:, None, :]).clamp_(min=1)
    return sums / counts[:, None]


def expand_blocks(cells: torch.Tensor, size_y: torch.Tensor, size_x: torch.Tensor, h: int,
                  w: int) -> torch.Tensor:
    """Nearest up-sampling of block values ``cells`` ``(B, C, my, mx)`` to ``(B, C, h, w)``:
    each pixel takes its cell's value (:func:`block_cells`), exactly. The columns are spread on
    the small grid first, then whole rows are copied (one ``index_select``), so the full-size
    image is written once.

    Example:
        >>> v = torch.tensor([[[[1.0, 2.0], [3.0, 4.0]]]])
        >>> expand_blocks(v, torch.tensor([2]), torch.tensor([2]), 3, 3)[0, 0].tolist()
        [[1.0, 1.0, 2.0], [1.0, 1.0, 2.0], [3.0, 3.0, 4.0]]
    """
    b, c, my, _ = cells.shape
    rows = block_cells(h, size_y.to(cells.device))
    cols = block_cells(w, size_x.to(cells.device))[:, None, None, :]
    wide = cells.gather(3, cols.expand(b, c, my, w)).reshape(-1, w)
    return wide.index_select(0, _cell_rows(rows, c, my)).view(b, c, h, w)


SIZE_ROUNDING = ("nearest", "down")


def resize_sizes(scale: torch.Tensor, n: int, rounding: str = "nearest") -> torch.Tensor:
    """Per-sample low-resolution sizes ``round(n * scale)`` (``rounding="down"``:
    ``int(n * scale)``, as PIL users such as MedMNIST-C size them) in ``[1, n]`` (CPU, from
    params).

    Example:
        >>> scale = torch.tensor([0.2, 0.1], dtype=torch.float64)
        >>> resize_sizes(scale, 28).tolist(), resize_sizes(scale, 28, "down").tolist()
        ([6, 3], [5, 2])
    """
    return torch.floor(scale * n + (0.5 if rounding == "nearest" else 0.0)).clamp(1, n).long()
