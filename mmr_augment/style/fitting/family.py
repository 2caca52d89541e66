"""Fit a :class:`~mmr_augment.style.StyleFamily`: one member per reference film.

Every member shares the non-tone stages of ``base`` (a style fitted to the whole site, e.g.
``ScannerStyle.fit(films, source=..., stages="all")``, or none) and carries its own film's
tone:

- ``match=0``: a fixed tone curve, the histogram matching of the source films (rendered by
  ``base``'s stages before the tone curve) onto that one film (``ScannerStyle.fit`` per film);
- ``match>0``: that film's intensity quantiles; at apply time each image's own histogram is
  matched onto them (weight ``match``), so the member adapts to whatever it restyles.

``pick="nearest"`` (quantiles are then kept whatever ``match``) renders each image with the
member whose film's quantiles lie closest to the image's own, or one of the ``neighbours``
closest (see :class:`~mmr_augment.style.StyleFamily`). ``texture > 0`` also records each
film's noise level (:func:`~mmr_augment.style.texture.film_noise`), toward which every
rendered image's noise level is moved with that strength. ``rim > 0`` also records each film's
border profile (:func:`~mmr_augment.style.rim.film_border`), toward which every rendered
image's rim is moved with that strength. ``export`` (a ``ScannerStyle``, e.g. the caption band
that ``ScannerStyle.fit`` found on the site's films) is applied to every image last.
"""

from __future__ import annotations

from typing import Any

import torch

from ...errors import ConfigError, check_fraction
from .._fit import matching_curve
from .._stage_table import STAGES
from ..family import sorted_quantiles
from ..rim import film_border
from ..texture import film_noise
from .search import pixel_sample
from .statistics import Films, film_batches

_PRE_TONE = tuple(list(STAGES)[:list(STAGES).index("tone")])


def film_quantiles(film: torch.Tensor, knots: int) -> list[float]:
    """Intensity quantiles of one film at ``knots`` evenly spaced probabilities in [0, 1].

    Example:
        >>> film_quantiles(torch.linspace(0, 1, 101).view(1, 1, 101), 3)
        [0.0, 0.5, 1.0]
    """
    flat = pixel_sample([film.detach().to("cpu", torch.float64)]).sort().values
    values = sorted_quantiles(flat[None], knots)[0].clamp(0.0, 1.0)
    return torch.cummax(values, 0).values.tolist()


def _pick(count: int, limit: int) -> list[int]:
    """At most ``limit`` indices spread evenly over ``range(count)``."""
    if count <= limit:
        return list(range(count))
    return sorted({round(i * (count - 1) / (limit - 1)) for i in range(limit)})


