"""The perturbation contract: ``sample`` then ``apply``, registry, config and replay log.

Every op is a :class:`Perturbation` (a ``torch.nn.Module``):

- ``sample(batch_size, generator) -> Params``: small per-sample CPU tensors, drawn only from the
  given ``torch.Generator`` (or int seed); the global RNG is never touched.
- ``apply(x, params)``: pure and deterministic; replay is passing the same params again.
- ``forward(x, params=None, *, generator=None)``: sample, then apply.

Params are a nested dict of tensors whose first dimension is the batch. Each holds a boolean
``gate`` (``rand < p``); gated-off samples are returned unchanged through ``torch.where``, so
``p=0`` is exactly the identity.
"""

from __future__ import annotations

import difflib
import functools
import inspect
import os
import warnings
from collections.abc import Mapping
from typing import Any, ClassVar

import torch
from torch import nn

from .errors import ConfigError, InputError, check_fraction
from .params import Choice, ParamSpec

Params = dict[str, Any]

#: Registered op classes by name, filled by ``Perturbation.__init_subclass__``.
REGISTRY: dict[str, type[Perturbation]] = {}

MODALITIES = ("image", "text", "any", "multimodal")


def resolve_generator(generator: torch.Generator | int | None, owner: Any = None
                      ) -> torch.Generator:
    """A CPU ``torch.Generator`` from a generator, an int seed, or ``None``.

    With ``None`` the op's own generator is used: seeded once per process from
    ``torch.initial_seed()`` (read, never advanced), so ``torch.manual_seed`` and DataLoader
    worker seeding make it reproducible without touching the global RNG state.
    """
    if isinstance(generator, torch.Generator):
        if generator.device.type != "cpu":
            raise InputError("params are sampled on the CPU: pass a CPU torch.Generator")
        return generator
    if isinstance(generator, bool) or not (generator is None or isinstance(generator, int)):
        raise TypeError(f"generator must be a torch.Generator, an int seed or None, "
                        f"got {type(generator).__name__}")
    if generator is not None:
        return torch.Generator().manual_seed(int(generator))
    if owner is None:
        raise InputError("no generator given: pass generator=torch.Generator() or an int seed")
    pid, g = owner.__dict__.get("_own_rng", (None, None))
    if pid != os.getpid():
        g = torch.Generator().manual_seed(torch.initial_seed() % (2**63))
        owner.__dict__["_own_rng"] = (os.getpid(), g)
    return g


def families(modality: str | None = None) -> list[str]:
    """The families the registered ops declare (optionally of one ``modality``), sorted.

    Example:
        >>> "gaussian_noise" in families("image")
        True
    """
    return sorted({cls.family for cls in REGISTRY.values()
                   if modality is None or cls.modality == modality})


def __getattr__(name: str) -> Any:
    if name == "FAMILIES":  # deprecated: the list used to be kept here by hand
        warnings.warn("mmr_augment.FAMILIES is deprecated; call mmr_augment.families()",
                      DeprecationWarning, stacklevel=2)
        return families()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _record_init_args(init):
    """Wrap ``__init__`` so the outermost call records the explicitly passed arguments."""
    sig = inspect.signature(init)

    @functools.wraps(init)
    def wrapper(self, *args, **kwargs):
        outer = "_config_args" not in self.__dict__
        if outer:
            try:
                bound = sig.bind(self, *args, **kwargs)
            except TypeError as e:
                raise ConfigError(f"{type(self).__name__}: {e}; accepted arguments: "
                                  f"{', '.join(list(sig.parameters)[1:])}") from None
            given = dict(list(bound.arguments.items())[1:])
            for name, value in list(given.items()):
                default = sig.parameters[name].default
                if sig.parameters[name].kind is inspect.Parameter.VAR_KEYWORD:
                    given.pop(name)
                    given.update(value)
                elif default is not inspect.Parameter.empty and _same(value, default):
                    given.pop(name)
            self.__dict__["_config_args"] = given
        init(self, *args, **kwargs)

    return wrapper


