"""Error types. Every error says what went wrong and what to pass instead."""

from __future__ import annotations


class MMRError(Exception):
    """Base class of every error raised on purpose by mmr."""


class InputError(MMRError, ValueError):
    """Input tensor or text that an op cannot take (shape, value range, NaN, ...)."""


class InputTypeError(MMRError, TypeError):
    """Input of the wrong type or dtype (integer image, bytes instead of str, ...)."""


class ConfigError(MMRError, ValueError):
    """A config that cannot be turned into an op: unknown type, unknown key, bad value."""


def check_fraction(owner: str, name: str, value: object) -> float:
    """``value`` as a float when it is a number in ``[0, 1]`` (a probability, a blend weight, a
    strength); otherwise a :class:`ConfigError` naming ``owner`` and ``name``.

    Example:
        >>> check_fraction("op", "p", 1)
        1.0
        >>> check_fraction("op", "p", 2)
        Traceback (most recent call last):
        ...
        mmr_augment.errors.ConfigError: op: p must be a number in [0, 1], got 2
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise ConfigError(f"{owner}: {name} must be a number in [0, 1], got {value!r}")
    return float(value)
