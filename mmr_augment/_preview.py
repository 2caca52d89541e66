"""Previews for ``mmr-augment preview``: image grids (ops x severities 1..5, or scanner-style
presets) and side-by-side report diffs (HTML or markdown) for text ops or report styles.

Example:
    >>> import torch
    >>> rows = image_rows(["GaussianNoise"])
    >>> grid = render_grid(torch.full((1, 1, 16, 16), 0.5), rows, seed=0)
    >>> [len(r) for r in grid], rows[0][0]
    ([6], 'GaussianNoise')
"""

from __future__ import annotations

import difflib
import html
import re
from collections.abc import Sequence
from pathlib import Path

import torch
import torch.nn.functional as F

from .core import REGISTRY, Perturbation
from .errors import ConfigError, InputError
from .extras import require

SEVERITIES = (1, 2, 3, 4, 5)
IMAGE_SUFFIXES = (".dcm", ".dicom", ".png", ".jpg", ".jpeg")
_TOKENS = re.compile(r"\s+|\S+\s*")  # words keep their trailing space: runs mark as one

require("preview", "matplotlib", "tqdm")  # the `preview` extra; says what to install if absent
from tqdm import tqdm  # noqa: E402


# ---------------------------------------------------------------------------- images
def load_preview_image(source: str, size: int = 256, seed: int = 0) -> torch.Tensor:
    """``(1, C, H, W)`` image from a DICOM / PNG / JPEG path or ``"synthetic"`` (a phantom),
    resized (area) so its longer side is at most ``size``."""
    if source == "synthetic":
        from .synthetic import generate

        return generate(1, size=size, seed=seed).images
    from .io import read_image

    x = read_image(source)[None]
    scale = size / max(x.shape[-2:])
    if scale < 1:
        shape = [max(1, round(s * scale)) for s in x.shape[-2:]]
        x = F.interpolate(x, size=shape, mode="area")
    return x


def _class(name: str, modality: str) -> type[Perturbation]:
    cls = REGISTRY.get(name)
    if cls is None or cls.modality != modality:
        names = sorted(n for n, c in REGISTRY.items() if c.modality == modality)
        close = difflib.get_close_matches(name, names, n=1)
        raise ConfigError(f"{name!r} is not a registered {modality} op"
                          + (f"; did you mean {close[0]}?" if close else "")
                          + " (`mmr-augment list` shows all)")
    if not cls.severity_table:
        raise ConfigError(f"{name} has no severity table, so it has no severities to preview")
    return cls


def image_rows(ops: Sequence[str] | None = None, styles: bool = False
               ) -> list[tuple[str, list[Perturbation]]]:
    """``(label, [op at severity 1..5])`` per image op (default: every image op with a
    severity table) or, with ``styles``, per scanner-style preset."""
    if styles:
        from .style import ScannerStyle

        names = ops or ScannerStyle.presets()
        return [(n, [ScannerStyle.preset(n, severity=s) for s in SEVERITIES]) for n in names]
    names = ops or sorted(n for n, c in REGISTRY.items() if c.modality == "image"
                          and c.severity_table and c.family != "scanner_style")
    return [(n, [_class(n, "image")(severity=s) for s in SEVERITIES]) for n in names]


def render_grid(image: torch.Tensor, rows: list[tuple[str, list[Perturbation]]], seed: int = 0
                ) -> list[list[torch.Tensor]]:
    """Per row: the clean image, then each op's output (same seed for every cell)."""
    out = []
    for _, ops in tqdm(rows, desc="preview", unit="op", leave=False, disable=len(rows) < 4):
        out.append([image[0]] + [op(image, generator=seed)[0] for op in ops])
    return out


#: Smallest cell side in pixels: below it the column titles ("severity 5") overlap.
MIN_CELL = 96
_DPI = 100


