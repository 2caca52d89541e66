"""Compositions: ``Sequential``, per-sample ``OneOf`` and ``SomeOf``. Each is a perturbation.

Children share one modality. Images are tensors; text batches provide ``take(index)``,
``put(index, part)`` and ``where(gate, other)`` (see ``mmr_augment.text``). Every child's
params are sampled for the whole batch, so row ``i`` of the params describes sample ``i``
whatever the others drew, and replaying a slice gives that slice of the output.

Example:
    >>> from mmr_augment import GaussianNoise
    >>> op = OneOf([GaussianNoise(std=0.05), GaussianNoise(std=0.2)])
    >>> params = op.sample(4, 0)
    >>> params["index"].tolist()  # which child each sample got
    [1, 1, 0, 0]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from .core import Params, Perturbation, all_on, shares_memory, slice_params
from .errors import ConfigError


def _take(x: Any, index: torch.Tensor) -> Any:
    if isinstance(x, torch.Tensor):
        return x.index_select(0, index.to(x.device))
    return x.take(index)


def _put(x: Any, index: torch.Tensor, part: Any, owned: bool = False) -> Any:
    if isinstance(x, torch.Tensor):
        if owned:  # a batch made inside this call: write the rows in place
            return x.index_copy_(0, index.to(x.device), part)
        return x.index_copy(0, index.to(x.device), part)
    return x.put(index, part)


def run_chain(ops: Sequence[Perturbation], x: Any, params: Sequence[Params], *,
              owned: bool = False) -> Any:
    """Apply ``ops`` in order, each with its params, in as few new buffers as it can.

    The first op that returns a new tensor hands it on; from then on ``pointwise`` image ops
    write into it (:meth:`~mmr_augment.Perturbation.apply_owned`), so a run of gamma, contrast,
    brightness, noise, ... costs one buffer, with the values of applying each op alone. An op
    whose output is known to lie in ``[0, 1]`` tells the next one (``in_range``). ``owned``
    says that ``x`` itself is a temporary of the caller's.

    Example:
        >>> from mmr_augment import Brightness, Gamma
        >>> ops = [Gamma(gamma=(0.5, 2.0)), Brightness(factor=(0.5, 1.5))]
        >>> x = torch.rand(2, 1, 4, 4); params = [op.sample(2, i) for i, op in enumerate(ops)]
        >>> torch.equal(run_chain(ops, x, params),
        ...             ops[1].apply_batch(ops[0].apply_batch(x, params[0]), params[1]))
        True
    """
    first = x
    known = False  # whether every sample of x is known to lie in [0, 1]
    k = 0
    while k < len(ops):
        op, child = ops[k], params[k]
        run = _affine_run(ops, params, k, x) if owned else []
        if len(run) > 1:  # contrast, brightness, window, ...: one multiply-add, one clamp
            x = fold_affine(x, run)
            known, k = True, k + len(run)
            continue
        if owned:
            x = op.apply_owned(x, child, in_range=known)
        else:
            x = op.apply_batch(x, child, in_range=known)
            owned = not shares_memory(x, first)
        known = op.output_in_unit_range(child, known)
        k += 1
    return x


def _affine_run(ops: Sequence[Perturbation], params: Sequence[Params], k: int, x: Any
                ) -> list[tuple[Any, Any]]:
    """``(gain, offset)`` of the ops from ``k`` on that fold into one affine map on ``x``:
    the first may read ``x`` (a mean), the others must not; every gate on, a float32/64 batch.
    """
    if not (isinstance(x, torch.Tensor) and x.dtype in (torch.float32, torch.float64)) \
            or torch.compiler.is_compiling() or len(ops) - k < 2 \
            or ops[k + 1].gain_offset(params[k + 1]) is None:  # cheap test before the mean
        return []
    run = []
    for j in range(k, len(ops)):
        coefficients = ops[j].gain_offset(params[j], x if j == k else None)
        if coefficients is None or not all_on(params[j]["gate"]):
            break
        run.append(coefficients)
    return run


def fold_affine(x: torch.Tensor, maps: Sequence[tuple[Any, Any]]) -> torch.Tensor:
    """Apply ``y = clamp(gain * y + offset, 0, 1)`` for each ``(gain, offset)`` in turn, in one
    multiply-add and one clamp, written into ``x``.

    With ``gain >= 0`` the clamps fold exactly: ``g * clamp(u, L, H) + o`` is
    ``clamp(g * u + o, g * L + o, g * H + o)``, so the chain is ``clamp(G * x + O, L, H)`` with
    per-sample bounds. The coefficients are folded in float64; the result differs from the
    op-by-op chain only by rounding (a few units in the last place).

    Example:
        >>> x = torch.tensor([[[[0.2, 0.9]]]])
        >>> maps = [(torch.tensor(2.0, dtype=torch.float64), torch.tensor(0.0)),
        ...         (torch.tensor(0.5, dtype=torch.float64), torch.tensor(0.25))]
        >>> fold_affine(x.clone(), maps)  # 2x clamped, then halved plus a quarter
        tensor([[[[0.4500, 0.7500]]]])
    """
    gain, offset = (torch.as_tensor(v, dtype=torch.float64) for v in maps[0])
    low, high = torch.zeros((), dtype=torch.float64), torch.ones((), dtype=torch.float64)
    for g, o in maps[1:]:
        g, o = torch.as_tensor(g, dtype=torch.float64), torch.as_tensor(o, dtype=torch.float64)
        gain, offset = gain * g, offset * g + o
        low, high = (low * g + o).clamp(0.0, 1.0), (high * g + o).clamp(0.0, 1.0)
    plain_low, plain_high = bool((low == 0).all()), bool((high == 1).all())
    gain, offset, low, high = (t.to(device=x.device, dtype=x.dtype)
                               for t in (gain, offset, low, high))
    x = x.mul_(gain).add_(offset)  # on the CPU, faster than a broadcast addcmul
    if plain_low and plain_high:
        return x.clamp_(0.0, 1.0)
    x = x.clamp_(min=0.0) if plain_low else torch.maximum(x, low, out=x)
    return x.clamp_(max=1.0) if plain_high else torch.minimum(x, high, out=x)


def _where(gate: torch.Tensor, new: Any, old: Any) -> Any:
    if isinstance(new, torch.Tensor):
        return torch.where(gate.to(new.device).view(-1, *[1] * (new.ndim - 1)), new, old)
    return new.where(gate, old)


class _Composition(Perturbation, abstract=True):
    family = "composition"
    modality = "any"

    def __init__(self, ops: Sequence[Perturbation], *, p: float = 1.0) -> None:
        super().__init__(p=p)
        if isinstance(ops, Perturbation) or not isinstance(ops, Sequence) or not ops:
            raise ConfigError(f"{type(self).__name__}: ops must be a non-empty list of ops")
        for op in ops:
            if not isinstance(op, Perturbation):
                raise ConfigError(f"{type(self).__name__}: {op!r} is not a Perturbation")
        kinds = {op.modality for op in ops} - {"any"}
        if len(kinds) > 1:
            raise ConfigError(f"{type(self).__name__}: children mix modalities {sorted(kinds)}; "
                              f"use MultiModalPolicy to combine image and text ops")
        self.modality = kinds.pop() if kinds else "any"
        self.ops = torch.nn.ModuleList(ops)

    def check_input(self, x: Any) -> Any:
        return self.ops[0].check_input(x)

    def _sample_children(self, batch_size: int, generator: torch.Generator) -> list[Params]:
        return [op.sample(batch_size, generator) for op in self.ops]

    def apply_batch(self, x: Any, params: Params, *, in_range: bool = False) -> Any:
        if all_on(params["gate"]):  # same result as the where, one pass less
            return self._apply(x, params)
        return _where(params["gate"], self._apply(x, params), x)

    def apply_owned(self, x: Any, params: Params, *, in_range: bool = False) -> Any:
        """With every gate on, the children may write into ``x`` (see :func:`run_chain`)."""
        if not all_on(params["gate"]):
            return self.apply_batch(x, params, in_range=in_range)
        return self._run(x, params, owned=True)

    def _apply(self, x: Any, params: Params) -> Any:
        return self._run(x, params, owned=False)

    def _run(self, x: Any, params: Params, owned: bool) -> Any:
        raise NotImplementedError

    def _chosen(self, params: Params) -> torch.Tensor:
        """(B, K) bool: which children each sample goes through."""
        return torch.ones(len(params["gate"]), len(self.ops), dtype=torch.bool)

    def occlusion(self, shape: tuple[int, ...], params: Params) -> torch.Tensor | None:
        """Union of the children's occlusion masks over the children each sample got."""
        chosen, out = self._chosen(params), None
        for k, op in enumerate(self.ops):
            mask = op.occlusion(shape, params["ops"][k])
            if mask is None:
                continue
            mask = mask & chosen[:, k].to(mask.device).view(-1, 1, 1, 1)
            out = mask if out is None else out | mask
        return None if out is None else out & params["gate"].to(out.device).view(-1, 1, 1, 1)

    def _apply_subsets(self, x: Any, params: Params, chosen: torch.Tensor, owned: bool) -> Any:
        """Apply child ``k`` (in order) to the samples with ``chosen[:, k]``.

        Each child gets a copy of its rows, which it owns (``apply_owned``: pointwise image ops
        work in place); a child that every sample chose runs on the whole batch. While
        ``torch.compile`` traces, every child runs on the whole batch and each sample's choice
        is picked by mask: one graph whatever the choice, the same values per sample."""
        if torch.compiler.is_compiling():
            for k, op in enumerate(self.ops):
                x = _where(chosen[:, k], op.apply_batch(x, params["ops"][k]), x)
            return x
        out = x
        for k, op in enumerate(self.ops):
            index = chosen[:, k].nonzero().flatten()
            if index.numel() == 0:
                continue
            if index.numel() == len(chosen):
                out = run_chain([op], out, [params["ops"][k]], owned=owned)
                owned = owned or not shares_memory(out, x)
                continue
            part = op.apply_owned(_take(out, index), slice_params(params["ops"][k], index))
            out = _put(out, index, part, owned)
            owned = True
        return out


