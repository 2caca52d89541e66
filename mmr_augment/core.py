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
from collections.abc import Mapping
from typing import Any, ClassVar

import torch
from torch import nn

from .errors import ConfigError, InputError
from .params import Choice, ParamSpec

Params = dict[str, Any]

#: Registered op classes by name, filled by ``Perturbation.__init_subclass__``.
REGISTRY: dict[str, type[Perturbation]] = {}

#: Every family an op may declare. Extend when adding a family; never rename one.
FAMILIES: list[str] = [
    # image
    "gaussian_noise", "poisson_noise", "speckle_noise", "impulse_noise",
    "gaussian_blur", "motion_blur", "defocus_blur", "sharpen",
    "gamma", "contrast", "brightness", "window_level", "tone_curve", "invert",
    "bias_field", "cutout", "pixelate", "resample", "jpeg", "quantize",
    "grid_lines", "collimation", "markers", "scanner_style",
    # text
    "sentence_delete", "truncate", "word_dropout", "synonym", "abbreviation", "typo",
    "sentence_shuffle", "section_shuffle", "header_restyle", "case_whitespace",
    "negation_flip", "laterality_swap", "report_style",
    # compositions and the multimodal policy
    "composition", "policy",
]

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

    Subclasses set ``modality``, ``family`` and optionally ``severity_table``
    (argument name -> five values for ``severity=1..5``), and implement ``_sample`` and
    ``_apply``. Passing ``abstract=True`` in the class statement keeps a base class out of the
    registry.
    """

    modality: ClassVar[str] = "image"
    family: ClassVar[str] = ""
    severity_table: ClassVar[dict[str, tuple]] = {}

    def __init_subclass__(cls, abstract: bool = False, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "__init__" in cls.__dict__:
            cls.__init__ = _record_init_args(cls.__dict__["__init__"])
        if abstract or cls.__name__.startswith("_"):
            return
        if cls.family not in FAMILIES:
            raise TypeError(f"{cls.__name__}.family={cls.family!r} is not in "
                            f"mmr_augment.core.FAMILIES; add it there")
        if cls.modality not in MODALITIES:
            raise TypeError(f"{cls.__name__}.modality must be one of {MODALITIES}")
        if cls.__name__ in REGISTRY and REGISTRY[cls.__name__] is not cls:
            raise TypeError(f"an op named {cls.__name__!r} is already registered "
                            f"({REGISTRY[cls.__name__].__module__}); pick another name")
        REGISTRY[cls.__name__] = cls

    def __init__(self, *, p: float = 1.0, severity: int | None = None) -> None:
        super().__init__()
        if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0.0 <= p <= 1.0:
            raise ConfigError(f"{type(self).__name__}: p must be a number in [0, 1], got {p!r}")
        if severity is not None:
            if isinstance(severity, bool) or severity not in (1, 2, 3, 4, 5):
                raise ConfigError(f"{type(self).__name__}: severity must be an int 1..5 or None,"
                                  f" got {severity!r}")
            if not self.severity_table:
                raise ConfigError(f"{type(self).__name__} has no severity table")
        self.p = float(p)
        self.severity = severity

    # ----------------------------------------------------------------- arguments
    def spec(self, name: str, value: Any, **bounds: Any) -> ParamSpec:
        """Validate an argument; with ``severity`` set, the table value replaces it."""
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
        x = self._check_input(x)
        check_params(params, _batch_size(x), type(self).__name__)
        return self._gated(x, params)

    def forward(self, x: Any, params: Params | None = None, *,
                generator: torch.Generator | int | None = None) -> Any:
        if params is None:
            x = self._check_input(x)
            params = self.sample(_batch_size(x), generator)
            return self._gated(x, params)  # checked above, params fit: no second input scan
        return self.apply(x, params)

    # ----------------------------------------------------------------- hooks
    def _sample(self, batch_size: int, generator: torch.Generator) -> Params:
        return {}

    def _apply(self, x: Any, params: Params) -> Any:
        raise NotImplementedError

    def _gated(self, x: Any, params: Params) -> Any:
        raise NotImplementedError

    def _check_input(self, x: Any) -> Any:
        return x

    # ----------------------------------------------------------------- config and log
    def to_config(self) -> dict[str, Any]:
        """``{"type": name, <non-default argument>: value, ...}``, JSON/YAML-ready."""
        cfg: dict[str, Any] = {"type": type(self).__name__}
        for k, v in self.__dict__.get("_config_args", {}).items():
            cfg[k] = _to_plain(v)
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


def _to_plain(v: Any) -> Any:
    if isinstance(v, Perturbation):
        return v.to_config()
    if isinstance(v, Choice):
        return {"choice": list(v.values)}
    if isinstance(v, (list, tuple)):
        return [_to_plain(i) for i in v]
    if isinstance(v, Mapping):
        return {k: _to_plain(i) for k, i in v.items()}
    return v


def _batch_size(x: Any) -> int:
    if isinstance(x, torch.Tensor):
        return x.shape[0]
    return len(x)


def check_params(params: Params, batch_size: int, owner: str) -> None:
    """Raise ``InputError`` unless every tensor in ``params`` has ``batch_size`` rows."""
    if not isinstance(params, Mapping) or "gate" not in params:
        raise InputError(f"{owner}: params must be the dict returned by sample()")
    for t in _leaves(params):
        if t.ndim == 0 or t.shape[0] != batch_size:
            raise InputError(f"{owner}: params were sampled for a batch of {t.shape[:1]}, "
                             f"input has {batch_size} samples; call sample({batch_size}, g)")


def _leaves(params: Any):
    if isinstance(params, torch.Tensor):
        yield params
    elif isinstance(params, Mapping):
        for v in params.values():
            yield from _leaves(v)
    elif isinstance(params, (list, tuple)):
        for v in params:
            yield from _leaves(v)


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
