"""``mmr-train shard MANIFEST --out DIR --shard-size N``: a manifest as WebDataset tar shards.

Train on them with ``data: {kind: webdataset, path: <the printed pattern>}``
(:mod:`mmr_train.data.shards`).

Example:
    >>> import argparse
    >>> parser = argparse.ArgumentParser(); add_arguments(parser)
    >>> ns = parser.parse_args(["m.csv", "--out", "shards", "--shard-size", "500"])
    >>> ns.shard_size, ns.size, ns.channels
    (500, 256, 1)
"""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "write a manifest (image, report, labels, domain) as WebDataset tar shards"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The subcommand's options."""
    parser.add_argument("manifest", type=Path, help="CSV / JSONL manifest")
    parser.add_argument("--out", type=Path, required=True, help="folder for the shards")
    parser.add_argument("--shard-size", type=int, default=1000, help="samples per shard")
    parser.add_argument("--size", type=int, default=256,
                        help="stored image side (shorter side resized, centre crop)")
    parser.add_argument("--channels", type=int, choices=[1, 3], default=1)


def run(args: argparse.Namespace) -> int:
    """Write the shards and print their pattern."""
    from .data.shards import write_shards

    pattern = write_shards(args.manifest, args.out, args.shard_size, size=args.size,
                           channels=args.channels)
    print(f"wrote {pattern}; train with data: {{kind: webdataset, path: '{pattern}'}}")
    return 0
