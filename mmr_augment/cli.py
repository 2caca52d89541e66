"""``mmr-augment``: inspect the registry and what a policy does.

Example:
    >>> main(["list", "--json"])  # doctest: +ELLIPSIS
    [...
    0
"""

from __future__ import annotations

import argparse
import inspect
import json
import sys
from collections.abc import Sequence
from typing import Any

from . import core
from .errors import MMRError


def describe_op(name: str) -> dict[str, Any]:
    """Name, modality, family, arguments with defaults and severity table of a registered op."""
    cls = core.REGISTRY[name]
    args = {}
    for pname, param in inspect.signature(cls.__init__).parameters.items():
        if pname == "self" or param.kind in (param.VAR_KEYWORD, param.VAR_POSITIONAL):
            continue
        default = param.default
        args[pname] = None if default is inspect.Parameter.empty else core._to_plain(default)
    doc = (inspect.getdoc(cls) or "").split("\n", 1)[0]
    return {"name": name, "modality": cls.modality, "family": cls.family,
            "effect": getattr(cls, "effect", None), "summary": doc, "arguments": args,
            "severity": {k: list(v) for k, v in cls.severity_table.items()}}


def _cmd_list(ns: argparse.Namespace) -> int:
    rows = [describe_op(n) for n in sorted(core.REGISTRY)]
    if ns.modality:
        rows = [r for r in rows if r["modality"] == ns.modality]
    if ns.json:
        print(json.dumps(rows, indent=1))
        return 0
    for r in rows:
        sev = "; ".join(f"{k}: {v}" for k, v in r["severity"].items()) or "-"
        print(f"{r['name']:<22} {r['modality']:<6} {r['family']:<16} severity {sev}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mmr-augment", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("list", help="registered ops: modality, family, arguments, severities")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--modality", choices=["image", "text", "any"])
    p.set_defaults(func=_cmd_list)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    ns = parser.parse_args(argv)
    try:
        return ns.func(ns)
    except (MMRError, FileNotFoundError) as e:  # a clear message instead of a traceback
        print(f"mmr-augment: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
