"""``mmr-augment corrupt MANIFEST --families all --severities 1-5 --out DIR``.

Example:
    >>> import argparse
    >>> parser = argparse.ArgumentParser(); add_arguments(parser)
    >>> ns = parser.parse_args(["m.csv", "--out", "c", "--families", "jpeg"])
    >>> ns.severities, ns.engine, ns.seed
    ('1-5', 'local', 0)
"""

from __future__ import annotations

import argparse

HELP = "corrupted copies of a dataset per family and severity (a -C benchmark), resumable"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The subcommand's options."""
    parser.add_argument("manifest", help="CSV / JSONL manifest: id, image, report, ...")
    parser.add_argument("--out", required=True, help="output folder (a rerun resumes it)")
    parser.add_argument("--families", default="all",
                        help="all, image, text or comma-separated family names")
    parser.add_argument("--severities", default="1-5", help="e.g. 1-5 or 1,3,5")
    parser.add_argument("--seed", type=int, default=0, help="base seed of every sample's params")
    parser.add_argument("--engine", choices=["local", "ray"], default="local",
                        help="local processes, or Ray Data map_batches on a Ray cluster")
    parser.add_argument("--workers", type=int, default=None,
                        help="local processes (default: CPU count)")
    parser.add_argument("--chunk-size", type=int, default=32, help="samples per task")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(func=run)


def run(ns: argparse.Namespace) -> int:
    """Build the copies; print what was built and what was already complete."""
    from .build import build_corruptions
    from .families import parse_severities, select_families

    summary = build_corruptions(
        ns.manifest, ns.out, select_families(ns.families), parse_severities(ns.severities),
        seed=ns.seed, engine=ns.engine, workers=ns.workers, chunk_size=ns.chunk_size,
        progress=not ns.no_progress)
    print(f"built {len(summary.built)} cells, {len(summary.skipped)} already complete; "
          f"manifests in {summary.out}")
    return 0
