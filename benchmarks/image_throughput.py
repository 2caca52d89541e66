"""Image pipeline throughput: mmr_augment vs kornia.augmentation vs MONAI (per sample).

The same 6-family pipeline, p=1, same strengths: Gaussian noise (std 0.05), Gaussian blur
(kernel 5, sigma 0.1-2.0), gamma (0.7-1.5), contrast (0.8-1.2), brightness (0.9-1.1),
erasing / cutout (2-10 % of the area); ``--severity N`` uses mmr's severity-N values instead
(kornia and MONAI get the same fixed values). mmr runs two ways: through ``Sequential`` and
the per-op path (each op built from its config and called as ``op(x, generator=g)`` in turn).
``--compile`` adds ``torch.compile(Sequential.apply)`` (inductor; compile time printed).

Runs are interleaved (every runner once per round, ``--repeats`` rounds after a warm-up);
each row gives the median time and the spread (25th-75th percentile), and each speed-up is the
median (and spread) of the per-round ratios, so a load spike hits both sides of a ratio.
Below the rates: each mmr op's cost on the same batch, their sum, and the floor (the noise
draw as mmr makes it, ``torch.ops.mmr_augment.seeded_draw`` with one generator per sample on
torch's threads, plus one pass over the batch; torch's own ``randn`` for the batch is printed
beside it).

Semantics differ in two rows (the pipeline keeps kornia's cheaper ops): kornia's
``RandomContrast`` only multiplies (mmr and MONAI subtract each image's mean first), so the
per-op table adds a ``contrast_mean`` row against kornia's mean-subtracting ``ColorJitter``;
kornia's ``RandomBrightness`` adds ``factor - 1`` where mmr and MONAI multiply by ``factor``.

    python benchmarks/image_throughput.py [--batch 64] [--size 224] [--repeats 9]
        [--threads 2] [--severity N] [--compile] [--no-ops] [--no-monai]
        [--device cuda] [--dtype float16]

``--device cuda`` times mmr and kornia on the GPU (MONAI's per-sample ``Compose`` is left out:
it is a CPU pipeline), synchronising around every call; the floor is then the CPU draw that
mmr's seeded noise makes on any device, plus its copy to the GPU. ``--dtype`` sets the batch's
float type (float16 and bfloat16 are for the GPU).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import kornia.augmentation as K
import monai.transforms as mt
import torch

import mmr_augment as ma

FAMILIES = ("gaussian_noise", "gaussian_blur", "gamma", "contrast", "brightness", "cutout")


def mmr_ops(severity: int | None) -> dict[str, ma.Perturbation]:
    if severity is not None:
        return {
            "gaussian_noise": ma.GaussianNoise(severity=severity),
            "gaussian_blur": ma.GaussianBlur(severity=severity),
            "gamma": ma.Gamma(severity=severity),
            "contrast": ma.Contrast(severity=severity),
            "brightness": ma.Brightness(severity=severity),
            "cutout": ma.Cutout(severity=severity),
        }
    return {
        "gaussian_noise": ma.GaussianNoise(std=0.05),
        "gaussian_blur": ma.GaussianBlur(kernel_size=5, sigma=(0.1, 2.0)),
        "gamma": ma.Gamma(gamma=(0.7, 1.5)),
        "contrast": ma.Contrast(factor=(0.8, 1.2)),
        "brightness": ma.Brightness(factor=(0.9, 1.1)),
        "cutout": ma.Cutout(holes=1, area=(0.02, 0.10)),
    }


def strengths(severity: int | None) -> dict[str, tuple[float, float]]:
    """The (lo, hi) strengths kornia and MONAI get: the ranges, or mmr's severity values."""
    if severity is None:
        return {"std": (0.05, 0.05), "kernel": (5, 5), "sigma": (0.1, 2.0), "gamma": (0.7, 1.5),
                "contrast": (0.8, 1.2), "brightness": (0.9, 1.1), "area": (0.02, 0.10),
                "holes": (1, 1)}
    s = severity - 1

    def fixed(op, arg):
        value = op.severity_table[arg][s]
        return (value, value)

    return {"std": fixed(ma.GaussianNoise, "std"),
            "kernel": fixed(ma.GaussianBlur, "kernel_size"),
            "sigma": fixed(ma.GaussianBlur, "sigma"),
            "gamma": fixed(ma.Gamma(), "gamma"), "contrast": fixed(ma.Contrast(), "factor"),
            "brightness": fixed(ma.Brightness(), "factor"), "area": fixed(ma.Cutout, "area"),
            "holes": fixed(ma.Cutout, "holes")}


def kornia_ops(v: dict) -> dict[str, torch.nn.Module]:
    k = int(v["kernel"][0])
    return {
        "gaussian_noise": K.RandomGaussianNoise(std=v["std"][0], p=1.0),
        "gaussian_blur": K.RandomGaussianBlur((k, k), v["sigma"], p=1.0),
        "gamma": K.RandomGamma(v["gamma"], p=1.0),
        "contrast": K.RandomContrast(v["contrast"], p=1.0),
        "brightness": K.RandomBrightness(v["brightness"], p=1.0),
        "cutout": K.RandomErasing(scale=v["area"], p=1.0),
    }


