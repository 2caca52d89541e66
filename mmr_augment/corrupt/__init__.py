"""Corruption benchmarks of a dataset (``mmr-augment corrupt``): MedMNIST-C style fixed copies.

For a manifest (``id``, ``image``, ``report``, labels, domain, ...),
:func:`build_corruptions` writes the clean copy and one copy per corruption family and
severity, each with its manifest, the replayable params of every sample and a checksummed
done-file, so an interrupted run resumes where it stopped. Sample params depend on
``(seed, family, severity, sample id)`` only; local processes and Ray Data (``engine="ray"``)
write the same bytes.

Example:
    >>> sorted(corruption_families("image"))[:3]
    ['bias_field', 'brightness', 'collimation']
"""

from .build import CorruptionSummary, build_corruptions
from .cells import sample_seed
from .families import (
    CorruptionFamily,
    corruption_families,
    corruption_ops,
    parse_severities,
    select_families,
)

__all__ = [
    "CorruptionFamily", "CorruptionSummary", "build_corruptions", "corruption_families",
    "corruption_ops", "parse_severities", "sample_seed", "select_families",
]
