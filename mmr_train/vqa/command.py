"""``mmr-train vqa``: fine-tune on VQA-RAD / SLAKE and evaluate.

``mmr-train vqa fit --dataset {vqa_rad,slake} --root DIR --out RUN [--pretrained RUN_OR_CKPT]
[--config vqa.yaml] [--resume]``: validation rows are SLAKE's ``validate`` split, or for VQA-RAD
a seeded hold-out of the training questions grouped by image (``vqa_rad_holdout``).

``mmr-train vqa eval RUN --dataset D --root DIR --out OUT [--perturbation all|none|POLICY.yaml]
[--severities 1-5] [--cross [--cross-root DIR]]``: scores the test split; ``--cross`` also
scores the other dataset's comparable closed yes/no test questions into ``OUT/cross/``.

Example:
    >>> import argparse
    >>> parser = argparse.ArgumentParser(); add_arguments(parser)
    >>> args = parser.parse_args(["eval", "run", "--dataset", "slake", "--root", "d",
    ...                           "--out", "o", "--severities", "1,3-5"])
    >>> args.action, args.severities, args.perturbation, args.cross
    ('eval', [1, 3, 4, 5], 'all', False)
"""

from __future__ import annotations

import argparse
from pathlib import Path

from mmr_augment.errors import InputError

from ..cli import add_paths
from ..data.vqa_rows import VQARow

HELP = "fine-tune on VQA-RAD / SLAKE (fit) and score clean, perturbed and cross-dataset (eval)"
DATASETS = ("vqa_rad", "slake")


def parse_severities(text: str) -> list[int]:
    """``"1-5"``, ``"1,3,5"`` or ``"2,4-5"`` -> sorted severities within 1-5."""
    out: set[int] = set()
    try:
        for part in text.split(","):
            lo, _, hi = part.partition("-")
            out.update(range(int(lo), int(hi or lo) + 1))
    except ValueError:
        raise argparse.ArgumentTypeError(f"severities like 1-5 or 1,3,5, got {text!r}") \
            from None
    if not out or min(out) < 1 or max(out) > 5:
        raise argparse.ArgumentTypeError(f"severities must lie within 1-5, got {text!r}")
    return sorted(out)


def _check(dataset: str) -> None:
    if dataset not in DATASETS:
        raise InputError(f"unknown dataset {dataset!r}; choose one of {', '.join(DATASETS)}")


def training_splits(dataset: str, root: str | Path) -> tuple[list[VQARow], list[VQARow]]:
    """``(train, validation)`` rows of ``dataset`` (see the module docstring)."""
    _check(dataset)
    from ..data import read_vqa, vqa_rad_holdout

    if dataset == "vqa_rad":
        return vqa_rad_holdout(read_vqa("vqa_rad", root, "train"))
    return read_vqa("slake", root, "train"), read_vqa("slake", root, "validate")


def evaluation_split(dataset: str, root: str | Path) -> list[VQARow]:
    """The test rows of ``dataset``."""
    _check(dataset)
    from ..data import read_vqa

    return read_vqa(dataset, root, "test")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``vqa fit`` and ``vqa eval`` arguments."""
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    fit = sub.add_parser("fit", help="fine-tune an answer classifier on the fused embedding")
    ev = sub.add_parser("eval", help="score a fine-tuned run clean / perturbed / cross-dataset")
    ev.add_argument("run", type=Path, help="run folder written by mmr-train vqa fit")
    for p in (fit, ev):
        p.add_argument("--dataset", required=True, help=f"one of {', '.join(DATASETS)}")
        add_paths(p, {"--root": "the dataset's folder",
                      "--out": "run folder (fit) or results folder (eval)"}, required=True)
    add_paths(fit, {"--pretrained": "mmr-train fit run folder or step_*.pt (default: from scratch)",
                    "--config": "VQA config YAML (VQAConfig)"})
    fit.add_argument("--resume", action="store_true", help="continue RUN's fine-tuning")
    ev.add_argument("--perturbation", default="all",
                    help="all (every family), none (clean only) or a policy YAML / JSON")
    ev.add_argument("--severities", type=parse_severities, default=[1, 2, 3, 4, 5],
                    help="e.g. 1-5 or 1,3,5")
    ev.add_argument("--cross", action="store_true",
                    help="also score the other dataset's closed yes/no test questions")
    add_paths(ev, {"--cross-root": "the other dataset's folder (default: ROOT/../OTHER_DATASET)"})
    ev.add_argument("--device", default="cpu", help="cpu or cuda")


def run(args: argparse.Namespace) -> int:
    """Entry of ``mmr-train vqa``."""
    from .evaluate import YES_NO_RULE, comparable_yes_no, evaluate_vqa
    from .finetune import finetune_vqa
    from .report import write_outputs

    if args.action == "fit":
        train, val = training_splits(args.dataset, args.root)
        out = finetune_vqa(train, val, args.out, pretrained=args.pretrained,
                           config=args.config, resume=args.resume, log=True)
        print(f"wrote {out} ({len(train)} training, {len(val)} validation questions)")
        return 0
    _check(args.dataset)
    policy = None if args.perturbation in ("all", "none") else Path(args.perturbation)
    result = evaluate_vqa(args.run, evaluation_split(args.dataset, args.root), args.out,
                          perturbations="none" if policy else args.perturbation,
                          severities=args.severities, policy=policy, device=args.device,
                          log=True)
    print(f"clean overall {result['clean']['overall']['accuracy']:.4f}; wrote "
          f"{args.out / 'report.md'}")
    if args.cross:
        other = next(d for d in DATASETS if d != args.dataset)
        root = args.cross_root or args.root.parent / other
        rows = comparable_yes_no(evaluation_split(other, root))
        cross = evaluate_vqa(args.run, rows, perturbations="none", device=args.device)
        cross["cross_rule"] = YES_NO_RULE
        write_outputs(cross, args.out / "cross")
        print(f"cross-dataset ({other}, {len(rows)} yes/no questions) overall "
              f"{cross['clean']['overall']['accuracy']:.4f}")
    return 0