def monai_ops(size: int, v: dict) -> dict[str, object]:
    lo, hi = (int(size * a**0.5) for a in v["area"])  # a square hole of that share of the area
    spread = (v["contrast"][1] - v["contrast"][0]) / 2
    centre = (v["contrast"][1] + v["contrast"][0]) / 2 - 1
    bright = (v["brightness"][0] - 1, v["brightness"][1] - 1)
    return {
        "gaussian_noise": mt.RandGaussianNoise(prob=1.0, std=v["std"][0], sample_std=False),
        "gaussian_blur": mt.RandGaussianSmooth(v["sigma"], v["sigma"], prob=1.0),
        "gamma": mt.RandAdjustContrast(prob=1.0, gamma=v["gamma"]),
        "contrast": mt.RandScaleIntensityFixedMean(
            prob=1.0, factors=(centre - spread, centre + spread)),
        "brightness": mt.RandScaleIntensity(factors=bright, prob=1.0),
        "cutout": mt.RandCoarseDropout(holes=int(v["holes"][0]), spatial_size=lo,
                                       max_spatial_size=max(lo, hi), fill_value=0.0, prob=1.0),
    }


def runners(size: int, severity: int | None, compile_: bool):
    mops, v = mmr_ops(severity), strengths(severity)
    kops, nops = kornia_ops(v), monai_ops(size, v)
    g = torch.Generator().manual_seed(0)
    mmr_seq = ma.Sequential(list(mops.values()))
    per_op = [ma.from_config(op.to_config()) for op in mops.values()]  # as a user builds them
    kor_seq = K.AugmentationSequential(*kops.values())
    mon_seq = mt.Compose(list(nops.values()))
    for t in mon_seq.transforms:
        t.set_random_state(0)

    def monai_per_sample(x, compose):
        return torch.stack([torch.as_tensor(compose(s)) for s in x])

    def per_op_path(x):
        for op in per_op:
            x = op(x, generator=g)
        return x

    pipeline = {
        "mmr Sequential": lambda x: mmr_seq(x, generator=g),
        "mmr per-op": per_op_path,
        "kornia AugmentationSequential": lambda x: kor_seq(x),
        "monai Compose (per sample)": lambda x: monai_per_sample(x, mon_seq),
    }
    if compile_:
        compiled = torch.compile(mmr_seq.apply, fullgraph=True)
        pipeline["mmr Sequential, torch.compile"] = (
            lambda x: compiled(x, mmr_seq.sample(len(x), g)))
    mops["contrast_mean"] = mops["contrast"]  # same op, against a mean-subtracting kornia op
    kops["contrast_mean"] = K.ColorJitter(contrast=v["contrast"], p=1.0)
    nops["contrast_mean"] = nops["contrast"]
    single = {name: {"mmr_augment": (lambda x, op=mops[name]: op(x, generator=g)),
                     "kornia": (lambda x, op=kops[name]: op(x)),
                     "monai (per sample)": (lambda x, op=nops[name]:
                                            monai_per_sample(x, mt.Compose([op])))}
              for name in mops}
    return pipeline, single, mops


def interleaved(fns: dict, x: torch.Tensor, repeats: int) -> dict[str, list[float]]:
    """Seconds per call of each runner: one warm-up, then ``repeats`` interleaved rounds (on a
    GPU each call is timed from a synchronised start to its synchronised end)."""
    sync = torch.cuda.synchronize if x.device.type == "cuda" else (lambda: None)
    times: dict[str, list[float]] = {k: [] for k in fns}
    for fn in fns.values():  # warm-up
        fn(x)
    for _ in range(repeats):
        for k, fn in fns.items():
            sync()
            t0 = time.perf_counter()
            fn(x)
            sync()
            times[k].append(time.perf_counter() - t0)
    return times


def quartiles(values: list[float]) -> tuple[float, float, float]:
    """(25th percentile, median, 75th percentile)."""
    if len(values) == 1:
        return values[0], values[0], values[0]
    q1, q2, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q1, q2, q3


def ratio(slow: list[float], fast: list[float]) -> str:
    """Median speed-up of ``fast`` over ``slow`` over the rounds, with its spread."""
    q1, q2, q3 = quartiles([s / f for s, f in zip(slow, fast, strict=True)])
    return f"{q2:.2f}x ({q1:.2f}-{q3:.2f})"


