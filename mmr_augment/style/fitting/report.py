"""The fit report: the site's and the fitted style's curves side by side, as one PNG.

Three panels: intensity histogram, noise power spectrum and radial power spectrum of the
reference films, of the source films rendered by the fitted style and (dashed) of the source
films as given. matplotlib (the ``preview`` extra) is imported only when a report is drawn.
"""

from __future__ import annotations

from pathlib import Path

import torch

from .fit import StyleFit
from .statistics import HIST_BINS, FilmStatistics


def save_fit_report(result: StyleFit, path: str | Path, title: str = "") -> Path:
    """Write the report figure of ``result`` to ``path`` (PNG) and return the path.

    Example:
        >>> import tempfile
        >>> from mmr_augment.style.fitting import fit_scanner_style
        >>> x = torch.rand(2, 1, 32, 32, generator=torch.Generator().manual_seed(0))
        >>> fit = fit_scanner_style(x, x, stages=["tone"])
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     save_fit_report(fit, f"{tmp}/report.png").stat().st_size > 10_000
        True
    """
    from ...extras import require

    require("preview", "matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    curves: list[tuple[str, FilmStatistics, str]] = [("site (reference)", result.reference, "-")]
    if result.fitted is not None:
        curves.append(("source, fitted style", result.fitted, "-"))
    if result.source is not None:
        curves.append(("source as given", result.source, "--"))
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    levels = (torch.arange(HIST_BINS) + 0.5) / HIST_BINS
    f = FilmStatistics.frequencies()
    for label, stats, line in curves:
        axes[0].plot(levels, stats.histogram, line, label=label)
        axes[1].plot(f, stats.nps, line, label=label)
        axes[2].plot(f, stats.spectrum, line, label=label)
    for ax, (name, unit) in zip(axes, (("intensity histogram", "intensity"),
                                       ("noise power spectrum (residual)", "cycles / pixel"),
                                       ("radial power spectrum", "cycles / pixel"))):
        ax.set_title(name)
        ax.set_xlabel(unit)
    axes[0].set_ylabel("density")
    axes[1].set_ylabel("log10 power")
    axes[2].set_ylabel("log10 power")
    axes[0].legend(fontsize=8)
    fig.suptitle(title or result.style.name)
    fig.tight_layout()
    out = Path(path)
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out
