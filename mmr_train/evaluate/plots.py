"""Figures (matplotlib, Agg backend): robustness curves, per-domain bars, a perturbation gallery.

Every function takes evaluation results (:class:`~.results.EvaluationResult`, one per seed
and model), writes one PNG and returns its path.

Example:
    >>> import tempfile
    >>> from .results import Corruption, FamilyScores, ModalityMeans, Scores
    >>> jpeg = FamilyScores("image", None, {"1": 0.8, "2": 0.7}, {"1": None, "2": None}, 0.15)
    >>> cor = Corruption(Scores(0.9, None), [1, 2], {"jpeg": jpeg},
    ...                  ModalityMeans(0.15, None, 0.15))
    >>> robustness_curves({"m": [cor]}, Path(tempfile.mkdtemp()) / "c.png").name
    'c.png'
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402

from .corruption import CorruptionBank  # noqa: E402
from .results import Corruption, DomainScores  # noqa: E402


def _mean_std(values: Sequence[float | None]) -> tuple[float, float]:
    """Mean and std of the measured values (NaN, drawn as a gap, when none is measured)."""
    values = [v for v in values if v is not None]
    if not values:
        return math.nan, 0.0
    return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def severity_panels(panels: dict[str, dict[str, dict[int, Sequence[float]]]],
                    path: str | Path, ylabel: str) -> Path:
    """One panel per title: a score vs severity (0 = clean) per model, mean over seeds with a
    +-1 std band (``panels``: title -> model -> severity -> the score of each seed).

    Example:
        >>> import tempfile
        >>> panels = {"jpeg (image)": {"m": {0: [0.9, 0.8], 1: [0.7, 0.7]}}}
        >>> severity_panels(panels, Path(tempfile.mkdtemp()) / "s.png", "accuracy").name
        's.png'
    """
    cols = min(8, len(panels))
    rows = math.ceil(len(panels) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(2.2 * cols, 1.9 * rows), squeeze=False,
                             sharey=True)
    for ax, (title, models) in zip(axes.flat, panels.items(), strict=False):
        for model, by_severity in models.items():
            sev = list(by_severity)
            stats = [_mean_std(by_severity[s]) for s in sev]
            ax.plot(sev, [m for m, _ in stats], marker=".", label=model)
            ax.fill_between(sev, [m - d for m, d in stats], [m + d for m, d in stats], alpha=0.2)
        ax.set_title(title, fontsize=7)
        ax.tick_params(labelsize=6)
    for ax in list(axes.flat)[len(panels):]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=6)
    fig.supxlabel("severity (0 = clean)", fontsize=8)
    fig.supylabel(ylabel, fontsize=8)
    return _save(fig, path)


def robustness_curves(runs: dict[str, Sequence[Corruption]], path: str | Path) -> Path:
    """One panel per corruption family: probe accuracy vs severity (0 = clean) per model,
    mean over seeds with a +-1 std band (``runs``: model -> corruption results per seed)."""
    first = next(iter(runs.values()))[0].families
    panels = {f"{name} ({fam.modality})": {
        model: {0: [r.clean.accuracy for r in results]}
        | {int(s): [r.families[name].accuracy[s] for r in results]
           for s in results[0].families[name].accuracy}
        for model, results in runs.items()} for name, fam in first.items()}
    return severity_panels(panels, path, "probe accuracy")


def domain_bars(runs: dict[str, Sequence[DomainScores]], path: str | Path) -> Path:
    """Probe accuracy per test domain, bars per model, +-1 std (``runs``: model -> the fused
    cross-domain scores per seed)."""
    first = next(iter(runs.values()))[0]
    domains, held = list(first.per_domain), set(first.domains.held_out)
    fig, ax = plt.subplots(figsize=(1.4 * len(domains) + 2, 3.2))
    width = 0.8 / len(runs)
    for i, (model, results) in enumerate(runs.items()):
        stats = [_mean_std([r.per_domain[d].macro.accuracy for r in results])
                 for d in domains]
        ax.bar([j + i * width for j in range(len(domains))], [m for m, _ in stats], width,
               yerr=[s for _, s in stats], label=model, capsize=2)
    ax.set_xticks([j + width * (len(runs) - 1) / 2 for j in range(len(domains))])
    ax.set_xticklabels([f"{d}\n({'held-out' if d in held else 'source'})" for d in domains],
                       fontsize=6)
    ax.set_ylabel("probe accuracy (macro)")
    low = min(p.get_height() for p in ax.patches)
    ax.set_ylim(max(0.0, low - 0.1), 1.0)
    ax.legend(fontsize=7)
    return _save(fig, path)


def gallery(bank: CorruptionBank, path: str | Path, index: int = 0,
            severities: Sequence[int] = (1, 3, 5)) -> Path:
    """One study under every image family at a few severities (clean image first)."""
    names = [n for n, f in bank.families.items() if f.modality == "image"]
    fig, axes = plt.subplots(len(severities), len(names) + 1,
                             figsize=(1.1 * (len(names) + 1), 1.2 * len(severities)),
                             squeeze=False)
    for r, s in enumerate(severities):
        axes[r, 0].imshow(bank.images[index, 0].float(), cmap="gray", vmin=0, vmax=1)
        axes[r, 0].set_title("clean" if r == 0 else "", fontsize=6)
        axes[r, 0].set_ylabel(f"severity {s}", fontsize=6)
        for c, name in enumerate(names, start=1):
            image = bank.get(name, s)[0][index, 0]
            axes[r, c].imshow(torch.as_tensor(image).float(), cmap="gray", vmin=0, vmax=1)
            if r == 0:
                axes[r, c].set_title(name, fontsize=5, rotation=30)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    return _save(fig, path)


def _save(fig: Any, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
