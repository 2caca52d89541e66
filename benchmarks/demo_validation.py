"""Compare demo settings on source-domain validation studies (never the held-out domains).

Usage:
    python benchmarks/demo_validation.py [--method robust_mmr] [--seeds 0,1] [--steps 300]
                                         [--change '{"loss": {"consistency_on": "fused"}}']

Trains like ``python -m mmr_train.demo`` (same training studies, config and seeds; ``--change``
overrides config sections as the demo's ablation does) and evaluates on 120 new studies of
the three *source* domains (study indices from 50,000, disjoint from the demo's test
studies). Prints the headline metrics per seed and their mean, and writes them as JSON with
``--out``; held-out metrics are dropped, so nothing here can be tuned on held-out domains.
How the demo's settings were chosen: this script, baseline vs Robust-MMR variants, 2 seeds.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from pathlib import Path

import torch

from mmr_train import demo
from mmr_train.evaluate import CorruptionBank, EvalSet, robustness_set
from mmr_train.evaluate.compare import family_s3plus, headline

VALIDATION_START = 50_000
SHOWN = ("source_accuracy", "clean_accuracy", "corrupted_accuracy_s3plus",
         "image_only_accuracy", "text_only_accuracy", "i2r_mean_rank", "i2r_degradation",
         "r2i_mean_rank", "r2i_degradation")


def validate(method: str, seeds: list[int], steps: int | None, change: dict, work: Path
             ) -> dict[int, dict]:
    """Train one run per seed (``demo.train_run`` / ``demo.evaluate_run``) and return each run's
    source-domain validation headline (+ per family), held-out metrics dropped."""
    size = demo.DemoSize()
    image_size = demo.base_config()["model"]["image_size"]
    studies, probe_train = demo.training_set(size.n_train, image_size)
    val = EvalSet.synthetic(40 * len(demo.SOURCE), image_size, list(demo.SOURCE), seed=0,
                            start=VALIDATION_START)
    robust = robustness_set(probe_train, val, size.robustness_n)
    bank = CorruptionBank(robust.images, robust.reports)
    runs = {}
    for seed in seeds:
        cfg = demo.run_config(method, seed, steps, change)
        name, out, clock = f"{method} seed {seed}", work / f"seed{seed}", demo.Clock()
        demo.train_run(name, cfg, out, studies, clock)
        result = demo.evaluate_run(name, out, probe_train, val, bank, size, clock)
        runs[seed] = {k: v for k, v in headline(result).items() if not k.startswith("held_out")}
        runs[seed]["families_s3plus"] = family_s3plus(result)
    return runs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--method", default="robust_mmr", choices=("robust_mmr", "baseline"))
    ap.add_argument("--seeds", default="0,1")
    ap.add_argument("--steps", type=int, default=None, help="default: demo.yaml's")
    ap.add_argument("--change", default="{}", help="JSON: config sections to override")
    ap.add_argument("--out", type=Path, default=None, help="write the results as JSON here")
    args = ap.parse_args()
    torch.set_num_threads(1)
    seeds = [int(s) for s in args.seeds.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        runs = validate(args.method, seeds, args.steps, json.loads(args.change), Path(tmp))
    print(f"{args.method} steps={args.steps or 'demo.yaml'} change={args.change}")
    print("| metric | " + " | ".join(f"seed {s}" for s in seeds) + " | mean |")
    print("|---|" + "---:|" * (len(seeds) + 1))
    for key in SHOWN:
        values = [runs[s][key] for s in seeds]
        print(f"| {key} | " + " | ".join(f"{v:.3f}" for v in values)
              + f" | {statistics.fmean(values):.3f} |")
    if args.out:
        args.out.write_text(json.dumps(runs, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