def fit_style_family(reference: Films, source: Films | None = None, *, match: float = 0.0,
                     base: Any = None, knots: int = 65, max_members: int = 256,
                     generator: torch.Generator | int = 0, name: str = "family",
                     pick: str = "random", neighbours: int = 1, texture: float = 0.0,
                     roughen: str = "sharpen", rim: float = 0.0, export: Any = None) -> Any:
    """A :class:`~mmr_augment.style.StyleFamily` with one member per reference film.

    Args:
        reference: the site's films: ``(B, C, H, W)`` or a list of ``(C, H, W)``, any sizes
            (members follow the films grouped by size, in order within a size).
        source: films like those the family will restyle (``match=0`` only; ``None``: a
            uniformly distributed input, as ``ScannerStyle.fit``).
        match: 0 for fixed per-film tone curves; in ``(0, 1]`` for per-image histogram
            matching to each film's quantiles with that weight (see the module doc).
        base: a ``ScannerStyle`` whose stages other than tone, window and invert every member
            keeps.
        knots: knots of the tone curves (or number of quantiles).
        max_members: at most this many members, from films spread evenly over the references.
        generator: seed of ``base``'s noise when rendering the source.
        name: the family's name.
        pick: ``"random"`` (a member drawn per image) or ``"nearest"`` (the member whose film
            is closest in intensity quantiles to the image).
        neighbours: with ``pick="nearest"``, one of this many closest members per image.
        texture: strength in ``[0, 1]`` of moving each image's noise level toward its member
            film's (0: not recorded, no change; see :class:`~mmr_augment.style.StyleFamily`).
        roughen: toward a noisier film, ``"sharpen"`` or ``"noise"`` (as the family's).
        rim: strength in ``[0, 1]`` of moving each image's rim toward its member film's
            border profile (0: not recorded, no change; films need more than 32 px per
            side).
        export: a ``ScannerStyle`` every image gets last, after the per-image steps (e.g.
            ``ScannerStyle.fit(films, stages=["caption"])``: the site's caption band).

    Example:
        >>> from mmr_augment.style import StyleFamily
        >>> dark, bright = torch.full((2, 1, 16, 16), 0.25), torch.full((2, 1, 16, 16), 0.75)
        >>> fam = fit_style_family(torch.cat([dark, bright]), match=1.0, knots=3)
        >>> len(fam), sorted({m["quantiles"][1] for m in fam.to_config()["members"]})
        (4, [0.25, 0.75])
    """
    from ..family import StyleFamily
    from ..scanner import ScannerStyle

    if isinstance(knots, bool) or not isinstance(knots, int) or not 2 <= knots <= 4096:
        raise ConfigError(f"fit_style_family: knots must be an int in 2..4096, got {knots!r}")
    if isinstance(max_members, bool) or not isinstance(max_members, int) or max_members < 2:
        raise ConfigError(f"fit_style_family: max_members must be an int >= 2, got "
                          f"{max_members!r}")
    match = check_fraction("fit_style_family", "match", match)
    texture = check_fraction("fit_style_family", "texture", texture)
    rim = check_fraction("fit_style_family", "rim", rim)
    for what, given in (("base", base), ("export", export)):
        if given is not None and not isinstance(given, ScannerStyle):
            raise ConfigError(f"fit_style_family: {what} must be a ScannerStyle, got {given!r}")
    films = [f for x in film_batches(reference, "fit_style_family (reference)") for f in x]
    films = [films[i] for i in _pick(len(films), max_members)]
    shared: dict[str, Any] = {} if base is None else {
        k: v for k, v in base.to_config().items()
        if k in STAGES and k not in ("tone", "window", "invert")}
    source_pixels = None
    if source is not None and match == 0:
        batches = film_batches(source, "fit_style_family (source)")
        pre = ScannerStyle(**{k: v for k, v in shared.items() if k in _PRE_TONE})
        source_pixels = pixel_sample([pre(x, generator=generator) for x in batches])
    members = []
    for i, film in enumerate(films):
        style = {"name": f"{name} film {i}", **shared}
        member: dict[str, Any] = {"style": style}
        if match > 0 or pick == "nearest":
            member["quantiles"] = film_quantiles(film, knots)
        if texture > 0:
            member["noise"] = max(float(film_noise(film[None])[0]), 1e-6)
        if rim > 0:
            member["border"] = [[round(v, 4) for v in row] for row in
                                film_border(film[None].detach().cpu())[0].tolist()]
        if match == 0:
            style["tone"] = {"kind": "lut", "curve": matching_curve(
                pixel_sample([film]), source_pixels, knots)}
        members.append(member)
    how = "per-image histogram matching to" if match > 0 else "tone curves fitted to"
    description = (f"{len(members)} members, {how} one reference film each"
                   + (f", on {base.name}'s other stages" if base is not None else ""))
    if pick == "nearest":
        description += f", picked per image: nearest of {neighbours} by quantiles"
    if texture > 0:
        description += (f", noise level moved toward the member film's (strength {texture:g}, "
                        f"{roughen})")
    if rim > 0:
        description += f", rim moved toward the member film's (strength {rim:g})"
    if export is not None:
        description += f", then {', '.join(export.stage_config) or 'no stage'} on every image"
    return StyleFamily(members, name=name, description=description, match=match,
                       pick=pick, neighbours=neighbours, texture=texture, roughen=roughen,
                       rim=rim, export=export)
