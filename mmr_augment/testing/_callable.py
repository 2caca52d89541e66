"""The checks of :func:`~mmr_augment.testing.check_perturbation` that apply to any callable on
image tensors (a plain function, a kornia or MONAI transform): it takes no generator, so it is
seeded through the global RNGs (restored afterwards) and ``set_random_state`` where it has one.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import torch

from . import _inputs as io

_NEEDS_OP = "needs an mmr_augment Perturbation (p, sample / apply, to_config)"
SKIPPED = {
    "p0_identity": _NEEDS_OP, "batch_equals_per_sample": _NEEDS_OP, "replay": _NEEDS_OP,
    "config_round_trip": _NEEDS_OP, "severity_monotonic": _NEEDS_OP,
    "global_rng_untouched": "the callable takes no generator, so it may draw from the global RNG",
    "rejects_bad_input": "a foreign callable has its own error types",
}


@contextlib.contextmanager
def _seeded(fn: Any, seed: int) -> Iterator[None]:
    """Global torch / numpy / random RNGs seeded with ``seed`` inside, restored after."""
    np_state, py_state = np.random.get_state(), random.getstate()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        np.random.seed(seed)
        random.seed(seed)
        if callable(getattr(fn, "set_random_state", None)):  # MONAI Randomizable
            fn.set_random_state(seed=seed)
        try:
            yield
        finally:
            np.random.set_state(np_state)
            random.setstate(py_state)


def _caller(fn: Callable[[Any], Any], x: torch.Tensor) -> tuple[Callable, str]:
    """Call on the batch if that keeps its shape, else image by image (MONAI array
    transforms take ``(C, H, W)``)."""
    try:
        with _seeded(fn, 0):
            y = fn(x)
        if isinstance(y, torch.Tensor) and y.shape == x.shape:
            return fn, "batch"
    except Exception:  # noqa: BLE001 - any failure: try the per-image convention
        pass
    return (lambda v: torch.stack([torch.as_tensor(fn(s)) for s in v])), "image by image"


def check_callable(report: Any, fn: Callable[[Any], Any], imgs: list[torch.Tensor],
                   device: torch.device, seed: int, run: Callable) -> None:
    """Fill ``report`` with the checks that apply to a plain callable on images."""
    imgs = [x.to(device) for x in imgs] or [io.default_image().to(device)]
    x = imgs[0]
    call, how = _caller(fn, x)

    def seeded(v: torch.Tensor, s: int) -> torch.Tensor:
        with _seeded(fn, s):
            return call(v)

    def output() -> tuple[bool, str]:
        bad = []
        variants = [(v.to(dt), f"{tuple(v.shape)} {dt}") for v in imgs
                    for dt in (torch.float16, torch.bfloat16, torch.float32, torch.float64)]
        for v, what in variants:
            y = seeded(v, seed)
            if y.shape != v.shape or y.dtype != v.dtype or y.device.type != device.type \
                    or not bool(torch.isfinite(y.float()).all()):
                bad.append(f"{what} -> {tuple(y.shape)} {y.dtype} {y.device}")
        return not bad, "; ".join(bad) or f"called {how}; {len(variants)} dtype variants kept"

    def other_seeds() -> tuple[bool, str]:
        first = seeded(x, seed)
        if all(torch.equal(first, seeded(x, seed + k)) for k in (1, 2, 3)):
            report.skipped["other_seed_differs"] = "deterministic: seeds +1..+3 gave the " \
                "output of seed"
        return True, "other seeds give other outputs"

    run(report, "output", output)
    run(report, "seed_determinism", lambda: (
        torch.equal(seeded(x, seed), seeded(x, seed)), "same global seed, same output"))
    run(report, "other_seed_differs", other_seeds)
    if "other_seed_differs" in report.skipped:
        del report.results["other_seed_differs"]
    report.skipped.update(SKIPPED)
