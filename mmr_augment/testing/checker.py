"""``check_perturbation``: the contract battery as one function, for built-in and user ops.

Checks (each a name in :attr:`CheckReport.results`):

- ``output``: shape, dtype and device kept (images: every float dtype, 1 and 3 channels);
- ``p0_identity``: ``from_config(op.to_config() | {"p": 0})`` returns the input unchanged;
- ``seed_determinism`` / ``other_seed_differs``: same seed, same output; other seeds differ;
- ``batch_equals_per_sample``: the batch equals each sample run alone on its sliced params;
- ``replay``: ``apply`` with the same params and ``replay`` of the JSON log give the output;
- ``config_round_trip``: JSON and YAML configs rebuild an op with the same output;
- ``global_rng_untouched``: torch, numpy and ``random`` global states are left alone;
- ``rejects_bad_input``: integer and NaN images raise the documented errors;
- ``severity_monotonic``: change (mean absolute, or edit distance per character) grows with
  severity 1..5;
- ``label_safety``: labeler polarities unchanged (meaning-preserving ops), mentions only
  dropped (information-removing ops).

Checks that do not apply are listed in :attr:`CheckReport.skipped` with the reason: a
deterministic op (its params do not depend on the seed) skips ``other_seed_differs``; any other
callable on image tensors (a plain function, a kornia or MONAI transform, called on the batch or,
if that fails, image by image) gets ``output``, ``seed_determinism`` (under a seeded global RNG
and ``set_random_state`` where it has one) and ``other_seed_differs``, and skips the rest, which
need an mmr_augment ``Perturbation`` (``p``, ``sample`` / ``apply``, ``to_config``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from ..core import Perturbation
from . import _inputs as io
from ._callable import check_callable
from ._checks import (
    check_bad_input,
    check_global_rng,
    check_label_safety,
    check_output,
    check_p0,
    check_per_sample,
    check_replay,
    check_round_trip,
    check_severity,
    draws_params,
    effect_of,
    verdict,
)

__all__ = ["CheckReport", "check_perturbation"]


@dataclass
class CheckReport:
    """Outcome of :func:`check_perturbation`: ``results[name] = (passed, message)``;
    ``skipped[name]`` says why a check did not apply."""

    op: str
    results: dict[str, tuple[bool, str]] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when every check passed."""
        return all(passed for passed, _ in self.results.values())

    @property
    def failed(self) -> list[str]:
        """Names of the failed checks."""
        return [name for name, (passed, _) in self.results.items() if not passed]

    def __str__(self) -> str:
        n = sum(p for p, _ in self.results.values())
        lines = [f"check_perturbation({self.op}): {n}/{len(self.results)} checks passed"]
        width = max(map(len, [*self.results, *self.skipped]), default=0)
        for name, (passed, message) in self.results.items():
            lines.append(f"  {'PASS' if passed else 'FAIL'}  {name:<{width}}  {message}")
        for name, reason in self.skipped.items():
            lines.append(f"  SKIP  {name:<{width}}  {reason}")
        return "\n".join(lines)


def _run(report: CheckReport, name: str, check: Callable[[], tuple[bool, str]]) -> None:
    try:
        report.results[name] = check()
    except Exception as e:  # a crash is a failed check, reported with its message
        report.results[name] = (False, f"raised {type(e).__name__}: {e}".split("\n")[0])


def check_perturbation(op: Perturbation | Callable[[Any], Any], *,
                       images: torch.Tensor | Sequence[torch.Tensor] | None = None,
                       reports: Sequence[str] | None = None,
                       device: str | torch.device = "cpu", severities: bool = True,
                       seed: int = 0, atol: float = 1e-4) -> CheckReport:
    """Run the contract battery on ``op`` and return a :class:`CheckReport` (never raises for a
    failing op: each failure, crash included, is a result with a message).

    Args:
        op: an image, text or multimodal ``Perturbation`` (registered: it must round-trip
            through ``from_config``), or any callable on image tensors (the checks that apply).
        images: ``(B, C, H, W)`` float batch (or a list of them); default: textured gradients.
        reports: report strings (one per image for a policy); default: four clinical reports.
        device: where the images go (params stay on the CPU).
        severities: run the severity check when the op has a severity table.
        seed: base seed of the calls.
        atol: tolerance of the batch-vs-single-sample image comparison (batched float32
            kernels may differ from single-sample ones in the last bits); 0 asks for equality.

    Example:
        >>> from mmr_augment import GaussianNoise
        >>> report = check_perturbation(GaussianNoise(std=(0.02, 0.2)))
        >>> report.ok, report.results["p0_identity"][0]
        (True, True)
        >>> report = check_perturbation(lambda x: x.flip(-1))  # any callable on tensors
        >>> report.ok, sorted(report.results), report.skipped["other_seed_differs"][:13]
        (True, ['output', 'seed_determinism'], 'deterministic')
    """
    if not isinstance(op, Perturbation):
        report = CheckReport(getattr(op, "__qualname__", type(op).__name__))
        check_callable(report, op, io.as_list(images), torch.device(device), seed, _run)
        return report
    report = CheckReport(type(op).__name__)
    kind = io.kind_of(op, images, reports)
    device = torch.device(device)
    imgs = [x.to(device) for x in io.as_list(images)] or [io.default_image().to(device)]
    texts = list(reports) if reports is not None else list(io.REPORTS)
    if kind == "multimodal":
        texts = (texts * len(imgs[0]))[:len(imgs[0])]
    x = imgs[0] if kind == "image" else texts if kind == "text" else (imgs[0], texts)
    b = io.size(kind, x)
    run = lambda name, check: _run(report, name, check)  # noqa: E731

    run("output", lambda: check_output(op, kind, x, imgs, device, seed))
    run("p0_identity", lambda: check_p0(op, kind, x, seed))
    first = lambda: io.call(op, kind, x, seed)  # noqa: E731
    run("seed_determinism", lambda: verdict(
        io.same(first(), first(), kind), "same seed, same output",
        "the same seed gave two different outputs: draw only from the given generator"))
    if draws_params(op, b, seed):
        run("other_seed_differs", lambda: verdict(
            any(not io.same(first(), io.call(op, kind, x, seed + k), kind) for k in (1, 2, 3)),
            "other seeds give other outputs",
            "seeds +1..+3 all gave the output of seed although the params differ"))
    else:
        report.skipped["other_seed_differs"] = "deterministic: the params do not depend on " \
            "the seed"
    run("batch_equals_per_sample", lambda: check_per_sample(op, kind, x, b, seed, atol))
    run("replay", lambda: check_replay(op, kind, x, b, seed))
    run("config_round_trip", lambda: check_round_trip(op, kind, x, seed))
    run("global_rng_untouched", lambda: check_global_rng(op, kind, x, seed))
    if kind == "image":
        run("rejects_bad_input", lambda: check_bad_input(op, b, device))
    else:
        report.skipped["rejects_bad_input"] = "image ops only"
    if severities and type(op).severity_table:
        run("severity_monotonic", lambda: check_severity(op, kind, x, seed))
    else:
        report.skipped["severity_monotonic"] = "severities=False" if severities else \
            "the op has no severity table"
    effect = effect_of(op) if kind != "image" else None
    if effect and effect != "meaning_changing":
        run("label_safety", lambda: check_label_safety(op, kind, x, effect, seed))
    else:
        report.skipped["label_safety"] = "meaning-changing op" if effect else "no text op"
    return report
