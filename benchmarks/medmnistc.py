"""Side by side with MedMNIST-C: speed per chest corruption and severity, and strength ratio.

MedMNIST-C's functions come from its published package (PyPI ``medmnistc``), called as its
``DatasetManager`` calls them: per image, ``Image.fromarray(img).convert("RGB")``, the
corruption's ``apply(img, severity)``, then ``convert("L")``. mmr runs the ``medmnistc``
protocol (:mod:`mmr_augment.medmnistc`) on the whole batch (``--batch``, default 64), sampling
included (the op is built once, outside the timing), in both variants (``--modes``): the
effective single-channel noise (``exact=False``, the default) and the RGB round trip
(``exact=True``). Strength: mean absolute change from the clean image, mmr / MedMNIST-C
(1 = same), with mmr's output as floats and rounded to 8 bits (MedMNIST-C's output is 8-bit:
Gaussian blur's small changes at severity 1 differ by their rounding only).
Timings are interleaved (MedMNIST-C and each variant per cell, the one that starts rotating
between rounds, ``--repeats`` rounds after ``--warmup`` untimed ones); the table gives the
median speed-up and its min-max over rounds. ``--timing cold`` (the default) times each call
right after the other calls of the cell; ``--timing steady`` runs each call first on another
batch (the same images in reverse order), untimed, and times the call right after it: the
state of a job that corrupts batch after batch, the same for both libraries.

Images: ``--dicom`` (a CR radiograph; default pydicom's ``CR_small.dcm`` test file when it is
available) tiled with synthetic films from :func:`mmr_augment.synthetic.generate`, or the PNGs
of ``--png-dir``; all grey, resized to ``--size`` (224).

MedMNIST-C needs scikit-image, OpenCV, Wand (ImageMagick) and torchvision. Install it into a
folder apart from the project venv; the script puts that folder and ``benchmarks/medmnistc_shim``
on the path. The shim holds a ``torchvision.transforms.functional`` with the two functions
MedMNIST-C calls, ``gaussian_blur`` and ``adjust_gamma``, as torchvision computes them
(torchvision's wheel does not import beside the CPU torch build here), and an import-only
``wand`` (ImageMagick's library is not installed here; only motion blur, not a chest
corruption, uses it)::

    pip install --target .medmnistc-deps --no-deps medmnistc
    pip install --target .medmnistc-deps scikit-image opencv-python-headless Wand
    python benchmarks/medmnistc.py --deps .medmnistc-deps [--repeats 5] [--batch 64]
"""

from __future__ import annotations

import argparse
import functools
import math
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from mmr_augment.medmnistc import CHEST_CORRUPTIONS, medmnistc_op
from mmr_augment.synthetic import generate

SHIM = Path(__file__).parent / "medmnistc_shim"
MODES = ("effective", "exact")


def load_images(args) -> np.ndarray:
    """``(N, size, size)`` uint8 grey images."""
    pictures = []
    if args.png_dir:
        for path in sorted(Path(args.png_dir).glob("*.png"))[: args.batch]:
            pictures.append(Image.open(path).convert("L").resize((args.size, args.size)))
    else:
        dicom = args.dicom
        if dicom is None:
            from pydicom.data import get_testdata_file
            dicom = get_testdata_file("CR_small.dcm")
        if dicom:
            import pydicom
            a = pydicom.dcmread(dicom).pixel_array.astype(np.float64)
            a = (a - a.min()) / max(a.max() - a.min(), 1) * 255
            pictures.append(Image.fromarray(a.round().astype(np.uint8)).resize(
                (args.size, args.size), Image.BILINEAR))
        # rendered at 64 px at least (the phantom's smallest design size), then resized, so
        # MedMNIST's 28 px works too
        films = generate(args.batch - len(pictures), max(args.size, 64), seed=0).images[:, 0]
        pictures += [Image.fromarray((f.numpy() * 255).round().astype(np.uint8)).resize(
            (args.size, args.size), Image.BILINEAR) for f in films]
    return np.stack([np.asarray(p) for p in pictures])


def medmnistc_corruptors(deps: str | None):
    for path in (deps, str(SHIM)):  # the shim first: its wand wins over an installed one
        if path and path not in sys.path:
            sys.path.insert(0, path)
    from medmnistc.corruptions.registry import CORRUPTIONS_DS
    chest = CORRUPTIONS_DS["chestmnist"]
    chest["impulse_noise"].rng = np.random.default_rng(0)  # as its DatasetManager sets it
    return chest


def theirs(corruptor, images: np.ndarray, severity: int) -> np.ndarray:
    out = []
    for img in images:
        rgb = Image.fromarray(img).convert("RGB")
        out.append(np.asarray(Image.fromarray(corruptor.apply(rgb, severity - 1)).convert("L")))
    return np.stack(out)


def ours(op, x: torch.Tensor, seed: int) -> torch.Tensor:
    return op.apply(x, op.sample(len(x), torch.Generator().manual_seed(seed)))


def measure(calls: dict[str, object], first: int, before: dict[str, object] | None = None
            ) -> tuple[dict[str, float], dict[str, object]]:
    """One interleaved cell: seconds and output of each call, starting with call ``first``
    (mod their number) and going round, so no call always runs first. With ``before`` (the
    same calls on another batch), each timed call comes right after its own untimed one: the
    steady state of a job that corrupts batch after batch."""
    names = list(calls)
    took, out = {}, {}
    for k in range(len(names)):
        who = names[(first + k) % len(names)]
        if before is not None:
            before[who]()
        t0 = time.perf_counter()
        out[who] = calls[who]()
        took[who] = time.perf_counter() - t0
    return took, out


