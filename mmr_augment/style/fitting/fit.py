"""Fit a site's scanner style: every stage that its films show, as data.

Order of work: stages read straight off the films (:mod:`.visible`: bit depth, JPEG blocking,
collimator shutters, caption bands); a first tone curve by histogram matching; the noise, MTF,
edge enhancement and resolution stages by analysis by synthesis (:mod:`.search`); and the final
tone curve, matched after the searched stages that come before it (as
``ScannerStyle.fit(..., base=...)`` does). Stages that a pixel-wise map cannot tell apart
(detector, window, invert) are folded into the tone curve; grid lines and laterality markers
are not detected. :class:`StyleFit` says which stage was estimated and how, and why the others
were not.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from ...errors import ConfigError
from .._fit import matching_curve
from .._stage_table import STAGES
from .search import KNOBS, START, pixel_sample, render_matched, renderer, search, search_steps
from .statistics import Films, FilmStatistics, film_batches, film_statistics
from .visible import BLOCKY, blockiness, caption_stage, collimation_stage, stored_bits

#: Stages this fit can estimate, in the order it estimates them.
FITTED = ("bit_depth", "jpeg", "collimation", "caption", "tone", "noise", "mtf", "edge",
          "resolution")
_NOT_FITTED = {
    "detector": "folded into the tone curve (pixel-wise maps are fitted as one curve)",
    "window": "folded into the tone curve (pixel-wise maps are fitted as one curve)",
    "invert": "folded into the tone curve (pixel-wise maps are fitted as one curve)",
    "grid": "not estimated: anti-scatter grid lines are not detected",
    "markers": "not estimated: laterality markers are not detected (caption bands are)",
}
_JPEG_QUALITIES = (10, 20, 30, 50, 70, 90)
#: Searched stages at these values do nothing visible and are left out of the style.
_IDENTITY = {("mtf", "sigma"): 0.05, ("edge", "amount"): 0.05}


@dataclass
class StyleFit:
    """What :func:`fit_scanner_style` found.

    Attributes:
        style: the fitted ``ScannerStyle`` (save it with ``style.to_yaml(path)``).
        estimated: stage -> how it was estimated (stages left out of the style as identity
            are listed too).
        not_estimated: stage -> why it was not.
        reference: statistics of the reference films.
        fitted: statistics of the source films rendered by ``style``.
        source: statistics of the source films as given.
    """

    style: Any
    estimated: dict[str, str] = field(default_factory=dict)
    not_estimated: dict[str, str] = field(default_factory=dict)
    reference: FilmStatistics | None = None
    fitted: FilmStatistics | None = None
    source: FilmStatistics | None = None


def _stage_names(stages: str | Sequence[str]) -> tuple[str, ...]:
    names = FITTED if stages == "all" else tuple(stages) if not isinstance(stages, str) \
        else (stages,)
    unknown = [s for s in names if s not in FITTED]
    if unknown or not names:
        raise ConfigError(f"ScannerStyle.fit: stages must be 'all' or a list of {list(FITTED)}, "
                          f"got {stages!r}")
    return tuple(s for s in FITTED if s in names)


def _subset(batches: list[torch.Tensor], limit: int) -> list[torch.Tensor]:
    """At most ``limit`` films, the first ones of each size in turn."""
    out, left = [], limit
    for x in batches:
        if left > 0:
            out.append(x[:left])
            left -= out[-1].shape[0]
    return out


def synthetic_source(batches: list[torch.Tensor], count: int, seed: int) -> list[torch.Tensor]:
    """Clean synthetic phantoms at the references' most common size (the default source)."""
    from ...synthetic import render_studies

    size = max(batches, key=lambda x: x.shape[0]).shape[-1]
    return [render_studies(torch.arange(count), size, seed).images.float()]


