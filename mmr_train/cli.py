"""``mmr-train``: the training package's command line.

Subcommands live in :data:`SUBCOMMANDS` as ``name -> module path``; each module defines
``HELP`` (one line), ``add_arguments(parser)`` and ``run(args) -> int``, and is imported only
when its subcommand runs: ``mmr-train --help`` reads each ``HELP`` from the source, so it
imports no training code. Adding a subcommand is one line here.

Example:
    >>> args = build_parser("fit").parse_args(["fit", "--config", "c.yaml", "--out", "run"])
    >>> args.command, str(args.out)
    ('fit', 'run')
    >>> main(["fit", "--config", "missing.yaml", "--out", "run"])  # message on stderr
    2
"""

from __future__ import annotations

import argparse
import ast
import importlib
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from mmr_augment.errors import MMRError

#: Subcommand name -> module with ``HELP``, ``add_arguments`` and ``run``.
SUBCOMMANDS: dict[str, str] = {
    "manifest": "mmr_train.make_manifest",
    "fit": "mmr_train.fit",
    "eval": "mmr_train.evaluate.command",
    "shard": "mmr_train.shard",
    "vqa": "mmr_train.vqa.command",
}


def add_paths(parser: argparse.ArgumentParser, helps: Mapping[str, str], *,
              required: bool = False) -> None:
    """Path options of a subcommand, ``flag -> help`` in order: required, or ``None`` when
    left out.

    Example:
        >>> parser = argparse.ArgumentParser()
        >>> add_paths(parser, {"--images": "image folder"}, required=True)
        >>> add_paths(parser, {"--out": "output (default: next to the images)"})
        >>> parser.parse_args(["--images", "a"])
        Namespace(images=PosixPath('a'), out=None)
    """
    for flag, text in helps.items():
        if required:
            parser.add_argument(flag, required=True, type=Path, help=text)
        else:
            parser.add_argument(flag, type=Path, default=None, help=text)


def help_line(module_path: str) -> str:
    """A subcommand module's ``HELP`` string, read from its source without importing it.

    Example:
        >>> help_line("mmr_train.fit").startswith("train")
        True
    """
    package = Path(__file__).parent
    source = package.joinpath(*module_path.split(".")[1:]).with_suffix(".py").read_text("utf-8")
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == \
                ["HELP"]:
            return ast.literal_eval(node.value)
    return ""


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser; only ``command``'s module is imported (none with None: help from source)."""
    from mmr_train import __version__

    parser = argparse.ArgumentParser(prog="mmr-train",
                                     description=__doc__.split("\n")[0].replace("``", ""))
    parser.add_argument("--version", action="version", version=f"mmr-train {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, module_path in SUBCOMMANDS.items():
        if command != name:
            sub.add_parser(name, help=help_line(module_path) if command is None else None)
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
