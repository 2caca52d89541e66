"""Per-sample blur kernels, built batched on the image's device and applied in one convolution.

Each sample gets its own kernel, zero-padded to the largest size in the batch, and
``kornia.filters.filter2d`` (grouped convolution, one kernel per sample) applies them all at
once. Zero taps add nothing and reflect padding maps a border pixel to the same source pixel
whatever the padding width, so a sample blurred inside a batch equals the sample blurred alone.
"""

from __future__ import annotations

import math
import threading

import torch
import torch.nn.functional as F
from kornia.filters import filter2d, filter2d_separable, get_gaussian_kernel1d, get_motion_kernel2d

from ...params import ParamSpec

#: ``gaussian_blur(one_pass=True)`` runs kernels up to this size as one 2-D convolution: on the
#: CPU a pass costs more in padding and layout reorders than in taps (K=5: 2x, K=15: 1.4x faster).
_MAX_2D_SIZE = 15


def sample_odd(spec: ParamSpec, batch_size: int, generator: torch.Generator) -> torch.Tensor:
    """Draw odd kernel sizes: a ``(lo, hi)`` range picks uniformly among its odd values."""
    if spec.kind != "range":
        return spec.sample(batch_size, generator)
    lo, hi = spec.values
    return lo + 2 * torch.randint(0, (hi - lo) // 2 + 1, (batch_size,), generator=generator)


def kernel_extent(sizes: torch.Tensor, bound: int | None) -> int:
    """The largest kernel size in the batch. While ``torch.compile`` traces it is ``bound``
    (the largest the op's arguments allow), so one graph serves every batch: the extra taps
    are zeros."""
    if bound is not None and torch.compiler.is_compiling():
        return int(bound)
    return int(sizes.max())


def size_for_sigma(sigma: torch.Tensor) -> torch.Tensor:
    """Odd kernel sizes ``2 * ceil(3 sigma) + 1`` (sigma 0 -> one tap, the identity)."""
    return 2 * torch.ceil(3.0 * sigma).to(torch.int64) + 1


def largest_size_for_sigma(sigma_max: float) -> int:
    """:func:`size_for_sigma` of the largest sigma an op can draw (its traced kernel width)."""
    return 2 * math.ceil(3.0 * float(sigma_max)) + 1


def opencv_sigma(kernel_size: torch.Tensor) -> torch.Tensor:
    """OpenCV's default Gaussian sigma for a kernel size (``sigma=0`` in ``cv2.GaussianBlur``)."""
    return 0.3 * ((kernel_size.to(torch.float64) - 1.0) * 0.5 - 1.0) + 0.8


def _border(x: torch.Tensor, size: int) -> str:
    # reflect needs the image longer than the half-width; tiny images fall back to replicate
    return "reflect" if size // 2 < min(x.shape[-2:]) else "replicate"


def gaussian_blur(x: torch.Tensor, kernel_size: torch.Tensor, sigma: torch.Tensor, *,
                  one_pass: bool = False, bound: int | None = None) -> torch.Tensor:
    """Gaussian blur with a per-sample odd ``kernel_size`` and ``sigma`` (both ``(B,)``).

    Taps come from ``kornia.filters.get_gaussian_kernel1d``, cut to each sample's size and
    renormalised, which equals kornia's kernel of that size. The blur is separable (two 1-D
    passes); ``one_pass=True`` convolves once with the outer-product kernel up to
    ``_MAX_2D_SIZE`` taps, about twice as fast on the CPU but no longer bit-exact on a flat
    image (the 2-D taps sum to 1 only up to rounding). ``bound``: the largest size the caller
    can pass (the width of the traced kernel under ``torch.compile``).

    Example:
        >>> from kornia.filters import gaussian_blur2d
        >>> x = torch.rand(2, 1, 16, 16, generator=torch.Generator().manual_seed(0))
        >>> y = gaussian_blur(x, torch.tensor([3, 7]), torch.tensor([1.0, 2.0]))
        >>> torch.allclose(y[1:], gaussian_blur2d(x[1:], 7, (2.0, 2.0)))
        True
        >>> torch.allclose(gaussian_blur(x, torch.tensor([3, 7]), torch.tensor([1.0, 2.0]),
        ...                              one_pass=True), y, atol=1e-6)
        True
    """
    size = kernel_extent(kernel_size, bound)
    sigma = sigma.to(device=x.device, dtype=x.dtype)[:, None]
    taps = get_gaussian_kernel1d(size, sigma)
    offset = torch.arange(size, device=x.device) - size // 2
    half = kernel_size.to(x.device)[:, None] // 2
    taps = torch.where(offset.abs()[None] <= half, taps, 0.0)
    taps = taps / taps.sum(dim=1, keepdim=True)
    if one_pass and size <= _MAX_2D_SIZE:
        return filter_per_sample(x, taps[:, :, None] * taps[:, None, :])
    return filter2d_separable(x, taps, taps, border_type=_border(x, size))


def filter_per_sample(x: torch.Tensor, kernels: torch.Tensor) -> torch.Tensor:
    """Correlate each sample with its own odd ``(K, K)`` kernel (``kernels`` is ``(B, K, K)``).

    kornia's ``filter2d`` (same padding, grouped convolution), bit for bit. On the CPU in eager
    mode the padded copy of a contiguous batch is written into a buffer this thread keeps for
    the next call of the same shape (:func:`padded_batch`): a new padded batch cost more in
    page faults than the copy itself.

    Example:
        >>> x = torch.rand(2, 1, 9, 9, generator=torch.Generator().manual_seed(0))
        >>> k = torch.rand(2, 5, 5, generator=torch.Generator().manual_seed(1))
        >>> torch.equal(filter_per_sample(x, k), filter2d(x, k, border_type="reflect"))
        True
    """
    b, c, height, width = x.shape
    size = kernels.shape[-1]
    if size % 2 == 0 or kernels.shape[-2] != size or x.device.type != "cpu" \
            or not x.is_contiguous() or torch.compiler.is_compiling() or x.requires_grad:
        return filter2d(x, kernels.to(x.dtype), border_type=_border(x, size))
    padded = padded_batch(x, size // 2, _border(x, size))
    weight = kernels.to(x.dtype)[:, None].expand(-1, c, -1, -1).reshape(-1, 1, size, size)
    y = F.conv2d(padded.view(1, b * c, *padded.shape[-2:]), weight, groups=b * c)
    return y.view(b, c, height, width)


_SCRATCH = threading.local()
_MAX_KEPT = 64 << 20  # bytes: a 64 x 3 x 512 x 512 float32 batch is 201 MB, not kept


def padded_batch(x: torch.Tensor, half: int, border: str) -> torch.Tensor:
    """``F.pad(x, [half] * 4, mode=border)`` of a contiguous ``x``, written into a buffer kept
    per thread (the last shape and dtype only, up to 64 MiB), valid until this thread's next
    call: for a CPU batch that is read once (a convolution's input). A fresh 13 MB batch is
    page-faulted in (3,000+ faults); the kept one is only rewritten.

    Example:
        >>> x = torch.arange(9.0).view(1, 1, 3, 3)
        >>> torch.equal(padded_batch(x, 1, "reflect"), F.pad(x, [1] * 4, mode="reflect"))
        True
    """
    if half == 0:
        return x
    if not x.is_contiguous():
        return F.pad(x, [half] * 4, mode=border)
    shape = (*x.shape[:2], x.shape[2] + 2 * half, x.shape[3] + 2 * half)
    out = getattr(_SCRATCH, "padded", None)
    if out is None or out.shape != shape or out.dtype != x.dtype:
        out = torch.empty(shape, dtype=x.dtype)
        # keep at most _MAX_KEPT bytes per thread; a larger batch gets a buffer of its own
        _SCRATCH.padded = out if out.nbytes <= _MAX_KEPT else None
    pad = torch.ops.aten.reflection_pad2d if border == "reflect" else \
        torch.ops.aten.replication_pad2d
    return pad.out(x, [half] * 4, out=out)


def motion_kernels(kernel_size: torch.Tensor, angle: torch.Tensor, direction: torch.Tensor,
                   device: torch.device, dtype: torch.dtype, sizes: list[int] | None = None
                   ) -> torch.Tensor:
    """``(B, K, K)`` line kernels from ``kornia.filters.get_motion_kernel2d`` (bilinear).

    kornia takes one size per call, so this loops over the distinct sizes in the batch (a
    handful) and centres each kernel in the largest one. While ``torch.compile`` traces, it
    loops over ``sizes`` (every size the op can draw) and picks each sample's by mask.
    """
    if sizes is not None and torch.compiler.is_compiling():
        size = max(sizes)
        out = torch.zeros(len(kernel_size), size, size, device=device, dtype=dtype)
        for k in sizes:
            kern = get_motion_kernel2d(k, angle.to(device, dtype), direction.to(device, dtype),
                                       mode="bilinear")
            lo = (size - k) // 2
            kern = torch.nn.functional.pad(kern, (lo, size - k - lo, lo, size - k - lo))
            out = torch.where((kernel_size == k).to(device).view(-1, 1, 1), kern, out)
        return out
    size = int(kernel_size.max())
    out = torch.zeros(len(kernel_size), size, size, device=device, dtype=dtype)
    for k in kernel_size.unique().tolist():
        rows = (kernel_size == k).nonzero().squeeze(1)
        kern = get_motion_kernel2d(int(k), angle[rows].to(device, dtype),
                                   direction[rows].to(device, dtype), mode="bilinear")
        lo = (size - k) // 2
        out[rows.to(device), lo:lo + k, lo:lo + k] = kern
    return out


def disk_kernels(radius: torch.Tensor, device: torch.device, dtype: torch.dtype,
                 max_radius: float | None = None) -> torch.Tensor:
    """``(B, K, K)`` anti-aliased disks (defocus point-spread functions), each summing to 1.

    A tap's weight is ``clamp(radius + 1/2 - r, 0, 1)`` at distance ``r`` from the centre: about
    the share of that pixel the disk covers, so the blur grows smoothly with a fractional radius
    (ImageNet-C instead blurs a hard disk with a small Gaussian). Radius 0 is the identity.

    ``max_radius`` (the largest the op can draw) sets the kernel width while ``torch.compile``
    traces.

    Example:
        >>> k = disk_kernels(torch.tensor([0.0, 2.5]), torch.device("cpu"), torch.float64)
        >>> k.shape, k[0, 3, 3].item(), [round(s, 6) for s in k.sum(dim=(1, 2)).tolist()]
        (torch.Size([2, 7, 7]), 1.0, [1.0, 1.0])
    """
    if max_radius is not None and torch.compiler.is_compiling():
        half = math.ceil(max_radius + 0.5)
    else:
        half = int(torch.ceil(radius.max() + 0.5))
    axis = torch.arange(-half, half + 1, device=device, dtype=dtype)
    r = torch.sqrt(axis[:, None] ** 2 + axis[None, :] ** 2)
    rad = radius.to(device=device, dtype=dtype).view(-1, 1, 1)
    weight = (rad + 0.5 - r[None]).clamp(0.0, 1.0)
    return weight / weight.sum(dim=(1, 2), keepdim=True)
