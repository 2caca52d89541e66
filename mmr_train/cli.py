"""``mmr-train``: the training package's command line.

Subcommands live in :data:`SUBCOMMANDS` as ``name -> module path``; each module defines
``HELP`` (one line), ``add_arguments(parser)`` and ``run(args) -> int``, and is imported only
when its subcommand runs (``--help`` stays fast). Adding ``eval`` is one line here.

Example:
    >>> args = build_parser("fit").parse_args(["fit", "--config", "c.yaml", "--out", "run"])
    >>> args.command, str(args.out)
    ('fit', 'run')
    >>> main(["fit", "--config", "missing.yaml", "--out", "run"])  # message on stderr
    2
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from mmr_augment.errors import MMRError

#: Subcommand name -> module with ``HELP``, ``add_arguments`` and ``run``.
SUBCOMMANDS: dict[str, str] = {
    "fit": "mmr_train.fit",
    "eval": "mmr_train.evaluate.command",
    "vqa": "mmr_train.vqa.command",
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser; only ``command``'s module is imported (all of them with None)."""
    parser = argparse.ArgumentParser(prog="mmr-train", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, module_path in SUBCOMMANDS.items():
        if command not in (None, name):
            sub.add_parser(name)
            continue
        module = importlib.import_module(module_path)
        module.add_arguments(sub.add_parser(name, help=module.HELP, description=module.HELP))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``mmr-train``; returns the exit status (2 for a usage or input error)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in argv if a in SUBCOMMANDS), None)
    args = build_parser(command).parse_args(argv)
    module = importlib.import_module(SUBCOMMANDS[args.command])
    try:
        return int(module.run(args))
    except MMRError as e:
        print(f"mmr-train {args.command}: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