class Sequential(_Composition):
    """Apply every child in order.

    An op whose output is known to lie in ``[0, 1]`` (``output_in_unit_range``: image ops clamp)
    tells the next op so, which may then skip its own clamps (``ImagePerturbation.clamp_first``).

    Example:
        >>> from mmr_augment import GaussianNoise
        >>> op = Sequential([GaussianNoise(std=0.05), GaussianNoise(std=0.05)])
        >>> op(torch.rand(2, 1, 8, 8), generator=0).shape
        torch.Size([2, 1, 8, 8])
    """

    def _sample(self, batch_size: int, generator: torch.Generator) -> Params:
        return {"ops": self._sample_children(batch_size, generator)}

    def _run(self, x: Any, params: Params, owned: bool) -> Any:
        return run_chain(self.ops, x, params["ops"], owned=owned)


class OneOf(_Composition):
    """Each sample gets exactly one child, picked per sample with ``weights``."""

    def __init__(self, ops: Sequence[Perturbation], weights: Sequence[float] | None = None, *,
                 p: float = 1.0) -> None:
        super().__init__(ops, p=p)
        w = [1.0] * len(ops) if weights is None else [float(v) for v in weights]
        if len(w) != len(ops) or min(w) < 0 or sum(w) <= 0:
            raise ConfigError("OneOf: weights need one non-negative value per op, sum > 0")
        self.weights = torch.tensor(w, dtype=torch.float64)

    def _sample(self, batch_size: int, generator: torch.Generator) -> Params:
        index = torch.multinomial(self.weights, batch_size, replacement=True,
                                  generator=generator)
        return {"index": index, "ops": self._sample_children(batch_size, generator)}

    def _chosen(self, params: Params) -> torch.Tensor:
        return params["index"][:, None] == torch.arange(len(self.ops))[None, :]

    def _run(self, x: Any, params: Params, owned: bool) -> Any:
        return self._apply_subsets(x, params, self._chosen(params), owned)


class SomeOf(_Composition):
    """Each sample gets ``n`` children (an int or ``(lo, hi)``), applied in list order.

    Example:
        >>> from mmr_augment import GaussianNoise
        >>> op = SomeOf([GaussianNoise(), GaussianNoise(), GaussianNoise()], n=(1, 3))
        >>> op.sample(4, 0)["chosen"].sum(1).tolist()  # how many children each sample gets
        [2, 1, 3, 3]
    """

    def __init__(self, ops: Sequence[Perturbation], n: int | Sequence[int] = (1, 2), *,
                 p: float = 1.0) -> None:
        super().__init__(ops, p=p)
        self.n = self.spec("n", n, low=0, high=len(ops), integer=True)

    def _sample(self, batch_size: int, generator: torch.Generator) -> Params:
        count = self.n.sample(batch_size, generator)
        rank = torch.rand(batch_size, len(self.ops), generator=generator).argsort(1).argsort(1)
        return {"chosen": rank < count[:, None],
                "ops": self._sample_children(batch_size, generator)}

    def _chosen(self, params: Params) -> torch.Tensor:
        return params["chosen"]

    def _run(self, x: Any, params: Params, owned: bool) -> Any:
        return self._apply_subsets(x, params, self._chosen(params), owned)
