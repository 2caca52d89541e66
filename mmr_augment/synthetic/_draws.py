"""Per-study random draws: every number of study ``i`` is a pure function of ``(seed, i)``.

Study parameters use the project's counter-based generator (:mod:`mmr_augment._rng`) keyed by
a per-study key, so a whole batch is drawn with tensor ops and study ``i`` never depends on
how many studies are generated with it or on the batch it lands in. Style perturbations,
which sample from a ``torch.Generator``, get one generator per study seeded from the same key.
"""

from __future__ import annotations

import torch

from .._rng import hash32, uniform

# Streams of the counter-based generator: one per kind of draw, never reused.
ANATOMY, FINDINGS, WORDING, TEXTURE, SPLIT = 1, 2, 3, 4, 5
SCANNER_STYLE, REPORT_STYLE = 101, 102


def study_keys(seed: int, indices: torch.Tensor) -> torch.Tensor:
    """``(B,)`` int64 keys in ``[0, 2**32)`` for studies ``indices`` of dataset ``seed``.

    Example:
        >>> k = study_keys(0, torch.arange(4))
        >>> torch.equal(k[2:], study_keys(0, torch.arange(2, 4)))
        True
    """
    base = hash32(torch.tensor([int(seed) & 0xFFFFFFFF], dtype=torch.int64) + 0x5BD1E995)
    return hash32(hash32(indices.to(torch.int64) ^ base) + base)


def draws(keys: torch.Tensor, count: int, stream: int) -> torch.Tensor:
    """``(B, count)`` float64 uniforms in ``[0, 1)`` for each study key, from ``stream``.

    Example:
        >>> u = draws(study_keys(0, torch.arange(3)), 5, ANATOMY)
        >>> u.shape, bool(((u >= 0) & (u < 1)).all())
        (torch.Size([3, 5]), True)
    """
    return uniform(keys, (count,), torch.device("cpu"), stream=stream).double()


def study_generator(key: int, stream: int) -> torch.Generator:
    """A CPU ``torch.Generator`` for one study and one kind of draw (style sampling).

    Example:
        >>> a = torch.rand(2, generator=study_generator(7, SCANNER_STYLE))
        >>> torch.equal(a, torch.rand(2, generator=study_generator(7, SCANNER_STYLE)))
        True
    """
    mixed = hash32(torch.tensor([int(key) ^ (stream * 0x9E3779B1)], dtype=torch.int64))
    return torch.Generator().manual_seed(int(mixed) * 0x100000001 + stream)