def grid_figure(image: torch.Tensor, rows: list[tuple[str, list[Perturbation]]],
                seed: int = 0, title: str = ""):
    """The matplotlib figure of :func:`render_grid`: one cell per image at the image's own pixel
    size (at least :data:`MIN_CELL` pixels on its longer side), so ``--size`` sets the cells;
    the title sits above the column titles (constrained layout keeps them apart)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cells = render_grid(image, rows, seed)
    h, w = image.shape[-2:]
    zoom = max(1.0, MIN_CELL / max(h, w))
    cell_w, cell_h = w * zoom / _DPI, h * zoom / _DPI
    # room per row for the column titles, and on the left for the row labels
    fig, axes = plt.subplots(len(rows), 6, squeeze=False, layout="constrained", dpi=_DPI,
                             figsize=(6 * cell_w + 0.5, len(rows) * (cell_h + 0.25)
                                      + (0.35 if title else 0.0)))
    for r, ((label, _), row) in enumerate(zip(rows, cells)):
        for c, cell in enumerate(row):
            ax = axes[r][c]
            pixels = cell.float().permute(1, 2, 0).clamp(0, 1).numpy()
            ax.imshow(pixels[..., 0] if pixels.shape[-1] == 1 else pixels, cmap="gray",
                      vmin=0, vmax=1, interpolation="nearest")
            ax.set_xticks([]), ax.set_yticks([])
            if r == 0:
                ax.set_title("clean" if c == 0 else f"severity {c}", fontsize=9)
        axes[r][0].set_ylabel(label, fontsize=9)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def save_grid_png(path: str | Path, image: torch.Tensor,
                  rows: list[tuple[str, list[Perturbation]]], seed: int = 0,
                  title: str = "") -> Path:
    """Render :func:`grid_figure` into one PNG."""
    fig = grid_figure(image, rows, seed, title)
    import matplotlib.pyplot as plt

    path = Path(path)
    fig.savefig(path, dpi=_DPI)
    plt.close(fig)
    return path


# ---------------------------------------------------------------------------- reports
def text_rows(ops: Sequence[str] | None = None, styles: bool = False, severity: int = 3
              ) -> list[tuple[str, Perturbation]]:
    """``(label, op)`` per text op (default: all with a severity table, at ``severity``) or,
    with ``styles``, per report-style preset."""
    from . import text  # noqa: F401  (registers the text ops; names the extra if missing)

    if styles:
        from .style import ReportStyle

        return [(n, ReportStyle.preset(n)) for n in (ops or ReportStyle.presets())]
    names = ops or sorted(n for n, c in REGISTRY.items() if c.modality == "text"
                          and c.severity_table)
    rows = []
    for n in names:
        cls = _class(n, "text")
        rows.append((f"{n} ({cls.effect.replace('_', '-')}, severity {severity})",
                     cls(severity=severity)))
    return rows


def _wrap(before: str, after: str):
    """Mark a run of text, leaving its leading / trailing whitespace outside the mark."""
    def mark(s: str) -> str:
        core = s.strip()
        if not core:
            return s
        start = s.index(core[0])
        return f"{s[:start]}{before}{core}{after}{s[start + len(core):]}"
    return mark


def _diff(old: str, new: str, mark_old, mark_new) -> tuple[str, str]:
    a, b = _TOKENS.findall(old), _TOKENS.findall(new)
    left, right = [], []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        old_part, new_part = "".join(a[i1:i2]), "".join(b[j1:j2])
        left.append(old_part if op == "equal" else mark_old(old_part) if old_part else "")
        right.append(new_part if op == "equal" else mark_new(new_part) if new_part else "")
    return "".join(left), "".join(right)


def report_diffs(text: str, rows: list[tuple[str, Perturbation]], seed: int = 0
                 ) -> list[tuple[str, str]]:
    """``(label, perturbed text)`` per row."""
    if not text.strip():
        raise InputError("the report is empty; pass a report text or a file that holds one")
    return [(label, op([text], generator=seed).texts[0]) for label, op in rows]


def diff_markdown(text: str, results: list[tuple[str, str]]) -> str:
    """Markdown: one section per op, a two-column table (deleted ``~~x~~``, inserted ``**x**``).

    Example:
        >>> md = diff_markdown("No large effusion.", [("WordDropout", "No effusion.")])
        >>> print(md.splitlines()[-1])
        | No ~~large~~ effusion. | No effusion. |
    """
    def cell(s: str) -> str:
        return s.replace("|", "\\|").replace("\n", "<br>")

    out = ["# Report perturbation preview", ""]
    for label, new in results:
        left, right = _diff(text, new, _wrap("~~", "~~"), _wrap("**", "**"))
        out += [f"## {label}", "", "| original | perturbed |", "| --- | --- |",
                f"| {cell(left)} | {cell(right)} |", ""]
    return "\n".join(out)


def diff_html(text: str, results: list[tuple[str, str]]) -> str:
    """A standalone HTML page: per op, original and perturbed side by side (``<del>`` /
    ``<ins>`` mark the changes)."""
    rows = []
    for label, new in results:
        left, right = _diff(html.escape(text), html.escape(new), _wrap("<del>", "</del>"),
                            _wrap("<ins>", "</ins>"))
        rows.append(f"<tr><th colspan=2>{html.escape(label)}</th></tr>"
                    f"<tr><td>{left}</td><td>{right}</td></tr>")
    style = ("body{font-family:sans-serif}td{white-space:pre-wrap;vertical-align:top;"
             "width:50%;border:1px solid #ccc;padding:4px}del{background:#fbb}"
             "ins{background:#bfb;text-decoration:none}th{text-align:left;padding-top:12px}")
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>mmr-augment preview"
            f"</title><style>{style}</style></head><body><table><tr><th>original</th>"
            f"<th>perturbed</th></tr>{''.join(rows)}</table></body></html>\n")
