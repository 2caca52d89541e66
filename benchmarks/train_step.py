"""Training-step time split into policy, masking, forward, backward and optimizer.

For each config (tiny, small) and method (baseline, robust_mmr) the real trainer is built on
synthetic studies and timed stage by stage over ``--steps`` steps after one warm-up step
(median per stage). ``policy`` is the ``MultiModalPolicy`` (and, for Robust-MMR, the second
style view); ``masking`` is tokenisation + masking + moving inputs to the device.
Targets: policy + masking <= 10% of a step at the small config; a Robust-MMR step <= 2.2x a
baseline step. Prints a markdown table.

    python benchmarks/train_step.py [--configs tiny small] [--batch 16] [--steps 3]
        [--threads 1] [--device cpu]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

import torch

from mmr_train.config import fit_config_from_dict
from mmr_train.distributed import DistContext
from mmr_train.trainer import Trainer

STAGES = ("policy", "masking", "forward", "backward", "optimizer")


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_step(trainer: Trainer) -> dict[str, float]:
    """Seconds per stage of one optimizer step (one micro-batch)."""
    device, out = trainer.device, {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        _sync(device)
        now = time.perf_counter()
        out[name], clock = now - clock, now

    batch = trainer.stream.next()
    views = trainer.perturb(batch)
    lap("policy")
    inputs = trainer.prepare(views, batch.labels)
    lap("masking")
    losses = trainer.forward(inputs)
    lap("forward")
    trainer.backward(losses["total"])
    lap("backward")
    trainer.optimizer.step()
    trainer.optimizer.zero_grad(set_to_none=True)
    lap("optimizer")
    return out


def measure(preset: str, method: str, args: argparse.Namespace) -> dict[str, float]:
    """Median seconds per stage for one config and method."""
    cfg = fit_config_from_dict({
        "preset": preset, "method": method,
        "data": {"n": 2 * args.batch, "seed": 0},
        "train": {"batch_size": args.batch, "max_steps": args.steps + 1}})
    device = torch.device(args.device)
    with tempfile.TemporaryDirectory() as out:
        trainer = Trainer(cfg, out, progress=False, ctx=DistContext.single(device))
        time_step(trainer)                                  # warm-up
        runs = [time_step(trainer) for _ in range(args.steps)]
    return {s: statistics.median(r[s] for r in runs) for s in STAGES}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--configs", nargs="+", default=["tiny", "small"])
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"device {args.device}, {torch.get_num_threads()} threads, batch {args.batch}, "
          f"median of {args.steps} steps (ms)\n")
    print("| config | method | " + " | ".join(STAGES) + " | step | policy+masking | vs baseline |")
    print("|---" * (len(STAGES) + 5) + "|")
    for preset in args.configs:
        base = None
        for method in ("baseline", "robust_mmr"):
            t = measure(preset, method, args)
            step = sum(t.values())
            base = step if base is None else base
            share = (t["policy"] + t["masking"]) / step
            cells = " | ".join(f"{1e3 * t[s]:.0f}" for s in STAGES)
            print(f"| {preset} | {method} | {cells} | {1e3 * step:.0f} | {100 * share:.1f}% | "
                  f"{step / base:.2f}x |", flush=True)


if __name__ == "__main__":
    main()
