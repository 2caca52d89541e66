"""Synthetic data speed: seconds to generate N paired studies, with and without styles.

Times ``generate(n, size)`` (canonical rendering and reports), each ``ScannerStyle`` preset
applied to those images and one ``ReportStyle`` preset applied to those reports (the extra cost
of a styled domain, with the per-study style draws ``generate`` uses), and ``generate`` end to
end in one styled domain. Every timing is repeated; the best and the median are reported, for
each thread count, with the load average before and after (the issue's target: 2,000 pairs at
128 x 128 in under 30 s on a 2-core machine).

On a shared, overloaded machine run it with ``OMP_WAIT_POLICY=PASSIVE``: with the default
(spinning) OpenMP wait policy, two threads that must share busy cores wait for each other at
every op and were about ten times slower than one thread (see benchmarks/README.md).

    python benchmarks/synthetic_speed.py [--n 2000] [--size 128] [--repeats 3] [--threads 2 1]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable

import torch

import mmr_augment as ma
from mmr_augment.synthetic import generate
from mmr_augment.synthetic._draws import study_keys
from mmr_augment.synthetic.domains import apply_report, apply_scanner


def seconds(fn: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def load() -> str:
    return " ".join(f"{v:.1f}" for v in os.getloadavg())


def one_repeat(args: argparse.Namespace) -> dict[str, float]:
    """Seconds of every row of the table, once."""
    t, base = seconds(lambda: generate(args.n, args.size, args.seed))
    rows = {"generate, no style (render + reports)": t}
    keys = study_keys(args.seed, torch.arange(args.n))
    for name in ma.ScannerStyle.presets():
        style = ma.ScannerStyle.preset(name)
        rows[f"+ ScannerStyle {name}"] = seconds(
            lambda s=style: apply_scanner(s, base.images, keys))[0]
    report = ma.ReportStyle.preset(args.report)
    rows[f"+ ReportStyle {args.report}"] = seconds(
        lambda: apply_report(report, base.reports, keys))[0]
    rows[f"generate, ({args.scanner}, {args.report}) end to end"] = seconds(
        lambda: generate(args.n, args.size, args.seed, domain=(args.scanner, args.report)))[0]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, nargs="+", default=[2, 1])
    parser.add_argument("--scanner", default="portable_ap", help="style of the end-to-end row")
    parser.add_argument("--report", default="mixed_community")
    args = parser.parse_args()
    generate(8, 64, args.seed, domain=(args.scanner, args.report))  # warm-up: imports, presets
    print(f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', '(unset)')}, "
          f"{os.cpu_count()} CPUs, torch {torch.__version__}")
    results: dict[int, list[dict[str, float]]] = {}
    for threads in args.threads:
        torch.set_num_threads(threads)
        before = load()
        results[threads] = [one_repeat(args) for _ in range(args.repeats)]
        print(f"threads {threads}: load average (1, 5, 15 min) {before} before, {load()} after",
              flush=True)
    names = list(results[args.threads[0]][0])
    header = " | ".join(f"{t} thr best | {t} thr median" for t in args.threads)
    print(f"\n{args.n} studies at {args.size} x {args.size}, seconds over {args.repeats} "
          f"repeats\n\n| step | {header} |\n|---|" + "---:|---:|" * len(args.threads))
    for name in names:
        cells = []
        for threads in args.threads:
            values = [run[name] for run in results[threads]]
            cells += [f"{min(values):.1f}", f"{statistics.median(values):.1f}"]
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
