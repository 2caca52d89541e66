"""``mmr-train fit``: train Robust-MMR (or the baseline) from a config YAML.

Single process: ``mmr-train fit --config CONFIG.yaml --out DIR [--max-steps N] [--resume]``;
``--config`` also takes a preset name (``tiny``, the default; ``small``; ``base``), and
``--manifest PATH`` trains on a manifest (e.g. from ``mmr-train manifest``) without a YAML:
``mmr-train fit --config tiny --manifest data/manifest.csv --out run``.
data-parallel: ``torchrun --nproc_per_node=N -m mmr_train.cli fit ...`` (gloo on CPU, NCCL on
CUDA). Writes ``DIR/checkpoints/`` (with ``tokenizer.json``), ``DIR/metrics.jsonl`` and
``DIR/config.yaml``.

Example:
    >>> import argparse
    >>> parser = argparse.ArgumentParser(); add_arguments(parser)
    >>> args = parser.parse_args(["--config", "c.yaml", "--out", "run", "--max-steps", "5"])
    >>> args.max_steps, args.resume, args.progress
    (5, False, True)
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from .cli import add_paths
from .config import load_fit_config
from .distributed import DistContext
from .trainer import Trainer

HELP = "train Robust-MMR (or the baseline) from a config YAML"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``fit`` subcommand's arguments."""
    parser.add_argument("--config", type=Path, default=Path("tiny"),
                        help="fit config YAML (e.g. mmr_train/configs/tiny.yaml) or a preset "
                             "name: tiny, small, base (default: %(default)s)")
    add_paths(parser, {
        "--manifest": "train on this CSV / JSONL manifest (sets data.kind: manifest, data.path)",
        "--root": "data root of the manifest's paths (data.root; default: the manifest's "
                  "folder)"})
    add_paths(parser, {"--out": "run folder: checkpoints/, metrics.jsonl, config.yaml"},
              required=True)
    parser.add_argument("--max-steps", type=int, default=None,
                        help="override train.max_steps (the schedule ends there)")
    parser.add_argument("--resume", action="store_true",
                        help="continue from DIR/checkpoints/latest (fresh start if none)")
    parser.add_argument("--no-progress", dest="progress", action="store_false",
                        help="hide the progress bar (it is hidden anyway when not on a TTY)")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto",
                        help="training device (auto: CUDA when available)")


def fit(config: str | Path, out: str | Path, *, max_steps: int | None = None,
        resume: bool = False, progress: bool = True, device: str = "auto",
        manifest: str | Path | None = None, root: str | Path | None = None) -> dict[str, Any]:
    """Train as ``mmr-train fit`` does; returns the last logged metrics row (rank 0; other
    ranks get ``{}``)."""
    cfg = load_fit_config(config)
    if manifest is not None:
        cfg.data.kind, cfg.data.path = "manifest", str(Path(manifest).resolve())
    if root is not None:
        cfg.data.root = str(Path(root).resolve())
    if max_steps is not None:
        if max_steps < 1:
            from mmr_augment.errors import ConfigError

            raise ConfigError(f"--max-steps must be >= 1, got {max_steps}")
        cfg.train.max_steps = max_steps
    ctx = DistContext.from_env(None if device == "auto" else device)
    try:
        row = Trainer(cfg, out, resume=resume, progress=progress, ctx=ctx).fit()
        return row if ctx.is_main else {}
    finally:
        ctx.close()


def run(args: argparse.Namespace) -> int:
    """Entry of the ``fit`` subcommand."""
    row = fit(args.config, args.out, max_steps=args.max_steps, resume=args.resume,
              progress=args.progress, device=args.device, manifest=args.manifest,
              root=args.root)
    if row:
        print(f"step {row['step']}: total loss {row['total']:.4f}")
    return 0
