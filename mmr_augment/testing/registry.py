"""Keep test-only ops out of the global registry."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from ..core import REGISTRY


@contextlib.contextmanager
def isolated_registry() -> Iterator[dict]:
    """Ops registered inside the block are unregistered when it ends (and ops that the block
    removed come back), so a test's own op classes do not leak into registry-driven suites.

    Example:
        >>> from mmr_augment.image.base import ImagePerturbation
        >>> with isolated_registry():
        ...     class Dim(ImagePerturbation):
        ...         family = "brightness"
        ...         def _apply(self, x, params):
        ...             return x * 0.5
        ...     "Dim" in REGISTRY
        True
        >>> "Dim" in REGISTRY
        False
    """
    saved = dict(REGISTRY)
    try:
        yield REGISTRY
    finally:
        REGISTRY.clear()
        REGISTRY.update(saved)
