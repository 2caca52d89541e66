"""Image side of the contract: input checks, value range, dtype handling and the gate.

Images are float tensors ``(B, C, H, W)``, C = 1 or 3, in ``value_range`` (default ``[0, 1]``).
Ops compute on a ``[0, 1]`` view in float32 (float64 stays float64), clamp to the range, and
return the input's dtype and device. NaN or Inf input raises :class:`InputError`: a corrupted
image must not silently poison a training batch.

Input outside ``value_range`` (more than :data:`RANGE_TOLERANCE` of its span) raises
:class:`InputError` too: a 0-255 image fed to a ``[0, 1]`` op would otherwise come back white.
Scale it first (MONAI ``ScaleIntensityd``, :func:`to_float_image`, ``x / 255``) or give the op
its ``value_range=``. Code that relies on the op clamping on purpose opts out with
``with clamp_out_of_range(): ...``.

The range scan is skipped for the batch an image op last returned clamped into ``[0, 1]`` (in
this thread), as long as it is the same tensor, unmodified: ``x = op(x, generator=g)`` in
turn then scans the batch once, not once per op, and skips the clamps a ``Sequential`` skips.
A batch the scan finds inside ``[0, 1]`` is remembered the same way for the call it was made
in, so the op skips its input clamp too; the call then forgets it.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, ClassVar

import torch

from ..core import Params, Perturbation, all_on, shares_memory
from ..errors import ConfigError, InputError, InputTypeError

FLOAT_DTYPES = (torch.float16, torch.bfloat16, torch.float32, torch.float64)
RANGE_TOLERANCE = 0.01  # of the span: resampling overshoot passes, a 0-255 image does not
_CLAMPING = ContextVar("mmr_clamp_out_of_range", default=False)
_LAST_IN_RANGE: ContextVar[tuple | None] = ContextVar("mmr_last_in_range", default=None)


def known_in_unit_range(x: Any) -> bool:
    """Whether ``x`` is the batch an image op last returned clamped into ``[0, 1]`` in this
    thread, or the last one its range check found inside ``[0, 1]``, unmodified since (same
    tensor object, same version counter).

    Example:
        >>> import mmr_augment as ma
        >>> y = ma.Brightness(factor=1.5)(torch.rand(1, 1, 4, 4), generator=0)
        >>> known_in_unit_range(y), known_in_unit_range(y.clone())
        (True, False)
        >>> _ = y.mul_(2.0); known_in_unit_range(y)
        False
    """
    if torch.compiler.is_compiling():
        return False
    last = _LAST_IN_RANGE.get()
    return last is not None and last[0]() is x and x._version == last[1]


def _remember_in_range(y: torch.Tensor) -> None:
    if not torch.compiler.is_compiling():
        _LAST_IN_RANGE.set((weakref.ref(y), y._version))


def _take_known_in_range(x: torch.Tensor) -> bool:
    """:func:`known_in_unit_range`, forgetting ``x`` once read: the op's own output is
    remembered next, and a buffer refilled behind torch's back (through a NumPy view) is
    scanned again on its next call rather than taken as known."""
    known = known_in_unit_range(x)
    if known:
        _LAST_IN_RANGE.set(None)
    return known


@contextmanager
def clamp_out_of_range() -> Iterator[None]:
    """Let image ops take input outside their ``value_range`` and clamp it (the opt-out of
    the range check, for code that clamps on purpose). Scoped to the block and thread.

    Example:
        >>> import mmr_augment as ma
        >>> with clamp_out_of_range():
        ...     y = ma.Gamma(gamma=2.0)(torch.full((1, 1, 2, 2), 3.0), generator=0)
        >>> y.max().item()
        1.0
    """
    token = _CLAMPING.set(True)
    try:
        yield
    finally:
        _CLAMPING.reset(token)


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


def check_image(x: Any, owner: str = "op",
                value_range: tuple[float, float] | None = None) -> torch.Tensor:
    """Validate an image batch; raise a clear error naming the fix.

    With ``value_range``, values outside it (beyond :data:`RANGE_TOLERANCE` of the span) are
    refused unless inside a :func:`clamp_out_of_range` block; one ``torch.aminmax`` pass per
    batch.

    Example:
        >>> check_image(torch.full((1, 1, 2, 2), 255.0), "op", (0.0, 1.0))
        Traceback (most recent call last):
        ...
        mmr_augment.errors.InputError: op: image values span [255, 255], outside ...
    """
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
    if torch.compiler.is_compiling():
        return x  # value checks read data (a graph break): compiled code checks shapes only
    if known_in_unit_range(x) and (value_range is None or value_range[0] <= 0 <= 1
                                   <= value_range[1]):
        return x  # an image op clamped it into [0, 1]; nothing has written it since
    if value_range is not None and not _CLAMPING.get():
        _check_range(x, owner, value_range)
    # one float32-accumulated reduction instead of a full bool map: NaN/Inf propagate to it
    elif not torch.isfinite(torch.sum(x, dtype=torch.float32)):
        raise _non_finite(owner)
    return x


def _non_finite(owner: str) -> InputError:
    return InputError(f"{owner}: image contains NaN or Inf; clean it first, e.g. "
                      f"torch.nan_to_num(x, nan=0.0).clamp(lo, hi)")


def _check_range(x: torch.Tensor, owner: str, value_range: tuple[float, float]) -> None:
    """One min/max pass: NaN/Inf and values outside ``value_range`` raise; a batch found inside
    ``[0, 1]`` is remembered as such (:func:`known_in_unit_range`), so the op skips its clamps."""
    low, high = (float(v) for v in torch.aminmax(x.detach()))
    if not (math.isfinite(low) and math.isfinite(high)):
        raise _non_finite(owner)
    lo, hi = value_range
    slack = RANGE_TOLERANCE * (hi - lo)
    if low < lo - slack or high > hi + slack:
        raise InputError(
            f"{owner}: image values span [{low:.4g}, {high:.4g}], outside value_range "
            f"[{lo:.4g}, {hi:.4g}]; ops would clamp them (a 0-255 image comes back white). "
            f"Scale the images first (MONAI: ScaleIntensityd(keys, minv=0.0, maxv=1.0) after "
            f"LoadImaged; integer tensors: mmr_augment.to_float_image(x)), or pass "
            f"value_range=({low:.4g}, {high:.4g}) to the op; to clamp on purpose, run it inside "
            f"`with mmr_augment.clamp_out_of_range():`")
    if low >= 0 and high <= 1:
        _remember_in_range(x)


def where_per_sample(gate: torch.Tensor, y: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """``y`` for the samples whose ``(B,)`` ``gate`` is set, ``x`` for the others.

    Contiguous batches go through ``(B, C*H*W)`` views: the same values as the 4-D
    ``torch.where``, several times faster on the CPU than broadcasting a ``(B, 1, 1, 1)`` gate.

    Example:
        >>> where_per_sample(torch.tensor([True, False]), torch.ones(2, 1, 1, 2),
        ...                  torch.zeros(2, 1, 1, 2)).flatten(1)
        tensor([[1., 1.],
                [0., 0.]])
    """
    gate = gate.to(x.device)
    if y.is_contiguous() and x.is_contiguous() and y.shape == x.shape:
        b = len(x)
        return torch.where(gate.view(b, 1), y.view(b, -1), x.view(b, -1)).view(x.shape)
    return torch.where(gate.view(-1, 1, 1, 1), y, x)


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

    An op sets ``pointwise = True`` when its result at a pixel depends only on that pixel, its
    per-sample params and noise regenerated from them (tone, window, quantise, additive and
    multiplicative noise, filled holes), and implements ``_apply_inplace``: the same arithmetic
    as ``_apply``, written into ``x``. Compositions hand such ops a batch they own through
    :meth:`apply_owned`, so a chain of pointwise ops works in one buffer: no new tensor, no
    copy, the same values bit for bit.

    An op sets ``clamp_first = True`` when clamping its input to ``[0, 1]`` gives the same
    result as clamping its output, and in-range input gives in-range output with no rounding
    escape (monotone maps fixing 0 and 1; filling holes with an
    in-range value). The base class then clamps the input, and only when it is not already
    known to be in range (inside a ``Sequential``, after an op that clamped), never the output.

    An op sets ``clamps_output = True`` when ``_apply`` returns values in ``[0, 1]`` for any
    input (a decoded 8-bit image; a kernel that clamps inside its per-sample slices, in the
    same pass): the base class skips its output clamp.

    An op overrides :meth:`stays_in_unit_range` when some of its params map ``[0, 1]`` into
    itself with no rounding escape (a gain of at most 1): the base class then skips the output
    clamp for input known to lie in ``[0, 1]``.
    """

    modality = "image"
    clamp_first: ClassVar[bool] = False
    clamps_output: ClassVar[bool] = False
    pointwise: ClassVar[bool] = False

    def __init__(self, *, p: float = 1.0, severity: int | None = None,
                 value_range: tuple[float, float] = (0.0, 1.0)) -> None:
        super().__init__(p=p, severity=severity)
        self.value_range = _check_value_range(value_range, type(self).__name__)

    def check_input(self, x: Any) -> torch.Tensor:
        return check_image(x, type(self).__name__, self.value_range)

    def stays_in_unit_range(self, params: Params) -> bool:
        """Whether ``_apply`` under ``params`` returns in-range output for any input in
        ``[0, 1]`` (so an input known in range needs no output clamp). ``False`` unless
        overridden."""
        return False

    def _needs_output_clamp(self, params: Params, in_range: bool) -> bool:
        """Whether ``_apply``'s output must be clamped (``in_range``: the input is known to lie
        in ``[0, 1]``)."""
        return not (self.clamp_first or self.clamps_output
                    or in_range and self.stays_in_unit_range(params))

    def output_in_unit_range(self, params: Params, input_in_range: bool) -> bool:
        """Gated-on samples come back clamped into ``value_range``; gated-off ones as given."""
        unit = self.value_range == (0.0, 1.0)  # other ranges: rescaling back may round out
        return unit and (input_in_range or all_on(params["gate"]))

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
        known = _take_known_in_range(x)  # read (and forgotten) even when in_range is given
        in_range = (in_range or known) and unit
        work = x if x.dtype in (torch.float32, torch.float64) else x.float()
        if not unit:
            work = (work - lo) / (hi - lo)
        if self.clamp_first and not in_range:
            work = work.clamp_(0, 1) if work is not x else work.clamp(0.0, 1.0)
        y = self._apply(work, params)
        fresh = not shares_memory(y, x, work)
        if self._needs_output_clamp(params, in_range):
            y = y.clamp_(0, 1) if fresh else y.clamp(0.0, 1.0)
            fresh = True
        if not unit:
            y = y.mul_(hi - lo).add_(lo) if fresh else y * (hi - lo) + lo
        y = y.to(x.dtype)
        gate = params["gate"]
        if not all_on(gate):
            y = where_per_sample(gate, y, x)
        if self.output_in_unit_range(params, in_range):
            _remember_in_range(y)
        return y

    def apply_owned(self, x: torch.Tensor, params: Params, *, in_range: bool = False
                    ) -> torch.Tensor:
        """:meth:`apply_batch` written into ``x`` (a float32/64 batch the caller gives away)
        when the op is ``pointwise`` and every sample's gate is on; otherwise ``apply_batch``.
        Same values either way: the same torch kernels run, only in place.

        Example:
            >>> from mmr_augment import Gamma
            >>> op = Gamma(gamma=(0.5, 2.0)); x = torch.rand(2, 1, 4, 4); params = op.sample(2, 0)
            >>> expected = op.apply_batch(x, params)
            >>> y = op.apply_owned(x.clone(), params)
            >>> torch.equal(y, expected)
            True
        """
        lo, hi = self.value_range
        unit = (lo, hi) == (0.0, 1.0)
        if not (self.pointwise and x.dtype in (torch.float32, torch.float64)
                and not x.requires_grad and all_on(params["gate"])):
            return self.apply_batch(x, params, in_range=in_range)
        if not unit:
            x = x.sub_(lo).div_(hi - lo)
        in_range = in_range and unit
        if self.clamp_first and not in_range:
            x = x.clamp_(0, 1)
        y = self._apply_inplace(x, params)
        if self._needs_output_clamp(params, in_range):
            y = y.clamp_(0, 1)
        if not unit:
            return y.mul_(hi - lo).add_(lo)
        _remember_in_range(y)
        return y

    def _apply_inplace(self, x: torch.Tensor, params: Params) -> torch.Tensor:
        """``_apply`` written into ``x`` (ops with ``pointwise = True``)."""
        raise NotImplementedError(f"{type(self).__name__} declares pointwise = True but has "
                                  f"no _apply_inplace")

