"""Image pipeline throughput: mmr_augment vs kornia.augmentation vs MONAI (per sample).

The same 6-family pipeline, p=1, same strengths: Gaussian noise (std 0.05), Gaussian blur
(kernel 5, sigma 0.1-2.0), gamma (0.7-1.5), contrast (0.8-1.2), brightness (0.9-1.1),
erasing / cutout (2-10 % of the area). Runs are interleaved; the median of ``--repeats`` is
reported. Also prints each op alone and the bytes of params per sample.

Semantics differ in two rows (the pipeline keeps kornia's cheaper ops): kornia's
``RandomContrast`` only multiplies (mmr and MONAI subtract each image's mean first), so the
per-op table adds a ``contrast_mean`` row against kornia's mean-subtracting ``ColorJitter``;
kornia's ``RandomBrightness`` adds ``factor - 1`` where mmr and MONAI multiply by ``factor``.

    python benchmarks/image_throughput.py [--batch 64] [--size 224] [--repeats 7]
"""

from __future__ import annotations

import argparse
import statistics
import time

import kornia.augmentation as K
import monai.transforms as mt
import torch

import mmr_augment as ma


def mmr_ops() -> dict[str, ma.Perturbation]:
    return {
        "gaussian_noise": ma.GaussianNoise(std=0.05),
        "gaussian_blur": ma.GaussianBlur(kernel_size=5, sigma=(0.1, 2.0)),
        "gamma": ma.Gamma(gamma=(0.7, 1.5)),
        "contrast": ma.Contrast(factor=(0.8, 1.2)),
        "brightness": ma.Brightness(factor=(0.9, 1.1)),
        "cutout": ma.Cutout(holes=1, area=(0.02, 0.10)),
    }


def kornia_ops() -> dict[str, torch.nn.Module]:
    return {
        "gaussian_noise": K.RandomGaussianNoise(std=0.05, p=1.0),
        "gaussian_blur": K.RandomGaussianBlur((5, 5), (0.1, 2.0), p=1.0),
        "gamma": K.RandomGamma((0.7, 1.5), p=1.0),
        "contrast": K.RandomContrast((0.8, 1.2), p=1.0),
        "brightness": K.RandomBrightness((0.9, 1.1), p=1.0),
        "cutout": K.RandomErasing(scale=(0.02, 0.10), p=1.0),
    }


def monai_ops(size: int) -> dict[str, object]:
    side = (int(size * 0.14), int(size * 0.32))  # 2-10 % of the area for a square hole
    return {
        "gaussian_noise": mt.RandGaussianNoise(prob=1.0, std=0.05, sample_std=False),
        "gaussian_blur": mt.RandGaussianSmooth((0.1, 2.0), (0.1, 2.0), prob=1.0),
        "gamma": mt.RandAdjustContrast(prob=1.0, gamma=(0.7, 1.5)),
        "contrast": mt.RandScaleIntensityFixedMean(prob=1.0, factors=0.2),
        "brightness": mt.RandScaleIntensity(factors=0.1, prob=1.0),
        "cutout": mt.RandCoarseDropout(holes=1, spatial_size=side[0], max_spatial_size=side[1],
                                       fill_value=0.0, prob=1.0),
    }


def runners(size: int):
    mops, kops, nops = mmr_ops(), kornia_ops(), monai_ops(size)
    g = torch.Generator().manual_seed(0)
    mmr_seq = ma.Sequential(list(mops.values()))
    kor_seq = K.AugmentationSequential(*kops.values())
    mon_seq = mt.Compose(list(nops.values()))
    for t in mon_seq.transforms:
        t.set_random_state(0)

    def monai_per_sample(x, compose):
        return torch.stack([torch.as_tensor(compose(s)) for s in x])

    pipeline = {
        "mmr_augment": lambda x: mmr_seq(x, generator=g),
        "kornia": lambda x: kor_seq(x),
        "monai (per sample)": lambda x: monai_per_sample(x, mon_seq),
    }
    mops["contrast_mean"] = mops["contrast"]  # same op, against a mean-subtracting kornia op
    kops["contrast_mean"] = K.ColorJitter(contrast=(0.8, 1.2), p=1.0)
    nops["contrast_mean"] = nops["contrast"]
    single = {name: {"mmr_augment": (lambda x, op=mops[name]: op(x, generator=g)),
                     "kornia": (lambda x, op=kops[name]: op(x)),
                     "monai (per sample)": (lambda x, op=nops[name]:
                                            monai_per_sample(x, mt.Compose([op])))}
              for name in mops}
    return pipeline, single, mops


def timeit(fns: dict, x: torch.Tensor, repeats: int) -> dict[str, float]:
    times: dict[str, list[float]] = {k: [] for k in fns}
    for fn in fns.values():  # warm-up
        fn(x)
    for _ in range(repeats):  # interleaved
        for k, fn in fns.items():
            t0 = time.perf_counter()
            fn(x)
            times[k].append(time.perf_counter() - t0)
    return {k: statistics.median(v) for k, v in times.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    x = torch.rand(args.batch, 1, args.size, args.size,
                   generator=torch.Generator().manual_seed(0))
    pipeline, single, mops = runners(args.size)
    print(f"batch {args.batch} x 1 x {args.size} x {args.size} float32, {args.threads} threads,"
          f" median of {args.repeats} interleaved runs, torch {torch.__version__}\n")
    print("| pipeline | images/s | mmr speed-up |")
    print("|---|---:|---:|")
    t = timeit(pipeline, x, args.repeats)
    for k, v in t.items():
        print(f"| {k} | {args.batch / v:,.0f} | {v / t['mmr_augment']:.2f}x |")
    print("\n| op alone | mmr img/s | kornia img/s | monai img/s | vs kornia | vs monai |"
          " params B/sample |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, fns in single.items():
        t = timeit(fns, x, args.repeats)
        params = mops[name].sample(args.batch, 0)
        nbytes = sum(p.element_size() * p[0].numel() for p in ma.core._leaves(params))
        m, k, n = t["mmr_augment"], t["kornia"], t["monai (per sample)"]
        print(f"| {name} | {args.batch / m:,.0f} | {args.batch / k:,.0f} | {args.batch / n:,.0f}"
              f" | {k / m:.2f}x | {n / m:.2f}x | {nbytes} |")


if __name__ == "__main__":
    main()
