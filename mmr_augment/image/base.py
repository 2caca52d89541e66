"""Image side of the contract: input checks, value range, dtype handling and the gate.

Images are float tensors ``(B, C, H, W)``, C = 1 or 3, in ``value_range`` (default ``[0, 1]``).
Ops compute on a ``[0, 1]`` view in float32 (float64 stays float64), clamp to the range, and
return the input's dtype and device. NaN or Inf input raises :class:`InputError`: a corrupted
image must not silently poison a training batch.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import torch

from ..core import Params, Perturbation
from ..errors import ConfigError, InputError, InputTypeError

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


def _check_value_range(value_range: Any, owner: str) -> tuple[float, float]:
    """``(lo, hi)`` as floats; finite, with a finite positive span (else the output is NaN)."""
    try:
        lo, hi = (float(v) for v in value_range)
    except (TypeError, ValueError):
        raise ConfigError(f"{owner}: value_range must be two numbers (lo, hi), "
                          f"got {value_range!r}") from None
    if not (math.isfinite(hi - lo) and hi > lo):
        raise ConfigError(f"{owner}: value_range must be finite (lo, hi) with hi > lo, "
                          f"got {value_range!r}")
    return lo, hi


class ImagePerturbation(Perturbation, abstract=True):
    """Base class of image ops. Subclasses declare their arguments with ``self.spec(...)`` and
    implement ``_apply``; the base class samples declared specs (override ``_sample`` only for
    what is special to the op, e.g. noise seeds).

    ``_apply`` receives float32 (or float64) images in ``[0, 1]`` and may return values
    outside it: the base class clamps, restores the value range, dtype, and the gate.

    An op sets ``clamp_first = True`` when clamping its input to ``[0, 1]`` gives the same
    result as clamping its output, and in-range input gives in-range output with no rounding
    escape (monotone maps fixing 0 and 1 such as ``x ** gamma``; filling holes with an
    in-range value). The base class then clamps the input, and only when it is not already
    known to be in range (inside a ``Sequential``, after an op that clamped), never the output.
    """

    modality = "image"
    clamp_first: ClassVar[bool] = False

    def __init__(self, *, p: float = 1.0, severity: int | None = None,
                 value_range: tuple[float, float] = (0.0, 1.0)) -> None:
        super().__init__(p=p, severity=severity)
        self.value_range = _check_value_range(value_range, type(self).__name__)

    def check_input(self, x: Any) -> torch.Tensor:
        return check_image(x, type(self).__name__)

    def output_in_unit_range(self, params: Params, input_in_range: bool) -> bool:
        """Gated-on samples come back clamped into ``value_range``; gated-off ones as given."""
        unit = self.value_range == (0.0, 1.0)  # other ranges: rescaling back may round out
        return unit and (input_in_range or bool(params["gate"].all()))

    def apply_batch(self, x: torch.Tensor, params: Params, *, in_range: bool = False
                    ) -> torch.Tensor:
        """``_apply`` on a ``[0, 1]`` float view, clamped, back in ``x``'s range and dtype, gated.

        ``in_range=True`` promises that ``x`` already lies in ``[0, 1]`` (a ``Sequential``
        passes it after an op that clamped into that range): ``clamp_first`` ops with the
        default value range then skip every clamp. Only tensors made here are written in
        place, never ``x``.
        """
        lo, hi = self.value_range
        unit = (lo, hi) == (0.0, 1.0)
        in_range = in_range and unit
        work = x if x.dtype in (torch.float32, torch.float64) else x.float()
        if not unit:
            work = (work - lo) / (hi - lo)
        if self.clamp_first and not in_range:
            work = work.clamp_(0, 1) if work is not x else work.clamp(0.0, 1.0)
        y = self._apply(work, params)
        fresh = not _shares_memory(y, x, work)
        if not self.clamp_first:
            y = y.clamp_(0, 1) if fresh else y.clamp(0.0, 1.0)
            fresh = True
        if not unit:
            y = y.mul_(hi - lo).add_(lo) if fresh else y * (hi - lo) + lo
        y = y.to(x.dtype)
        gate = params["gate"]
        if bool(gate.all()):  # same result as the where below, one pass less
            return y
        return torch.where(gate.to(x.device).view(-1, 1, 1, 1), y, x)


def _shares_memory(y: torch.Tensor, *others: torch.Tensor) -> bool:
    """Whether ``y`` lives in the storage of one of ``others`` (then it must not be written)."""
    return y.untyped_storage().data_ptr() in {t.untyped_storage().data_ptr() for t in others}
