"""Property-testing kit: hypothesis strategies and a contract checker for any perturbation.

- :func:`check_perturbation` -> :class:`CheckReport`: the contract battery as a function.
- :mod:`mmr_augment.testing.strategies`: images, batches, labelled reports, ops, policies.
- :func:`isolated_registry`: define test-only ops without leaking them into the registry.
- :mod:`mmr_augment.testing.exposure`: how much each severity saturates films of any exposure.

Example:
    >>> from mmr_augment import GaussianNoise
    >>> from mmr_augment.testing import check_perturbation
    >>> check_perturbation(GaussianNoise(), severities=False).ok
    True
"""

from . import strategies
from .checker import CheckReport, check_perturbation
from .registry import isolated_registry

__all__ = ["CheckReport", "check_perturbation", "isolated_registry", "strategies"]
