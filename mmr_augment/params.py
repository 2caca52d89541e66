"""One parameter-spec type: a fixed value, a ``(lo, hi)`` range, or a choice list.

Every numeric argument of every op goes through :class:`ParamSpec`, so validation, sampling
and config serialisation are written once.

Example:
    >>> import torch
    >>> spec = ParamSpec.build("std", (0.0, 0.1), low=0.0)
    >>> spec.sample(3, torch.Generator().manual_seed(0)).shape
    torch.Size([3])
    >>> ParamSpec.build("k", choice(3, 5)).to_config()
    {'choice': [3, 5]}
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch

from .errors import ConfigError

Number = int | float


@dataclass(frozen=True)
class Choice:
    """A choice list: each sample picks one of ``values`` uniformly."""

    values: tuple

    def __init__(self, *values: Any) -> None:
        if len(values) == 1 and isinstance(values[0], (list, tuple)):
            values = tuple(values[0])
        object.__setattr__(self, "values", tuple(values))


def choice(*values: Any) -> Choice:
    """Build a :class:`Choice` spec: ``choice(3, 5, 7)``."""
    return Choice(*values)


@dataclass(frozen=True)
class ParamSpec:
    """A validated argument: ``kind`` is ``"fixed"``, ``"range"`` or ``"choice"``."""

    name: str
    kind: str
    values: tuple
    integer: bool = False

    @classmethod
    def build(
        cls,
        name: str,
        value: Any,
        *,
        low: float | None = None,
        high: float | None = None,
        integer: bool = False,
        odd: bool = False,
    ) -> ParamSpec:
        """Validate ``value`` (scalar, ``(lo, hi)``, ``choice(...)`` or ``{"choice": [...]}``).

        Raises:
            ConfigError: if the value has the wrong form or lies outside ``[low, high]``.
        """
        if isinstance(value, dict):
            if set(value) != {"choice"}:
                raise ConfigError(
                    f"{name}: a dict spec must be {{'choice': [...]}}, got keys {sorted(value)}"
                )
            value = Choice(value["choice"])
        if isinstance(value, Choice):
            kind, values = "choice", value.values
            if not values:
                raise ConfigError(f"{name}: choice list is empty; give at least one value")
        elif isinstance(value, (tuple, list)):
            if len(value) != 2:
                raise ConfigError(
                    f"{name}: a range is (lo, hi) with two numbers, got {len(value)} values; "
                    f"use mmr_augment.choice(...) for a choice list"
                )
            kind, values = "range", tuple(value)
        else:
            kind, values = "fixed", (value,)
        for v in values:
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise ConfigError(f"{name}: expected numbers, got {v!r} ({type(v).__name__})")
            if not math.isfinite(v):
                raise ConfigError(f"{name}: {v!r} is not finite")
            if integer and float(v) != int(v):
                raise ConfigError(f"{name}: expected integers, got {v!r}")
            if odd and int(v) % 2 == 0:
                raise ConfigError(f"{name}: expected odd values, got {v!r}")
            if low is not None and v < low:
                raise ConfigError(f"{name}: {v!r} is below the minimum {low}")
            if high is not None and v > high:
                raise ConfigError(f"{name}: {v!r} is above the maximum {high}")
        if kind == "range" and values[0] > values[1]:
            raise ConfigError(f"{name}: range ({values[0]}, {values[1]}) has lo > hi")
        if integer:
            values = tuple(int(v) for v in values)
        return cls(name, kind, values, integer)

    def sample(self, batch_size: int, generator: torch.Generator) -> torch.Tensor:
        """Draw ``batch_size`` values (float64, or int64 for integer specs) on the CPU."""
        dtype = torch.int64 if self.integer else torch.float64
        if self.kind == "fixed":
            return torch.full((batch_size,), self.values[0], dtype=dtype)
        if self.kind == "choice":
            idx = torch.randint(len(self.values), (batch_size,), generator=generator)
            return torch.tensor(self.values, dtype=dtype)[idx]
        lo, hi = self.values
        if self.integer:
            return torch.randint(lo, hi + 1, (batch_size,), generator=generator)
        u = torch.rand(batch_size, generator=generator, dtype=torch.float64)
        return lo + (hi - lo) * u

    @property
    def max(self) -> Number:
        return max(self.values)

    def to_config(self) -> Any:
        if self.kind == "fixed":
            return self.values[0]
        if self.kind == "choice":
            return {"choice": list(self.values)}
        return list(self.values)


def as_sequence(x: Any) -> Sequence:
    return x if isinstance(x, (list, tuple)) else (x,)