def _same(a: Any, b: Any) -> bool:
    try:
        return type(a) is type(b) and bool(a == b)
    except Exception:
        return False


class Perturbation(nn.Module):
    """Base class of every perturbation (image, text, composition, style).

    Subclasses set ``modality``, ``family`` (any snake_case name: the registry and
    :func:`families` derive the set) and optionally ``severity_table`` (argument name -> five
    values for ``severity=1..5``), declare their numeric arguments with :meth:`spec`, and
    implement ``_apply``. Passing ``abstract=True`` in the class statement keeps a class out of
    the registry (base classes, private helper ops); every other subclass is registered.
    Defining a class again in the same module under the same qualified name (re-running a
    notebook cell) replaces the registered one; another class of a taken name raises.

    Hooks a subclass may override:

    - ``_sample(batch_size, generator)``: by default draws every declared spec in declaration
      order, as ``{name: spec.sample(...)}``; override only for what is special to the op
      (derived values, seeds, odd kernel sizes) and call ``super()._sample`` for the rest.
    - ``_apply(x, params)``: the op on gated-on samples.

    The composition protocol (what ``Sequential``, ``OneOf``, policies and styles call):

    - :meth:`apply_batch`: apply with params known to fit ``x``, gate included, no input check.
    - :meth:`occlusion`: the pixels a call overwrote, or ``None`` (the default).
    - :meth:`check_input`: validate and normalise a batch for this op.
    """

    modality: ClassVar[str] = "image"
    family: ClassVar[str] = ""
    severity_table: ClassVar[dict[str, tuple]] = {}

    def __init_subclass__(cls, abstract: bool = False, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "__init__" in cls.__dict__:
            cls.__init__ = _record_init_args(cls.__dict__["__init__"])
        if abstract:
            return
        if not isinstance(cls.family, str) or not cls.family.isidentifier() \
                or cls.family != cls.family.lower():
            raise TypeError(f"{cls.__name__}.family must be a snake_case name such as "
                            f"'gaussian_noise', got {cls.family!r}")
        if cls.modality not in MODALITIES:
            raise TypeError(f"{cls.__name__}.modality must be one of {MODALITIES}")
        known = REGISTRY.get(cls.__name__)
        if known is not None and known is not cls and (known.__module__, known.__qualname__) \
                != (cls.__module__, cls.__qualname__):  # same place: a notebook re-run replaces
            raise TypeError(f"an op named {cls.__name__!r} is already registered "
                            f"({REGISTRY[cls.__name__].__module__}); pick another name")
        REGISTRY[cls.__name__] = cls

    def __init__(self, *, p: float = 1.0, severity: int | None = None) -> None:
        super().__init__()
        p = check_fraction(type(self).__name__, "p", p)
        if severity is not None:
            if isinstance(severity, bool) or severity not in (1, 2, 3, 4, 5):
                raise ConfigError(f"{type(self).__name__}: severity must be an int 1..5 or None,"
                                  f" got {severity!r}")
            if not self.severity_table:
                raise ConfigError(f"{type(self).__name__} has no severity table")
        self.p = p
        self.severity = severity

    # ----------------------------------------------------------------- arguments
    def spec(self, name: str, value: Any, **bounds: Any) -> ParamSpec:
        """Validate an argument; with ``severity`` set, the table value replaces it.

        The spec is declared: the default ``_sample`` draws it (in declaration order) when the
        op stores it as ``self.<name>``.
        """
        declared = self.__dict__.setdefault("_declared_specs", [])
        if name not in declared:
            declared.append(name)
        if self.severity is not None and name in self.severity_table:
            value = self.severity_table[name][self.severity - 1]
        try:
            return ParamSpec.build(name, value, **bounds)
        except ConfigError as e:
            raise ConfigError(f"{type(self).__name__}: {e}") from None

    # ----------------------------------------------------------------- contract
    def sample(self, batch_size: int, generator: torch.Generator | int | None = None) -> Params:
        """Draw per-sample params (CPU tensors with a leading batch dimension)."""
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise InputError(f"batch_size must be a positive int, got {batch_size!r}")
        g = resolve_generator(generator, self)
        gate = torch.rand(batch_size, generator=g, dtype=torch.float64) < self.p
        params = self._sample(batch_size, g)
        params["gate"] = gate
        return params

    def apply(self, x: Any, params: Params) -> Any:
        """Apply with given params; the same params give the same output."""
        x = self.check_input(x)
        check_params(params, _batch_size(x), type(self).__name__)
        return self.apply_batch(x, params)

    def forward(self, x: Any, params: Params | None = None, *,
                generator: torch.Generator | int | None = None) -> Any:
        if params is None:
            x = self.check_input(x)
            params = self.sample(_batch_size(x), generator)
            return self.apply_batch(x, params)  # checked above, params fit: no second scan
        return self.apply(x, params)

    # ----------------------------------------------------------------- composition protocol
    def apply_batch(self, x: Any, params: Params, *, in_range: bool = False) -> Any:
        """Apply to a checked batch with fitting params: ``_apply`` where ``params["gate"]``
        is set, the input elsewhere. ``in_range=True`` promises that ``x`` already lies in the
        op's value range (image ops may then skip clamps; others ignore it)."""
        raise NotImplementedError

    def apply_owned(self, x: Any, params: Params, *, in_range: bool = False) -> Any:
        """:meth:`apply_batch` on a batch the caller gives away: ``x`` is a temporary nobody
        else holds (the output of an earlier op in a chain), so the op may write its result
        into ``x``'s memory instead of a new tensor. Same values as ``apply_batch``; the caller
        must not read ``x`` afterwards. The default is ``apply_batch``; image ops that declare
        ``pointwise`` work in place (see ``ImagePerturbation``)."""
        return self.apply_batch(x, params, in_range=in_range)

    def occlusion(self, shape: tuple[int, ...], params: Params) -> torch.Tensor | None:
        """``(B, 1, H, W)`` bool mask of pixels this call overwrote (cutout-like ops), or
        ``None`` for ops that do not occlude. Gated-off samples have an all-False mask."""
        return None

    def check_input(self, x: Any) -> Any:
        """Validate a batch for this op; returns it in the form ``apply_batch`` takes."""
        return x

    def gain_offset(self, params: Params, x: Any = None) -> tuple[Any, Any] | None:
        """``(gain, offset)`` when this call maps ``x`` to ``clamp(gain * x + offset, 0, 1)``
        with a per-sample ``gain >= 0`` (float64, broadcastable to ``x``), else ``None``
        (the default). ``x=None`` asks whether they are known without reading the batch (a
        brightness gain is; a contrast around the image's mean is not). Lets a chain fold a run
        of such ops into one multiply-add and one clamp."""
        return None

    def output_in_unit_range(self, params: Params, input_in_range: bool) -> bool:
        """Whether ``apply_batch(x, params)`` is known to lie in ``[0, 1]`` (given whether
        ``x`` was); lets a ``Sequential`` pass ``in_range`` on. ``False`` unless overridden."""
        return False

    # ----------------------------------------------------------------- hooks
    def _sample(self, batch_size: int, generator: torch.Generator) -> Params:
        return {name: getattr(self, name).sample(batch_size, generator)
                for name in self.__dict__.get("_declared_specs", ())
                if isinstance(getattr(self, name, None), ParamSpec)}

    def _apply(self, x: Any, params: Params) -> Any:
        raise NotImplementedError

    # ----------------------------------------------------------------- config and log
    def to_config(self) -> dict[str, Any]:
        """``{"type": name, <non-default argument>: value, ...}``, JSON/YAML-ready."""
        cfg: dict[str, Any] = {"type": type(self).__name__}
        for k, v in self.__dict__.get("_config_args", {}).items():
            cfg[k] = to_plain(v)
        return cfg

    def log(self, params: Params) -> dict[str, Any]:
        """A JSON-serialisable record of one call: the op's config and its params."""
        return {"config": self.to_config(), "params": params_to_json(params)}

    def extra_repr(self) -> str:
        return ", ".join(f"{k}={v!r}" for k, v in self.to_config().items() if k != "type")

    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__() if hasattr(super(), "__getstate__") else self.__dict__
        state = dict(state)
        state.pop("_own_rng", None)
        return state


def all_on(gate: torch.Tensor) -> bool:
    """Whether every sample's gate is on: callers then skip the ``where``. ``False`` while
    ``torch.compile`` traces, so the branch-free ``where`` keeps one graph for every gate.

    Example:
        >>> all_on(torch.tensor([True, True])), all_on(torch.tensor([True, False]))
        (True, False)
    """
    return not torch.compiler.is_compiling() and bool(gate.all())


def shares_memory(y: Any, *others: Any) -> bool:
    """Whether tensor ``y`` may live in the storage of one of ``others`` (then nobody may
    write into it). Conservative: ``True`` for non-tensors, tensors that need grad, and while
    ``torch.compile`` traces (storage pointers are not traceable; compiled code fuses anyway).

    Example:
        >>> x = torch.zeros(4)
        >>> shares_memory(x[:2], x), shares_memory(x + 1, x)
        (True, False)
    """
    if not isinstance(y, torch.Tensor) or y.requires_grad or torch.compiler.is_compiling():
        return True
    ptr = y.untyped_storage().data_ptr()
    return any(isinstance(t, torch.Tensor) and t.untyped_storage().data_ptr() == ptr
               for t in others)


def to_plain(v: Any) -> Any:
    """An argument value as plain YAML/JSON data (ops as configs, choices as ``{"choice"}``).

    Example:
        >>> to_plain((1, Choice([2, 3])))
        [1, {'choice': [2, 3]}]
    """
    if isinstance(v, Perturbation):
        return v.to_config()
    if isinstance(v, Choice):
        return {"choice": list(v.values)}
    if isinstance(v, (list, tuple)):
        return [to_plain(i) for i in v]
    if isinstance(v, Mapping):
        return {k: to_plain(i) for k, i in v.items()}
    return v


def _batch_size(x: Any) -> int:
    if isinstance(x, torch.Tensor):
        return x.shape[0]
    return len(x)


def check_params(params: Params, batch_size: int, owner: str) -> None:
    """Raise ``InputError`` unless every tensor in ``params`` has ``batch_size`` rows."""
    if not isinstance(params, Mapping) or "gate" not in params:
        raise InputError(f"{owner}: params must be the dict returned by sample()")
    for t in param_tensors(params):
        if t.ndim == 0 or t.shape[0] != batch_size:
            raise InputError(f"{owner}: params were sampled for a batch of {t.shape[:1]}, "
                             f"input has {batch_size} samples; call sample({batch_size}, g)")


def param_tensors(params: Any):
    """The tensors of a nested params dict (dicts, lists and tuples walked in order).

    Example:
        >>> [t.tolist() for t in param_tensors({"a": torch.ones(2), "b": [torch.zeros(1)]})]
        [[1.0, 1.0], [0.0]]
    """
    if isinstance(params, torch.Tensor):
        yield params
    elif isinstance(params, Mapping):
        for v in params.values():
            yield from param_tensors(v)
    elif isinstance(params, (list, tuple)):
        for v in params:
            yield from param_tensors(v)


def slice_params(params: Any, index: torch.Tensor) -> Any:
    """Rows ``index`` of every tensor in a (nested) params dict."""
    if isinstance(params, torch.Tensor):
        return params[index.to(params.device)]
    if isinstance(params, Mapping):
        return {k: slice_params(v, index) for k, v in params.items()}
    if isinstance(params, (list, tuple)):
        return [slice_params(v, index) for v in params]
    return params


def params_to_json(params: Any) -> Any:
    """Params -> plain JSON types; tensors become ``{"dtype", "shape", "data"}``."""
    if isinstance(params, torch.Tensor):
        t = params.detach().cpu()
        return {"dtype": str(t.dtype).removeprefix("torch."), "shape": list(t.shape),
                "data": t.flatten().tolist()}
    if isinstance(params, Mapping):
        return {k: params_to_json(v) for k, v in params.items()}
    if isinstance(params, (list, tuple)):
        return [params_to_json(v) for v in params]
    return params


def params_from_json(obj: Any) -> Any:
    """Inverse of :func:`params_to_json` (exact: float64 survives JSON round-trips)."""
    if isinstance(obj, Mapping):
        if set(obj) == {"dtype", "shape", "data"}:
            dtype = getattr(torch, str(obj["dtype"]), None)
            if not isinstance(dtype, torch.dtype):  # logs may come from elsewhere
                raise ConfigError(f"logged params: {obj['dtype']!r} is not a torch dtype")
            return torch.tensor(obj["data"], dtype=dtype).reshape(obj["shape"])
        return {k: params_from_json(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [params_from_json(v) for v in obj]
    return obj


def from_config(config: Mapping[str, Any]) -> Perturbation:
    """Build an op (or a composition, style, policy) from ``{"type": name, ...}``.

    Example:
        >>> op = from_config({"type": "GaussianNoise", "std": 0.1, "p": 0.5})
        >>> op.to_config()
        {'type': 'GaussianNoise', 'std': 0.1, 'p': 0.5}
    """
    if not isinstance(config, Mapping):
        raise ConfigError(f"a config is a mapping with a 'type' key, got {type(config).__name__}")
    if "type" not in config:
        raise ConfigError(f"config has no 'type' key (keys: {sorted(config)}); "
                          f"run `mmr-augment list` for the op names")
    name = config["type"]
    cls = REGISTRY.get(name) if isinstance(name, str) else None
    absent: list[str] = []
    if cls is None and isinstance(name, str):
        from .extras import load_optional_ops

        absent = load_optional_ops()
        cls = REGISTRY.get(name)
    if cls is None:
        close = difflib.get_close_matches(str(name), list(REGISTRY), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        extra = "".join(f"; text ops and ReportStyle need the report stack: pip install "
                        f"'mmr[{e}]'" for e in absent)
        raise ConfigError(f"unknown op type {name!r}{hint} (`mmr-augment list` shows all)"
                          f"{extra}")
    kwargs = {k: _from_plain(v) for k, v in config.items() if k != "type"}
    sig = inspect.signature(cls.__init__)
    accepts_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in sig.parameters.values())
    unknown = [k for k in kwargs if k not in sig.parameters] if not accepts_any else []
    if unknown:
        raise ConfigError(f"{name}: unknown argument(s) {unknown}; accepted: "
                          f"{[p for p in sig.parameters if p != 'self']}")
    try:
        return cls(**kwargs)
    except ConfigError:
        raise
    except (TypeError, ValueError) as e:
        raise ConfigError(f"{name}: {e}") from e


def _from_plain(v: Any) -> Any:
    if isinstance(v, Mapping) and isinstance(v.get("type"), str):
        return from_config(v)
    if isinstance(v, list) and v and all(isinstance(i, Mapping) and "type" in i for i in v):
        return [from_config(i) for i in v]
    if isinstance(v, Mapping) and set(v) == {"choice"}:
        return Choice(v["choice"])
    return v


def replay(entry: Mapping[str, Any], x: Any) -> Any:
    """Re-run a logged call: ``replay(op.log(params), x)`` equals ``op.apply(x, params)``.

    Example:
        >>> from mmr_augment import GaussianNoise
        >>> op = GaussianNoise(std=(0.01, 0.1))
        >>> x = torch.rand(2, 1, 8, 8); params = op.sample(2, 0)
        >>> torch.equal(replay(op.log(params), x), op.apply(x, params))
        True
    """
    op = from_config(entry["config"])
    return op.apply(x, params_from_json(entry["params"]))
