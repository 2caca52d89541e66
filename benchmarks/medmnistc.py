"""Side by side with MedMNIST-C: speed per chest corruption and severity, and strength ratio.

MedMNIST-C's functions come from its published package (PyPI ``medmnistc``), called as its
``DatasetManager`` calls them: per image, ``Image.fromarray(img).convert("RGB")``, the
corruption's ``apply(img, severity)``, then ``convert("L")``. mmr runs the ``medmnistc``
protocol (:mod:`mmr_augment.medmnistc`) on the whole batch (``--batch``, default 64), sampling
included (the op is built once, outside the timing). Strength: mean absolute change from
the clean image, mmr / MedMNIST-C (1 = same).
Timings are interleaved (theirs and ours per cell, the order alternating between rounds,
``--repeats`` rounds after ``--warmup`` untimed ones); the table gives the median speed-up
and its min-max over rounds.

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
import math
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
        films = generate(args.batch - len(pictures), args.size, seed=0).images[:, 0]
        pictures += [Image.fromarray((f.numpy() * 255).round().astype(np.uint8)) for f in films]
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


def measure(corruptor, op, images: np.ndarray, x: torch.Tensor, severity: int, seed: int,
            ours_first: bool) -> tuple[dict[str, float], dict[str, object]]:
    """One interleaved cell: seconds and output of MedMNIST-C's and mmr's call, in that order
    (``ours_first``: the other order)."""
    took, out = {}, {}
    for who in (("ours", "theirs") if ours_first else ("theirs", "ours")):
        t0 = time.perf_counter()
        out[who] = (theirs(corruptor, images, severity) if who == "theirs"
                    else ours(op, x, seed))
        took[who] = time.perf_counter() - t0
    return took, out


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
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    np.random.seed(0)
    corruptors = medmnistc_corruptors(args.deps)
    images = load_images(args)
    x = torch.from_numpy(images).float().div(255)[:, None]
    clean = images.astype(np.float64) / 255
    ops = {(n, s): medmnistc_op(n, s) for n in CHEST_CORRUPTIONS for s in range(1, 6)}
    speed, ratio = {}, {}
    start = time.perf_counter()
    for r in range(-args.warmup, args.repeats):  # r < 0: warm-up rounds, not counted
        t_round = time.perf_counter()
        for name in CHEST_CORRUPTIONS:
            for s in range(1, 6):
                # theirs first on even rounds, ours first on odd ones: no fixed order effect
                took, out = measure(corruptors[name], ops[(name, s)], images, x, s,
                                    seed=max(r, 0), ours_first=r % 2 == 1)
                ref, got = out["theirs"], out["ours"]
                if r >= 0:
                    speed.setdefault((name, s), []).append(took["theirs"] / took["ours"])
                if r == 0:
                    mine = (got[:, 0].double() - torch.from_numpy(clean)).abs().mean().item()
                    base = np.abs(ref / 255 - clean).mean()
                    ratio[(name, s)] = mine / base if base else float("nan")
        kind = "warm-up round" if r < 0 else f"round {r + 1}/{args.repeats}"
        print(f"{kind}: {time.perf_counter() - t_round:.0f} s", flush=True)
    print(f"batch {len(images)}, {args.size} px, {args.threads} threads, {args.repeats} rounds "
          f"after {args.warmup} warm-up, {time.perf_counter() - start:.0f} s")
    print("| corruption | speed-up s1..s5 (median [min-max]) | strength ratio s1..s5 |")
    print("|---|---|---|")
    for name in CHEST_CORRUPTIONS:
        cells = [speed[(name, s)] for s in range(1, 6)]
        text = " ".join(f"{statistics.median(c):.1f}x[{min(c):.1f}-{max(c):.1f}]" for c in cells)
        ratios = " ".join(f"{ratio[(name, s)]:.3f}" for s in range(1, 6))
        print(f"| {name} | {text} | {ratios} |")
    medians = [statistics.median(c) for c in speed.values()]
    geo = math.exp(sum(math.log(m) for m in medians) / len(medians))
    worst = min(medians)
    off = max(abs(v - 1) for v in ratio.values() if not math.isnan(v))
    print(f"\ngeometric mean speed-up {geo:.1f}x, slowest cell {worst:.2f}x, "
          f"largest strength-ratio deviation {off:.3f}")


if __name__ == "__main__":
    main()
