"""Image side of the contract: input checks, value range, dtype handling and the gate.

Images are float tensors ``(B, C, H, W)``, C = 1 or 3, in ``value_range`` (default ``[0, 1]``).
Ops compute on a ``[0, 1]`` view in float32 (float64 stays float64), clamp to the range, and
return the input's dtype and device. NaN or Inf input raises :class:`InputError`: a corrupted
image must not silently poison a training batch.
"""

from __future__ import annotations

from typing import Any

import torch

from ..core import Params, Perturbation
from ..errors import InputError, InputTypeError

FLOAT_DTYPES = (torch.float16, torch.bfloat16, torch.float32, torch.float64)


def to_float_image(x: torch.Tensor, bits: int | None = None) -> torch.Tensor:
    """Integer or bool image -> float32 in ``[0, 1]``.

    ``bits`` gives the stored bit depth (e.g. 12 for a 12-bit radiograph in uint16);
    by default the dtype's full range is used.

    Example:
        >>> to_float_image(torch.tensor([[[[0, 255]]]], dtype=torch.uint8))
        tensor([[[[0., 1.]]]])
    """
    if x.dtype == torch.bool:
        return x.float()
    if x.is_floating_point():
        return x
    if x.is_complex():
        raise InputTypeError("complex images are not supported; pass x.abs() or x.real")
    top = (2**bits - 1) if bits else torch.iinfo(x.dtype).max
    return x.float() / float(top)


def check_image(x: Any, owner: str = "op") -> torch.Tensor:
    """Validate an image batch; raise a clear error naming the fix."""
    if not isinstance(x, torch.Tensor):
        raise InputTypeError(f"{owner}: expected a torch.Tensor (B, C, H, W), got "
                             f"{type(x).__name__}; numpy arrays: torch.from_numpy(a)")
    if x.dtype not in FLOAT_DTYPES:
        raise InputTypeError(
            f"{owner}: image dtype {x.dtype} is not supported; pass a float tensor, e.g. "
            f"mmr_augment.to_float_image(x) for integer/bool images in [0, 1]")
    if x.ndim != 4:
        hint = " (a single image: x[None])" if x.ndim == 3 else ""
        raise InputError(f"{owner}: expected shape (B, C, H, W), got {tuple(x.shape)}{hint}")
    if x.shape[1] not in (1, 3):
        raise InputError(f"{owner}: expected 1 or 3 channels, got {x.shape[1]} "
                         f"(channels-first layout: x.permute(0, 3, 1, 2))")
    if x.shape[0] == 0:
        raise InputError(f"{owner}: empty batch; give at least one image")
    if x.shape[2] == 0 or x.shape[3] == 0:
        raise InputError(f"{owner}: image has zero size {tuple(x.shape[2:])}")
    # one float32-accumulated reduction instead of a full bool map: NaN/Inf propagate to it
    if not torch.isfinite(torch.sum(x, dtype=torch.float32)):
        raise InputError(f"{owner}: image contains NaN or Inf; clean it first, e.g. "
                         f"torch.nan_to_num(x, nan=0.0).clamp(lo, hi)")
    return x


def per_sample(t: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """A ``(B,)`` param as ``(B, 1, 1, 1)`` on ``x``'s device and dtype."""
    return t.to(device=x.device, dtype=x.dtype).view(-1, 1, 1, 1)


class ImagePerturbation(Perturbation, abstract=True):
    """Base class of image ops. Subclasses implement ``_sample`` and ``_apply``.

    ``_apply`` receives float32 (or float64) images in ``[0, 1]`` and may return values
    outside it: the base class clamps, restores the value range, dtype, and the gate.
    """

    modality = "image"

    def __init__(self, *, p: float = 1.0, severity: int | None = None,
                 value_range: tuple[float, float] = (0.0, 1.0)) -> None:
        super().__init__(p=p, severity=severity)
        lo, hi = (float(v) for v in value_range)
        if not hi > lo:
            raise InputError(f"{type(self).__name__}: value_range must be (lo, hi) with hi > lo")
        self.value_range = (lo, hi)

    def _check_input(self, x: Any) -> torch.Tensor:
        return check_image(x, type(self).__name__)

    def occlusion(self, shape: tuple[int, ...], params: Params) -> torch.Tensor | None:
        """``(B, 1, H, W)`` bool mask of pixels this call overwrote (cutout-like ops), or
        ``None`` for ops that do not occlude. Gated-off samples have an all-False mask."""
        return None

    def _gated(self, x: torch.Tensor, params: Params) -> torch.Tensor:
        lo, hi = self.value_range
        work = x if x.dtype == torch.float64 else x.float()
        if (lo, hi) != (0.0, 1.0):
            work = (work - lo) / (hi - lo)
        y = self._apply(work, params)
        # clamp in place when _apply returned a fresh tensor (never write into the input)
        shared = {x.untyped_storage().data_ptr(), work.untyped_storage().data_ptr()}
        y = y.clamp(0.0, 1.0) if y.untyped_storage().data_ptr() in shared else y.clamp_(0, 1)
        if (lo, hi) != (0.0, 1.0):
            y = y * (hi - lo) + lo
        y = y.to(x.dtype)
        gate = params["gate"]
        if bool(gate.all()):  # same result as the where below, one pass less
            return y
        return torch.where(gate.to(x.device).view(-1, 1, 1, 1), y, x)