def strength(got: torch.Tensor, clean: np.ndarray) -> tuple[float, float]:
    """Mean absolute change of mmr's output from ``clean``, as floats and rounded to 8 bits
    (how MedMNIST-C's output, and a stored corrupted dataset, comes)."""
    y = got[:, 0].double().numpy()
    return (float(np.abs(y - clean).mean()),
            float(np.abs(np.round(y * 255) / 255 - clean).mean()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--deps", help="folder MedMNIST-C and its dependencies are in")
    parser.add_argument("--dicom", help="a CR DICOM file (default: pydicom's CR_small.dcm)")
    parser.add_argument("--png-dir", help="a folder of radiograph PNGs instead")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=1,
                        help="untimed rounds first (first-call costs: thread pools, caches)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES),
                        help="mmr protocol variants to time: effective (single-channel noise) "
                             "and exact (noise through the RGB round trip)")
    parser.add_argument("--timing", choices=("cold", "steady"), default="cold",
                        help="cold: each call right after the others' calls (interleaved); "
                             "steady: each timed call right after the same call on another "
                             "batch (the same images in reverse order), as in a job that "
                             "corrupts batch after batch")
    parser.add_argument("--corruptions", nargs="+", choices=list(CHEST_CORRUPTIONS),
                        default=list(CHEST_CORRUPTIONS),
                        help="time only these corruptions (a quick check of a few ops)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    np.random.seed(0)
    corruptors = medmnistc_corruptors(args.deps)
    images = load_images(args)
    x = torch.from_numpy(images).float().div(255)[:, None]
    other = np.ascontiguousarray(images[::-1])  # steady timing's untimed batch
    x_other = torch.from_numpy(other).float().div(255)[:, None]
    clean = images.astype(np.float64) / 255
    ops = {(m, n, s): medmnistc_op(n, s, exact=m == "exact")
           for m in args.modes for n in args.corruptions for s in range(1, 6)}
    speed, ratio = {}, {}
    start = time.perf_counter()
    for r in range(-args.warmup, args.repeats):  # r < 0: warm-up rounds, not counted
        t_round = time.perf_counter()
        for name in args.corruptions:
            for s in range(1, 6):
                calls = {"theirs": functools.partial(theirs, corruptors[name], images, s)}
                calls |= {m: functools.partial(ours, ops[(m, name, s)], x, max(r, 0))
                          for m in args.modes}
                before = None
                if args.timing == "steady":
                    before = {"theirs": functools.partial(theirs, corruptors[name], other, s)}
                    before |= {m: functools.partial(ours, ops[(m, name, s)], x_other, max(r, 0))
                               for m in args.modes}
                took, out = measure(calls, r, before)
                base = np.abs(out["theirs"] / 255 - clean).mean()
                for m in args.modes:
                    if r >= 0:
                        speed.setdefault((m, name, s), []).append(took["theirs"] / took[m])
                    if r == 0:
                        ratio[(m, name, s)] = tuple(v / base if base else float("nan")
                                                    for v in strength(out[m], clean))
        kind = "warm-up round" if r < 0 else f"round {r + 1}/{args.repeats}"
        print(f"{kind}: {time.perf_counter() - t_round:.0f} s", flush=True)
    tuning = {k: v for k, v in os.environ.items()
              if k.startswith(("MALLOC_", "GOMP_", "OMP_", "KMP_")) or k == "LD_PRELOAD"}
    print(f"batch {len(images)}, {args.size} px, {args.threads} threads, {args.timing} timing, "
          f"{args.repeats} rounds after {args.warmup} warm-up, "
          f"{time.perf_counter() - start:.0f} s, allocator and "
          f"OpenMP settings {tuning or 'default'}")
    for m in args.modes:
        report(m, {k[1:]: v for k, v in speed.items() if k[0] == m},
               {k[1:]: v for k, v in ratio.items() if k[0] == m})


def report(mode: str, speed: dict, ratio: dict) -> None:
    """The markdown table of one protocol variant and its summary line."""
    print(f"\n{mode}: speed-up (MedMNIST-C time / mmr time) and strength ratio (mmr / "
          f"MedMNIST-C mean absolute change; 8-bit: mmr's output rounded to 8 bits)\n")
    print("| corruption | speed-up s1..s5 (median [min-max]) | strength ratio s1..s5 | "
          "8-bit strength ratio s1..s5 |")
    print("|---|---|---|---|")
    for name in dict.fromkeys(k[0] for k in speed):
        cells = [speed[(name, s)] for s in range(1, 6)]
        text = " ".join(f"{statistics.median(c):.1f}x[{min(c):.1f}-{max(c):.1f}]" for c in cells)
        ratios = [" ".join(f"{ratio[(name, s)][k]:.3f}" for s in range(1, 6)) for k in (0, 1)]
        print(f"| {name} | {text} | {ratios[0]} | {ratios[1]} |")
    medians = [statistics.median(c) for c in speed.values()]
    geo = math.exp(sum(math.log(m) for m in medians) / len(medians))
    for k, label in ((0, "float"), (1, "8-bit")):
        values = [v[k] for v in ratio.values() if not math.isnan(v[k])]
        inside = sum(abs(v - 1) <= 0.05 for v in values)
        print(f"{label} strength ratios within 5%: {inside} of {len(values)} cells, largest "
              f"deviation {max(abs(v - 1) for v in values):.3f}")
    print(f"geometric mean speed-up {geo:.1f}x, slowest cell {min(medians):.2f}x, cells under "
          f"2x: {sum(m < 2 for m in medians)} of {len(medians)}")


if __name__ == "__main__":
    main()