def floor_costs(x: torch.Tensor, repeats: int) -> dict[str, list[float]]:
    """The noise draw as mmr makes it (its seeded draw, on the CPU on any device, then moved
    to ``x``'s device), one pass over the batch, and torch's own ``randn`` for the batch."""
    g = torch.Generator().manual_seed(1)
    seeds = torch.arange(len(x))
    return interleaved({
        "noise draw": lambda x: torch.ops.mmr_augment.seeded_draw(
            seeds, list(x.shape[1:]), 0, True).to(x.device),
        "one pass": lambda x: torch.mul(x, 1.0),
        "torch.randn": lambda x: torch.randn(x.shape, generator=g).to(x.device)}, x, repeats)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--repeats", type=int, default=9)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--severity", type=int, choices=range(1, 6), default=None)
    ap.add_argument("--compile", action="store_true",
                    help="add torch.compile(Sequential.apply) (inductor; compiling takes a while)")
    ap.add_argument("--no-ops", action="store_true", help="skip the per-op table vs kornia/MONAI")
    ap.add_argument("--device", default="cpu", help="cpu or cuda (MONAI rows: CPU only)")
    ap.add_argument("--no-monai", action="store_true",
                    help="leave MONAI out (always on a GPU: its per-sample Compose is a CPU "
                         "pipeline)")
    ap.add_argument("--dtype", choices=("float32", "float16", "bfloat16"), default="float32")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    x = torch.rand(args.batch, 1, args.size, args.size,
                   generator=torch.Generator().manual_seed(0)).to(args.device,
                                                                 getattr(torch, args.dtype))
    pipeline, single, mops = runners(args.size, args.severity, args.compile)
    monai = x.device.type == "cpu" and not args.no_monai
    if not monai:
        del pipeline["monai Compose (per sample)"]
        for fns in single.values():
            del fns["monai (per sample)"]
    device = torch.cuda.get_device_name(x.device) if x.device.type == "cuda" else "CPU"
    strength = "ranges" if args.severity is None else f"severity {args.severity}"
    tuning = {k: v for k, v in os.environ.items()
              if k.startswith(("MALLOC_", "GOMP_", "OMP_", "KMP_")) or k == "LD_PRELOAD"}
    print(f"batch {args.batch} x 1 x {args.size} x {args.size} {args.dtype} on {device},"
          f" {args.threads} threads,"
          f" {strength}, {args.repeats} interleaved rounds (median, 25-75th percentile),"
          f" torch {torch.__version__}, allocator and OpenMP settings {tuning or 'default'}\n")
    if args.compile:
        t0 = time.perf_counter()
        pipeline["mmr Sequential, torch.compile"](x)
        print(f"torch.compile: first call (compiling) {time.perf_counter() - t0:.1f} s\n")
    t = interleaved(pipeline, x, args.repeats)
    seq = t["mmr Sequential"]
    print("| pipeline | images/s | ms/batch | Sequential speed-up | per-op speed-up |")
    print("|---|---:|---:|---:|---:|")
    for k, v in t.items():
        q1, q2, q3 = quartiles(v)
        print(f"| {k} | {args.batch / q2:,.0f} | {1e3 * q2:.1f} ({1e3 * q1:.1f}-{1e3 * q3:.1f})"
              f" | {ratio(v, seq)} | {ratio(v, t['mmr per-op'])} |")

    # where the time goes: each mmr op alone on the same batch, and the floor
    costs = interleaved({name: single[name]["mmr_augment"] for name in FAMILIES}, x,
                        args.repeats)
    floor = floor_costs(x, args.repeats)
    print("\n| mmr op alone (same batch) | ms/batch |")
    print("|---|---:|")
    for name, v in costs.items():
        q1, q2, q3 = quartiles(v)
        print(f"| {name} | {1e3 * q2:.1f} ({1e3 * q1:.1f}-{1e3 * q3:.1f}) |")
    total = sum(quartiles(v)[1] for v in costs.values())
    draw, one, randn = (quartiles(v)[1] for v in floor.values())
    seq_ms = quartiles(seq)[1]
    print(f"| sum of the ops | {1e3 * total:.1f} |")
    print(f"\nfloor: noise draw {1e3 * draw:.1f} ms + one pass {1e3 * one:.1f} ms = "
          f"{1e3 * (draw + one):.1f} ms/batch ({args.batch / (draw + one):,.0f} images/s); "
          f"Sequential {1e3 * seq_ms:.1f} ms = {seq_ms / (draw + one):.2f}x the floor, "
          f"per-op {1e3 * quartiles(t['mmr per-op'])[1]:.1f} ms; torch.randn for the batch "
          f"{1e3 * randn:.1f} ms")
    if args.no_ops:
        return
    print("\n| op alone | mmr img/s | kornia img/s |" + (" monai img/s |" if monai else "")
          + " vs kornia |" + (" vs monai |" if monai else "") + " params B/sample |")
    print("|---|---:|---:|---:|---:|" + ("---:|---:|" if monai else ""))
    for name, fns in single.items():
        t = interleaved(fns, x, args.repeats)
        params = mops[name].sample(args.batch, 0)
        nbytes = sum(p.element_size() * p[0].numel() for p in ma.param_tensors(params))
        m, k = t["mmr_augment"], t["kornia"]
        n = t.get("monai (per sample)")
        print(f"| {name} | {args.batch / quartiles(m)[1]:,.0f} | "
              f"{args.batch / quartiles(k)[1]:,.0f} |"
              + (f" {args.batch / quartiles(n)[1]:,.0f} |" if n else "")
              + f" {ratio(k, m)} |" + (f" {ratio(n, m)} |" if n else "") + f" {nbytes} |")


if __name__ == "__main__":
    main()
