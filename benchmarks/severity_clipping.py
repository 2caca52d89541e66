"""Clipping per severity on films of different exposure: does severity 5 leave a radiograph
readable?

For every image op with a severity table (both directions of gamma / contrast / brightness)
and every scanner-style preset, at severities 1-5: the fraction of pixels that the op pushes
to <= 0.01 or >= 0.99 and that were not there before (pixels an op overwrites on purpose,
its occlusion mask, are left out), as the mean and the worst of ``--draws`` parameter draws, on
the pydicom-data CR chest film (a bright real film) and the phantom rendered dark, normal and
bright (``mmr_augment.testing.exposure``). Prints a markdown table (``docs/severity.md``);
exits 1 when an op or style whose table is ours (not MedMNIST-C's) goes over the bound.

    python benchmarks/severity_clipping.py [--size 128] [--draws 8] [--bound 0.2]
    python benchmarks/severity_clipping.py --styles-only --low 0.05 --high 0.95  # wash-out

``--low 0.05 --high 0.95`` counts near-black / near-white pixels instead (within 13 grey levels
of the ends of an 8-bit display): how much a style washes a film out without clipping it.
"""

from __future__ import annotations

import argparse
import sys
import time

import torch

from mmr_augment.testing.exposure import (
    MEDMNISTC_OPS,
    SEVERITY5_BOUND,
    cr_film,
    exposure_films,
    markdown_table,
    severity_ops,
    severity_rows,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=128, help="longer film side in pixels")
    parser.add_argument("--draws", type=int, default=8, help="parameter draws per severity")
    parser.add_argument("--bound", type=float, default=SEVERITY5_BOUND,
                        help="largest severity-5 mean added clipped fraction for our tables")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--low", type=float, default=0.01, help="saturated at or below")
    parser.add_argument("--high", type=float, default=0.99, help="saturated at or above")
    parser.add_argument("--styles-only", action="store_true", help="scanner styles only")
    ns = parser.parse_args(argv)
    torch.set_num_threads(1)
    films = {}
    real = cr_film(ns.size)
    if real is None:
        print("pydicom-data is not installed: the CR film row is left out", file=sys.stderr)
    else:
        films["CR film"] = real
    films.update(exposure_films(ns.size, ns.seed))
    start = time.perf_counter()
    ops = [o for o in severity_ops() if not ns.styles_only or o[0].startswith("style:")]
    rows = severity_rows(films, ops, draws=ns.draws, seed=ns.seed, low=ns.low, high=ns.high)
    print(markdown_table(rows, ns.bound))
    over = sorted({r.name for r in rows if r.mean[-1] > ns.bound
                   and r.name.split("(")[0] not in MEDMNISTC_OPS})
    print(f"\n{len(rows)} rows in {time.perf_counter() - start:.1f} s; over the bound "
          f"({ns.bound:.0%}) with our own table: {', '.join(over) or 'none'}", file=sys.stderr)
    return 1 if over else 0


if __name__ == "__main__":
    raise SystemExit(main())
