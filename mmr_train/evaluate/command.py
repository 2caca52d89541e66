"""``mmr-train eval``: evaluate a checkpoint; the probe is fitted on one manifest, scored on
another.

``mmr-train eval --checkpoint CKPT --train-manifest A.csv --test-manifest B.csv [--out DIR]``
prints the headline metrics and, with ``--out``, writes ``results.json``, ``report.md`` and
``figures/`` there. ``--reference-checkpoint REF`` adds MedMNIST-C's BE and rBE per corruption
family and overall, normalised by REF's balanced errors (``corruption.medmnistc``).

Example:
    >>> import argparse
    >>> parser = argparse.ArgumentParser(); add_arguments(parser)
    >>> args = parser.parse_args(["--checkpoint", "run", "--train-manifest", "a.csv",
    ...                           "--test-manifest", "b.csv"])
    >>> args.robustness_n, args.severities, args.out, args.reference_checkpoint
    (128, [1, 2, 3, 4, 5], None, None)
"""

from __future__ import annotations

import argparse

from ..cli import add_paths

HELP = "evaluate a checkpoint: cross-domain probe, corruptions, missing modality, retrieval"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``eval`` subcommand's arguments."""
    add_paths(parser, {
        "--checkpoint": "a step_*.pt file or an mmr-train fit run folder (latest checkpoint)",
        "--train-manifest": "CSV / JSONL manifest with labels: the probe is fitted on it",
        "--test-manifest": "CSV / JSONL manifest with labels: scored per domain"},
        required=True)
    add_paths(parser, {"--out": "folder for results.json, report.md and figures/ (default: "
                                "none, print only)"})
    parser.add_argument("--robustness-n", type=int, default=128,
                        help="test studies used for corruption, missing-modality, retrieval "
                             "(default: %(default)s)")
    parser.add_argument("--severities", type=int, nargs="+", default=[1, 2, 3, 4, 5],
                        choices=range(1, 6), metavar="S",
                        help="corruption severities, 1-5 (default: 1 2 3 4 5)")
    add_paths(parser, {"--reference-checkpoint": (
        "a checkpoint (file or run folder) to normalise MedMNIST-C's BE / rBE by, as "
        "MedMNIST-C does by AlexNet: scored with its own probe on the same corrupted studies "
        "(default: none, no BE / rBE)")})
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="cpu",
                        help="evaluation device (auto: CUDA when available; default: "
                             "%(default)s)")


def run(args: argparse.Namespace) -> int:
    """Evaluate and print the headline metrics."""
    import torch

    from . import evaluate
    from .compare import headline
    from .report import fmt

    device = args.device
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    result = evaluate(args.checkpoint, args.train_manifest, args.test_manifest, out=args.out,
                      robustness_n=args.robustness_n, severities=args.severities,
                      device=device, progress=True, reference=args.reference_checkpoint)
    for key, value in headline(result).items():
        print(f"{key:32s} {fmt(value)}")
    if args.out is not None:
        print(f"wrote {args.out / 'results.json'} and {args.out / 'report.md'}")
    return 0