def fit_scanner_style(reference: Films, source: Films | None = None, *, base: Any = None,
                      stages: str | Sequence[str] = "all", knots: int = 65,
                      generator: torch.Generator | int = 0, name: str = "fitted",
                      max_films: int = 48, progress: Callable[[int], Callable[[], None]] | None
                      = None) -> StyleFit:
    """Estimate a site's scanner style from its films (see the module doc).

    Args:
        reference: the site's films: ``(B, C, H, W)`` or a list of ``(C, H, W)``, any sizes.
        source: films like those the style will restyle; ``None``: clean synthetic phantoms
            (for the tone curve alone, ``None`` keeps ``ScannerStyle.fit``'s uniform input).
        base: a style whose stages start the search and are kept where not fitted.
        stages: ``"all"`` or the stages to fit (see ``FITTED``).
        knots: knots of the tone curve.
        generator: seed of the noise used while searching.
        name: the style's name.
        max_films: films (of each set) rendered per search step; more is slower and steadier.
        progress: called with the number of search steps; returns a per-step callback.

    Example:
        >>> from mmr_augment import ScannerStyle
        >>> ref = ScannerStyle(mtf={"sigma": 1.5})(torch.rand(4, 1, 32, 32), generator=0)
        >>> result = fit_scanner_style(ref, torch.rand(4, 1, 32, 32), stages=["mtf"])
        >>> round(result.style.stage_config["mtf"]["sigma"], 1), result.not_estimated["grid"]
        (1.5, 'not estimated: anti-scatter grid lines are not detected')
    """
    from ..scanner import ScannerStyle

    names = _stage_names(stages)
    if isinstance(knots, bool) or not isinstance(knots, int) or not 2 <= knots <= 4096:
        raise ConfigError(f"ScannerStyle.fit: knots must be an int in 2..4096, got {knots!r}")
    seed = int(generator.initial_seed()) if isinstance(generator, torch.Generator) \
        else int(generator)
    ref = film_batches(reference, "ScannerStyle.fit (reference)")
    if source is not None:
        src = film_batches(source, "ScannerStyle.fit (source)")
    elif names != ("tone",):
        src = synthetic_source(ref, min(max_films, sum(len(x) for x in ref)), seed)
    else:
        src = None  # the tone curve alone maps a uniform input, as ScannerStyle.fit does
    config: dict[str, Any] = {}
    if base is not None:
        config = {k: v for k, v in base.to_config().items()
                  if k in STAGES and k not in ("tone", "window", "invert")}
    result = StyleFit(style=None, not_estimated=dict(_NOT_FITTED))
    result.reference = film_statistics(ref)
    target = film_statistics(_subset(ref, max_films))
    src_few = None if src is None else _subset(src, max_films)
    if src is not None:
        result.source = film_statistics(src)
    _fit_visible(names, ref, src_few, config, result)
    ref_pixels = pixel_sample(ref)
    if "tone" in names:
        first = None if src is None else pixel_sample(src)
        config["tone"] = {"kind": "lut", "curve": matching_curve(ref_pixels, first, knots)}
        result.estimated["tone"] = "histogram matching of the source onto the references"
    # the search refits the tone curve for every candidate: on fewer pixels
    matched = pixel_sample(ref, 1 << 16) if "tone" in names and src is not None else None
    knobs = tuple(k for k in KNOBS if k.stage in names)
    if knobs:
        for stage in {k.stage for k in knobs}:
            config[stage] = {**START[stage], **config.get(stage, {})}
        step = progress(search_steps(len(knobs))) if progress is not None else None
        config, _ = search(config, knobs,
                           renderer(ScannerStyle, src_few, matched, knots, seed), target, step)
        _report_search(knobs, config, result)
    if matched is not None:
        config = render_matched(ScannerStyle, config, src, ref_pixels, knots, seed)[1]
        before = [k for k in STAGES if k in config and list(STAGES).index(k)
                  < list(STAGES).index("tone")]
        if before:
            result.estimated["tone"] += f", after the fitted {', '.join(before)} stages"
    for stage in FITTED:
        if stage not in names:
            result.not_estimated[stage] = "not estimated: not asked for (stages=...)"
    skipped = ", ".join(f"{k} ({v.split(':')[0]})" for k, v in result.not_estimated.items())
    description = f"Fitted to {result.reference.count} films; not estimated: {skipped}"
    result.style = ScannerStyle(name=name, description=description, **config)
    if src_few is not None:
        result.fitted = film_statistics(render_matched(ScannerStyle, config, src_few, None,
                                                       knots, seed)[0])
    return result


def _report_search(knobs: tuple, config: dict[str, Any], result: StyleFit) -> None:
    """Record searched stages; drop those that came out as the identity."""
    for stage in dict.fromkeys(k.stage for k in knobs):
        values = {k.key: config[stage][k.key] for k in knobs if k.stage == stage}
        idle = (stage == "resolution" and values["scale"] >= 0.98) or any(
            (stage, key) in _IDENTITY and v < _IDENTITY[(stage, key)]
            for key, v in values.items())
        shown = ", ".join(f"{k} {v:.3g}" for k, v in values.items())
        if idle:
            del config[stage]
            result.estimated[stage] = f"analysis by synthesis: none ({shown})"
        else:
            result.estimated[stage] = f"analysis by synthesis: {shown}"


def _fit_visible(names: tuple[str, ...], ref: list[torch.Tensor],
                 src: list[torch.Tensor] | None, config: dict[str, Any],
                 result: StyleFit) -> None:
    """Bit depth, JPEG quality, shutters and caption bands, where the reference films show
    them."""
    found: dict[str, tuple[dict | None, str]] = {}
    if "bit_depth" in names:
        found["bit_depth"] = stored_bits(ref)
    if "jpeg" in names:
        found["jpeg"] = _jpeg_stage(ref, src)
    if "collimation" in names:
        found["collimation"] = collimation_stage(ref)
    if "caption" in names:
        found["caption"] = caption_stage(ref)
    for stage, (params, how) in found.items():
        if params is None:
            result.not_estimated[stage] = f"not estimated: {how}"
        else:
            config[stage] = params
            result.estimated[stage] = how


def _jpeg_stage(ref: list[torch.Tensor], src: list[torch.Tensor] | None
                ) -> tuple[dict | None, str]:
    """The JPEG quality whose blocking on the source matches the references' blocking."""
    from ...image import JPEG

    seen = blockiness(ref)
    if seen < BLOCKY:
        return None, (f"no 8x8 block pattern (blockiness {seen:.2f} < {BLOCKY}: not JPEG on "
                      f"this pixel grid, or resized after compression)")
    if src is None:
        return None, f"blockiness {seen:.2f} but no source films to calibrate quality on"
    gaps = {q: abs(blockiness([JPEG(quality=float(q))(x, generator=0) for x in src]) - seen)
            for q in _JPEG_QUALITIES}
    quality = min(gaps, key=gaps.__getitem__)
    return {"quality": float(quality)}, f"blockiness {seen:.2f} matched at quality {quality}"
