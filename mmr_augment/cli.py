"""``mmr-augment``: inspect the registry, preview ops, describe policies, mine lexicons.

Commands:

- ``list``: registered ops (modality, family, arguments, severities).
- ``preview SOURCE``: an image (DICOM / PNG / JPEG path or ``synthetic``) -> one PNG grid of
  ops x severities 1..5 (``--styles``: scanner-style presets); a report (``.txt`` file or a
  string) -> a side-by-side diff per text op (``--styles``: report-style presets), HTML or
  markdown.
- ``describe POLICY.yaml``: ops, modes, drops, severities and a seeded sample run.
- ``lexicon mine CORPUS.txt --out abbreviations.tsv``: abbreviation pairs from a corpus.
- ``corrupt MANIFEST --out DIR``: corrupted copies per family and severity
  (:mod:`mmr_augment.corrupt`).
- ``fit-style FOLDER --out site.yaml``: a site's scanner style fitted from its films.

Errors (missing files, bad configs) print one line and exit with code 2.

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
from pathlib import Path
from typing import Any

from . import core
from .errors import InputError, MMRError
from .style.fitting.command import add_fit_style_command


def describe_op(name: str) -> dict[str, Any]:
    """Name, modality, family, arguments with defaults and severity table of a registered op."""
    cls = core.REGISTRY[name]
    args = {}
    for pname, param in inspect.signature(cls.__init__).parameters.items():
        if pname == "self" or param.kind in (param.VAR_KEYWORD, param.VAR_POSITIONAL):
            continue
        default = param.default
        args[pname] = None if default is inspect.Parameter.empty else core.to_plain(default)
    doc = (inspect.getdoc(cls) or "").split("\n", 1)[0]
    return {"name": name, "modality": cls.modality, "family": cls.family,
            "effect": getattr(cls, "effect", None), "summary": doc, "arguments": args,
            "severity": {k: list(v) for k, v in cls.severity_table.items()}}


def _cmd_list(ns: argparse.Namespace) -> int:
    from .extras import load_optional_ops

    for extra in load_optional_ops():
        print(f"(ops of mmr[{extra}] not shown: pip install 'mmr[{extra}]')", file=sys.stderr)
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


def _source_kind(source: str, forced: str | None) -> str:
    """``"image"`` or ``"report"``; a path-like source that does not exist is an error."""
    if forced:
        return forced
    from ._preview import IMAGE_SUFFIXES

    if source == "synthetic":
        return "image"
    path = Path(source)
    suffix = path.suffix.lower() if len(source) < 4096 and "\n" not in source else ""
    if suffix in IMAGE_SUFFIXES + (".txt", ".md") and not path.is_file():
        raise InputError(f"file not found: {source}")
    if suffix in (".txt", ".md"):
        return "report"
    if suffix and path.is_file():
        return "image"
    return "report"


def _cmd_preview(ns: argparse.Namespace) -> int:
    from . import _preview as pv

    kind = _source_kind(ns.source, ns.kind)
    if kind == "image":
        out = Path(ns.out or "preview.png")
        rows = pv.image_rows(ns.ops, styles=ns.styles)  # bad op names fail before any work
        image = pv.load_preview_image(ns.source, size=ns.size, seed=ns.seed)
        pv.save_grid_png(out, image, rows, seed=ns.seed, title=f"{ns.source} (seed {ns.seed})")
    else:
        path = Path(ns.source)
        text = path.read_text(encoding="utf-8") if path.suffix.lower() in (".txt", ".md") \
            else ns.source
        fmt = ns.format or ("markdown" if (ns.out or "").endswith(".md") else "html")
        out = Path(ns.out or ("preview.md" if fmt == "markdown" else "preview.html"))
        rows = pv.text_rows(ns.ops, styles=ns.styles, severity=ns.severity)
        results = pv.report_diffs(text, rows, seed=ns.seed)
        page = pv.diff_markdown(text, results) if fmt == "markdown" else \
            pv.diff_html(text, results)
        out.write_text(page, encoding="utf-8")
    print(f"wrote {out}")
    return 0


def _cmd_describe(ns: argparse.Namespace) -> int:
    from ._describe import describe, format_description, sample_run
    from .config import load_config

    op = load_config(ns.config)
    info = describe(op)
    run = None if ns.samples == 0 else sample_run(op, n=ns.samples, size=ns.size, seed=ns.seed)
    if ns.json:
        print(json.dumps({**info, "sample_run": run}, indent=1))
    else:
        print(format_description(info, run))
    return 0


def _read_corpus(path: str) -> list[str]:
    """Reports of a corpus file: separated by blank lines, or one per line if none are."""
    file = Path(path)
    if not file.is_file():
        raise InputError(f"corpus file not found: {path}")
    text = file.read_text(encoding="utf-8", errors="replace")
    blocks = [b.strip() for b in text.split("\n\n") if b.strip()]
    return blocks if len(blocks) > 1 else [line for line in text.splitlines() if line.strip()]


def _cmd_lexicon_mine(ns: argparse.Namespace) -> int:
    from collections import Counter

    from .extras import require

    require("text", "spacy", "scispacy", "tqdm")
    from tqdm import tqdm

    from .text.mine import mine_abbreviations, write_abbreviation_file

    texts = _read_corpus(ns.corpus)
    if not texts:
        raise InputError(f"{ns.corpus} holds no text; give one report per line or paragraph")
    counts: dict[str, Counter[str]] = {}
    # one report at a time (as fast as one batch here) so the bar moves; counts are per report
    for text in tqdm(texts, desc="mining", unit="report", disable=len(texts) < 200):
        for short, long in mine_abbreviations([text]).items():
            counts.setdefault(short, Counter())[long] += 1
    pairs = {short: c.most_common(1)[0][0] for short, c in sorted(counts.items())
             if c.most_common(1)[0][1] >= ns.min_count}
    out = write_abbreviation_file(pairs, ns.out)
    print(f"wrote {len(pairs)} abbreviation pairs from {len(texts)} reports to {out}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mmr-augment", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("list", help="registered ops: modality, family, arguments, severities")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--modality", choices=["image", "text", "any"])
    p.set_defaults(func=_cmd_list)

    p = sub.add_parser("preview", help="image grid (PNG) or report diff (HTML / markdown)")
    p.add_argument("source", help="DICOM / PNG / JPEG path, 'synthetic', a .txt report or a "
                                  "report string")
    p.add_argument("--kind", choices=["image", "report"], help="force how SOURCE is read")
    p.add_argument("--ops", nargs="+", help="op names (default: all with severities)")
    p.add_argument("--styles", action="store_true", help="style presets instead of ops")
    p.add_argument("--out", help="output file (default preview.png / .html / .md)")
    p.add_argument("--format", choices=["html", "markdown"], help="report diff format")
    p.add_argument("--severity", type=int, choices=range(1, 6), default=3,
                   help="severity of the text ops (images show 1..5)")
    p.add_argument("--size", type=int, default=256, help="longest image side in pixels")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=_cmd_preview)

    p = sub.add_parser("describe", help="what a policy config does, with a sample run")
    p.add_argument("config", help="policy or op config (.yaml / .json)")
    p.add_argument("--samples", type=int, default=16, help="synthetic studies (0: no run)")
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_cmd_describe)

    p = sub.add_parser("lexicon", help="build lexicon files from a corpus")
    lex = p.add_subparsers(dest="lexicon_command", required=True)
    m = lex.add_parser("mine", help="'long form (SF)' abbreviation pairs -> abbreviations.tsv")
    m.add_argument("corpus", help="text file: one report per paragraph (or per line)")
    m.add_argument("--out", required=True, help="output .tsv (load with load_lexicon)")
    m.add_argument("--min-count", type=int, default=1,
                   help="keep pairs whose long form is defined in this many reports")
    m.set_defaults(func=_cmd_lexicon_mine)

    from .corrupt import command as corrupt

    corrupt.add_arguments(sub.add_parser("corrupt", help=corrupt.HELP))
    add_fit_style_command(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    ns = parser.parse_args(argv)
    try:
        return ns.func(ns)
    except (MMRError, OSError) as e:  # one clear line instead of a traceback
        message = " ".join(str(e).split())
        if isinstance(e, OSError) and not isinstance(e, MMRError):
            message = f"{e.strerror or type(e).__name__}: {e.filename or message}"
        print(f"mmr-augment: error: {message}", file=sys.stderr)
        return 2


__all__ = ["build_parser", "describe_op", "main"]

if __name__ == "__main__":
    sys.exit(main())
