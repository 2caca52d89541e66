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
