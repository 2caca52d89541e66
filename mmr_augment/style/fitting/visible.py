"""Stages read straight off the reference films: stored bit depth, JPEG blocking, shutters,
caption bands.

Each estimator returns the stage dict, or ``None`` with the reason it found nothing.

Example:
    >>> x = (torch.rand(2, 1, 32, 32, generator=torch.Generator().manual_seed(0)) * 15).round() / 15
    >>> stored_bits([x])
    ({'bits': 4}, '16 grey levels')
"""

from __future__ import annotations

import torch

#: Blockiness (edge jump at 8-px block boundaries over elsewhere) above which films count as
#: JPEG-compressed on their pixel grid; uncompressed films and resized JPEGs sit near 1.
BLOCKY = 1.08
_SHUTTER_STD, _SHUTTER_MIN = 0.01, 0.01
#: A caption band's lines are darker than this share of the film's median; the band is at most
#: ``CAPTION_MAX`` of the film's height (a longer dark run is a shutter or letterbox) and holds
#: text: its 99th percentile at least ``CAPTION_TEXT`` above its median.
CAPTION_DARK, CAPTION_MAX, CAPTION_TEXT = 0.35, 0.06, 0.05


def stored_bits(batches: list[torch.Tensor]) -> tuple[dict | None, str]:
    """The smallest bit depth ``k <= 16`` whose grid ``i / (2^k - 1)`` holds every value."""
    x = torch.cat([b.flatten() for b in batches]).to(torch.float64)
    for bits in range(1, 17):
        scaled = x * (2 ** bits - 1)
        if bool(((scaled - scaled.round()).abs() < 1e-3).all()):
            return {"bits": bits}, f"{2 ** bits} grey levels"
    return None, "values are not on a grid of at most 2^16 levels (resized or float films)"


def blockiness(batches: list[torch.Tensor]) -> float:
    """Mean jump across 8-px block boundaries over the mean jump elsewhere (rows and columns).

    Example:
        >>> x = torch.rand(1, 1, 32, 32, generator=torch.Generator().manual_seed(0))
        >>> blocks = x[..., ::8, ::8].repeat_interleave(8, -2).repeat_interleave(8, -1)
        >>> round(blockiness([x]), 1), round(blockiness([0.2 * x + blocks]), 1)
        (0.9, 5.8)
    """
    ratios = []
    for x in batches:
        for dim in (-1, -2):
            jump = x.diff(dim=dim).abs().mean(dim=(0, 1, -1 if dim == -2 else -2))
            edge = torch.arange(jump.numel()) % 8 == 7
            ratios.append(float(jump[edge].mean() / jump[~edge].mean().clamp_min(1e-12)))
    return sum(ratios) / len(ratios)


def shutter_margins(batches: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """``(N, 4)`` fraction of each side (top, bottom, left, right) covered by a uniform band,
    and the mean value of each side's outermost line."""
    rows, values = [], []
    for x in batches:
        h, w = x.shape[-2:]
        sides = (x[:, 0], x[:, 0].flip(-2), x[:, 0].transpose(-1, -2),
                 x[:, 0].transpose(-1, -2).flip(-2))
        widths, outer = [], []
        for side, n in zip(sides, (h, h, w, w)):
            uniform = side.std(-1) < _SHUTTER_STD                 # (B, lines from that edge)
            run = uniform.to(torch.int64).cumprod(-1).sum(-1)     # leading uniform lines
            widths.append(run.to(torch.float64) / n)
            outer.append(side[:, 0].mean(-1).to(torch.float64))
        rows.append(torch.stack(widths, -1))
        values.append(torch.stack(outer, -1))
    return torch.cat(rows), torch.cat(values)


def quartile_range(values: torch.Tensor, digits: int) -> list[float]:
    """``[q25, q75]`` of ``values`` rounded to ``digits`` places, the upper at least 1e-3 above
    the lower (a stage's range must not be empty).

    Example:
        >>> quartile_range(torch.tensor([0.1, 0.1, 0.1, 0.1]), 3)
        [0.1, 0.101]
    """
    lo, hi = float(values.quantile(0.25)), float(values.quantile(0.75))
    return [round(lo, digits), round(max(hi, lo + 1e-3), digits)]


def collimation_stage(batches: list[torch.Tensor]) -> tuple[dict | None, str]:
    """Shutters if some films show uniform border bands: margin range and ``p`` from them."""
    margins, values = shutter_margins(batches)
    margins = margins.clamp(max=0.45)
    shown = margins.amax(-1) >= _SHUTTER_MIN
    if not bool(shown.any()):
        return None, "no uniform border bands (no collimator shutters visible)"
    seen = margins[shown]
    fill = float(values[margins >= _SHUTTER_MIN].median())
    stage = {"margin": quartile_range(seen, 3), "angle": 0.0,
             "fill": round(fill, 3), "p": round(float(shown.double().mean()), 3)}
    return stage, f"uniform border bands on {int(shown.sum())} of {shown.numel()} films"


def caption_bands(batches: list[torch.Tensor], edge: str) -> torch.Tensor:
    """``(N, 4)`` per film: the height (fraction of the film's) of the caption band along its
    ``edge`` (``"bottom"`` or ``"top"``; 0 where there is none), the band's median (its level)
    and 99th percentile (its text), and the film's height in px.

    Example:
        >>> x = torch.full((1, 1, 40, 40), 0.5)
        >>> x[..., -2:, :] = 0.05
        >>> x[..., -2:, 10:14] = 0.3  # text in the band
        >>> [round(v, 2) for v in caption_bands([x], "bottom")[0].tolist()]
        [0.05, 0.05, 0.3, 40.0]
    """
    rows = []
    for x in batches:
        grey = x[:, 0] if edge == "top" else x[:, 0].flip(-2)     # (B, H, W), edge first
        h = grey.shape[-2]
        median = grey.flatten(1).median(1).values
        dark = grey.mean(-1) < CAPTION_DARK * median[:, None]     # (B, lines from the edge)
        run = dark.to(torch.int64).cumprod(-1).sum(-1)
        for film, lines in zip(grey, run.tolist()):
            band = film[:lines].flatten().to(torch.float64)
            level, text = (float(band.median()), float(band.quantile(0.99))) if lines else (0, 0)
            found = 0 < lines <= CAPTION_MAX * h and text - level >= CAPTION_TEXT
            rows.append([lines / h if found else 0.0, level, text, float(h)])
    return torch.tensor(rows, dtype=torch.float64).view(-1, 4)


def caption_stage(batches: list[torch.Tensor]) -> tuple[dict | None, str]:
    """A caption band if some films show one (a dark strip with text along the bottom or top
    edge): the edge where more films do, height, level and text value ranges (their quartiles)
    and ``p`` from them."""
    found = {edge: caption_bands(batches, edge) for edge in ("bottom", "top")}
    edge = max(found, key=lambda e: int((found[e][:, 0] > 0).sum()))
    bands = found[edge]
    shown = bands[:, 0] > 0
    if not bool(shown.any()):
        return None, "no dark band with text along the top or bottom edge (no caption visible)"
    seen = bands[shown]
    stage = {"height": quartile_range(seen[:, 0], 4), "level": quartile_range(seen[:, 1], 4),
             "text_value": quartile_range(seen[:, 2], 4), "edge": edge,
             "p": round(float(shown.double().mean()), 3)}
    lines = seen[:, 0] * seen[:, 3]
    return stage, (f"a caption band along the {edge} edge on {int(shown.sum())} of "
                   f"{shown.numel()} films ({float(lines.median()):.0f} px, median)")
