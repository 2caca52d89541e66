"""``StyleFamily``: a site's spread of looks, one member style per reference film, one member
drawn per image.

A site is not one look: films come from several rooms, sizes and default windowings. A family
holds members (each a fixed :class:`~mmr_augment.style.ScannerStyle`, optionally with the
intensity quantiles of the film it was fitted to), picks one member per sample and renders each
sample with its member; samples sharing a member run as one batch. ``pick="random"`` draws the
member with ``weights``; ``pick="nearest"`` takes the member whose quantiles lie closest to the
image's own (root mean square over the quantiles; with ``neighbours=k``, one of the ``k``
closest, drawn uniformly), so each image takes the look of a site film that already resembles
it. With
``match > 0`` each rendered image is then histogram-matched to its member's quantiles (the
image's own intensity CDF, a per-image tone curve like a console's automatic VOI), blended with
weight ``match``. With ``texture > 0`` each rendered image's noise level (see
:mod:`mmr_augment.style.texture`) is then moved toward its member film's ``noise``, with
strength ``texture``: blurred toward a smoother film; toward a noisier one its own residual is
amplified (``roughen="sharpen"``) or white noise added (``roughen="noise"``). With ``rim > 0``
each rendered image's rim (its outer rings, see :mod:`mmr_augment.style.rim`) is then moved
toward its member film's ``border`` profile (per edge and ring: its level, and its drop below
the band just inside), with strength ``rim``: a rim dropping deeper than the member's is lifted
along the edge where it is dark, one brighter than the member's darkened per edge. Last, an
``export`` style (a :class:`~mmr_augment.style.ScannerStyle` shared by all members, e.g. the
site's caption band) is applied to every image: what a site burns in or exports after its tone
processing, which the steps above stand for, comes after them.
:meth:`ScannerStyle.fit_family` fits a family from a site's films.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import torch
from torch import nn

from .._rng import draw_seeds
from ..core import Params, slice_params
from ..errors import ConfigError, check_fraction
from ..image.base import ImagePerturbation
from ..image.tone_curve import apply_lut
from ._files import StyleFiles
from .rim import RATIO_MAX, match_rim
from .scanner import ScannerStyle
from .texture import ROUGHEN, match_texture

FAMILY_HEADER = """\
# A style family for mmr_augment.StyleFamily: one site's spread of looks.
# Each member is a ScannerStyle config (see a ScannerStyle file for its stages), with an
# optional `quantiles` list (its film's intensity quantiles at evenly spaced probabilities
# 0..1) and a `weight`. One member is picked per image (pick: random, by weight, or nearest:
# one of the `neighbours` members whose quantiles lie closest to the image's own); with
# match > 0 the rendered image is histogram-matched to its member's quantiles, blended with
# weight `match`. A member's optional `noise` is its film's noise level; with texture > 0 each
# rendered image's noise level is moved toward it (blur; sharpen or noise, as `roughen` says),
# with that strength. A member's optional `border` is its film's rim profile, 8 rows of one
# number per ring k px from the edge: rows 0-3 the ring's level (its mean over the film's
# interior mean) at the top, bottom, left, right edges, rows 4-7 its drop there (how far it lies
# below the band just inside, along the edge); with rim > 0 each rendered image's rim is moved
# toward it with that strength (a deeper drop lifted along the edge, a brighter level darkened).
# An optional `export` (a ScannerStyle config, e.g. a caption band) is applied to every image
# last, after the matching, texture and rim steps.
"""
FAMILY_FILES = StyleFiles("scanner", "StyleFamily", FAMILY_HEADER, "members")
_MEMBER_KEYS = ("style", "quantiles", "weight", "noise", "border")
PICKS = ("random", "nearest")


def sorted_pixels(x: torch.Tensor, pixels: int = 1 << 16) -> torch.Tensor:
    """``(B, N)`` float64: at most about ``pixels`` of each image's pixels (every k-th),
    sorted.

    Example:
        >>> sorted_pixels(torch.tensor([3.0, 1.0, 2.0, 0.0]).view(1, 1, 1, 4), 2).tolist()
        [[2.0, 3.0]]
    """
    flat = x.detach().reshape(x.shape[0], -1)
    return flat[:, ::max(1, flat.shape[1] // pixels)].to(torch.float64).sort(1).values


def image_quantiles(x: torch.Tensor, knots: int, pixels: int = 1 << 16) -> torch.Tensor:
    """``(B, knots)`` float64 intensity quantiles of each image at evenly spaced
    probabilities in ``[0, 1]``, read from its :func:`sorted_pixels`.

    Example:
        >>> image_quantiles(torch.linspace(0, 1, 101).view(1, 1, 1, 101), 3).tolist()
        [[0.0, 0.5, 1.0]]
    """
    return sorted_quantiles(sorted_pixels(x, pixels), knots)


def sorted_quantiles(rows: torch.Tensor, knots: int) -> torch.Tensor:
    """``(B, knots)`` quantiles of each sorted row of ``rows`` ``(B, N)`` at evenly spaced
    probabilities in ``[0, 1]`` (linear interpolation between order statistics).

    Example:
        >>> sorted_quantiles(torch.tensor([[0.0, 1.0, 2.0]]), 5).tolist()
        [[0.0, 0.5, 1.0, 1.5, 2.0]]
    """
    n = rows.shape[1]
    position = torch.linspace(0.0, 1.0, knots, dtype=rows.dtype, device=rows.device) * (n - 1)
    lo = position.floor().long()
    hi = (lo + 1).clamp(max=n - 1)
    return torch.lerp(rows[:, lo], rows[:, hi], position - lo)


def matching_curves(x: torch.Tensor, quantiles: torch.Tensor, pixels: int = 1 << 16
                    ) -> torch.Tensor:
    """``(B, K)`` tone curves mapping each image's own intensity CDF onto ``quantiles[b]``
    (``K`` values at evenly spaced probabilities), at ``K`` evenly spaced inputs; batched.

    Each image's CDF is read from at most about ``pixels`` of its pixels (every k-th), at mid
    rank: an input level that many pixels share exactly (a black border, saturated white) maps
    to the quantile at the middle of their CDF range, not its top, so black is not lifted to
    the quantile where the image's black ends.

    Example:
        >>> x = torch.linspace(0, 1, 1001).view(1, 1, 1, 1001)
        >>> q = torch.linspace(0, 1, 5).view(1, 5) ** 2
        >>> [round(v, 2) for v in matching_curves(x, q)[0].tolist()]
        [0.0, 0.06, 0.25, 0.56, 1.0]
    """
    b, k = quantiles.shape
    flat = sorted_pixels(x, pixels)
    levels = torch.linspace(0.0, 1.0, k, dtype=torch.float64, device=flat.device)
    grid = levels.expand(b, k).contiguous()
    cdf = torch.searchsorted(flat, grid, right=True) + torch.searchsorted(flat, grid)
    position = cdf.to(torch.float64) / (2 * flat.shape[1]) * (k - 1)
    lo = position.floor().long().clamp(max=k - 2)
    q = quantiles.to(device=flat.device, dtype=torch.float64)
    return torch.lerp(q.gather(1, lo), q.gather(1, lo + 1), position - lo)


def _border(i: int, border: Any) -> list[list[float]]:
    """A member's ``border`` profile as 8 lists of one length (a clear error otherwise)."""
    rows = list(border) if isinstance(border, (list, tuple)) else []
    rows = [list(r) if isinstance(r, (list, tuple)) else [] for r in rows]
    if len(rows) != 8 or not 1 <= len(rows[0]) <= 64 or len({len(r) for r in rows}) != 1 \
            or any(isinstance(v, bool) or not isinstance(v, (int, float))
                   or not 0 <= v <= RATIO_MAX for r in rows for v in r):
        raise ConfigError(f"StyleFamily: member {i}'s border must be 8 lists (levels, then "
                          f"drops, of the top, bottom, left, right edges) of 1..64 numbers in "
                          f"[0, {RATIO_MAX:g}] (mmr_augment.style.rim.film_border), got "
                          f"{border!r}")
    return [[float(v) for v in r] for r in rows]


class _Member(NamedTuple):
    """One member's checked values (see :class:`StyleFamily`)."""

    style: ScannerStyle
    quantiles: list[float] | None
    weight: float
    noise: float | None
    border: list[list[float]] | None


def _scanner_style(style: Any, what: str) -> ScannerStyle:
    """A ``ScannerStyle`` or its config -> the style (a clear error otherwise)."""
    if isinstance(style, Mapping):
        style = dict(style)
        if style.pop("type", "ScannerStyle") != "ScannerStyle":
            raise ConfigError(f"StyleFamily: {what} must be a ScannerStyle config")
        style = ScannerStyle(**style)
    if not isinstance(style, ScannerStyle) or style.value_range != (0.0, 1.0):
        raise ConfigError(f"StyleFamily: {what} must be a ScannerStyle (or its config) on the "
                          f"default value range, got {style!r}")
    return style


def _member(i: int, given: Any) -> _Member:
    """One member mapping -> its checked values (clear errors otherwise)."""
    if not isinstance(given, Mapping) or any(k not in _MEMBER_KEYS for k in given):
        raise ConfigError(f"StyleFamily: member {i} must be a mapping with keys among "
                          f"{list(_MEMBER_KEYS)}, got {given!r}")
    style = _scanner_style(given.get("style") or {}, f"member {i}'s style")
    weight = given.get("weight", 1.0)
    if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not weight >= 0:
        raise ConfigError(f"StyleFamily: member {i}'s weight must be a number >= 0, got "
                          f"{weight!r}")
    quantiles = given.get("quantiles")
    if quantiles is not None:
        values = list(quantiles) if isinstance(quantiles, (list, tuple)) else []
        if not 2 <= len(values) <= 4096 or any(
                isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v <= 1
                for v in values) or any(b < a for a, b in zip(values, values[1:])):
            raise ConfigError(f"StyleFamily: member {i}'s quantiles must be 2..4096 "
                              f"non-decreasing numbers in [0, 1], got {quantiles!r}")
        quantiles = [float(v) for v in values]
    noise = given.get("noise")
    if noise is not None and (isinstance(noise, bool) or not isinstance(noise, (int, float))
                              or not 0 < noise <= 1):
        raise ConfigError(f"StyleFamily: member {i}'s noise must be a number in (0, 1] (its "
                          f"film's noise level, mmr_augment.style.texture.film_noise), got "
                          f"{noise!r}")
    border = given.get("border")
    return _Member(style, quantiles, float(weight), None if noise is None else float(noise),
                   None if border is None else _border(i, border))


def _every_member_or_none(values: list, what: str, rule: str = "") -> torch.Tensor | None:
    """One member value per member (``None`` where not given) as a float64 tensor, ``None``
    when no member gives it; a :class:`ConfigError` unless every member gives it, all of one
    shape (``rule`` says so in the message)."""
    if all(v is None for v in values):
        return None
    if any(v is None for v in values) or len({torch.tensor(v).shape for v in values}) != 1:
        raise ConfigError(f"StyleFamily: give {what} for every member or none"
                          + (f", {rule}" if rule else ""))
    return torch.tensor(values, dtype=torch.float64)


class StyleFamily(ImagePerturbation):
    """One member style drawn per image (see the module doc); a policy op like any other.

    Args:
        members: list of mappings ``{"style": ScannerStyle or its config, "quantiles":
            [...], "weight": w, "noise": level, "border": profile}`` (each key optional: no
            style is the identity, the default weight 1; ``noise``: the film's
            :func:`~mmr_augment.style.texture.film_noise`, for ``texture``; ``border``: its
            :func:`~mmr_augment.style.rim.film_border`, 8 lists: levels, drops; for ``rim``).
        name: the family's name.
        description: free text, kept in the config.
        match: weight in ``[0, 1]`` of the per-image histogram matching to the member's
            quantiles (every member then needs quantiles of one length).
        pick: ``"random"`` (drawn with the weights) or ``"nearest"`` (the member whose
            quantiles are closest to the image's; members of weight 0 are never picked).
        neighbours: with ``pick="nearest"``, one of this many closest members, drawn
            uniformly per image (1: the nearest).
        texture: strength in ``[0, 1]`` of moving each image's noise level toward its
            member's ``noise`` (every member then needs one; 0: no change, 1: all the way).
        roughen: how an image is brought up to a noisier member: ``"sharpen"`` (its own
            high-pass residual amplified) or ``"noise"`` (white Gaussian noise added).
        rim: strength in ``[0, 1]`` of moving each image's rim toward its member's
            ``border`` (every member then needs one, all of one length; 0: no change).
        export: a ``ScannerStyle`` (or its config) applied to every image last, after the
            steps above (``None``: none).
        p: probability that a sample is styled.
        value_range: the images' value range.

    Example:
        >>> fam = StyleFamily([{"style": {"mtf": {"sigma": 1.0}}, "quantiles": [0.0, 0.5, 1.0]},
        ...                    {"quantiles": [0.0, 0.2, 1.0]}], match=0.5)
        >>> x = torch.rand(4, 1, 16, 16, generator=torch.Generator().manual_seed(0))
        >>> params = fam.sample(4, 0)
        >>> params["index"].tolist(), torch.equal(fam.apply(x, params), fam.apply(x, params))
        ([1, 1, 0, 0], True)
    """

    family = "scanner_style"

    def __init__(self, members: Sequence[Mapping[str, Any]], name: str = "family",
                 description: str = "", match: float = 0.0, pick: str = "random",
                 neighbours: int = 1, texture: float = 0.0, roughen: str = "sharpen",
                 rim: float = 0.0, export: Any = None, *,
                 p: float = 1.0, value_range=(0.0, 1.0)) -> None:
        super().__init__(p=p, value_range=value_range)
        if not isinstance(name, str) or not isinstance(description, str):
            raise ConfigError("StyleFamily: name and description must be strings")
        if isinstance(members, (str, Mapping)) or not isinstance(members, Sequence) \
                or not members:
            raise ConfigError(f"StyleFamily: members must be a non-empty list of member "
                              f"mappings, got {members!r}")
        match = check_fraction("StyleFamily", "match", match)
        parsed = [_member(i, m) for i, m in enumerate(members)]
        self.name, self.description, self.match = name, description, match
        self.styles = nn.ModuleList(m.style for m in parsed)
        self.weights = torch.tensor([m.weight for m in parsed], dtype=torch.float64)
        if float(self.weights.sum()) <= 0:
            raise ConfigError("StyleFamily: the member weights must not all be 0")
        given = [m.quantiles for m in parsed]
        self.quantiles = _every_member_or_none(given, "quantiles", "all of one length")
        if self.match > 0 and self.quantiles is None:
            raise ConfigError("StyleFamily: match > 0 needs every member's quantiles")
        if pick not in PICKS:
            raise ConfigError(f"StyleFamily: pick must be one of {list(PICKS)}, got {pick!r}")
        if pick == "nearest" and self.quantiles is None:
            raise ConfigError("StyleFamily: pick='nearest' needs every member's quantiles")
        if isinstance(neighbours, bool) or not isinstance(neighbours, int) \
                or not 1 <= neighbours <= int((self.weights > 0).sum()):
            raise ConfigError(f"StyleFamily: neighbours must be an int from 1 to the number of "
                              f"members of weight > 0, got {neighbours!r}")
        if pick == "random" and neighbours != 1:
            raise ConfigError("StyleFamily: neighbours is for pick='nearest' only")
        self.pick, self.neighbours = pick, neighbours
        texture = check_fraction("StyleFamily", "texture", texture)
        if roughen not in ROUGHEN:
            raise ConfigError(f"StyleFamily: roughen must be one of {list(ROUGHEN)}, got "
                              f"{roughen!r}")
        self.texture, self.roughen = texture, roughen
        self.noise = _every_member_or_none([m.noise for m in parsed], "noise")
        if self.texture > 0 and self.noise is None:
            raise ConfigError("StyleFamily: texture > 0 needs every member's noise (fit the "
                              "family with texture > 0, or give each member a noise level)")
        self.rim = check_fraction("StyleFamily", "rim", rim)
        self.border = _every_member_or_none([m.border for m in parsed], "a border",
                                            "all with the same number of rings")
        if self.rim > 0 and self.border is None:
            raise ConfigError("StyleFamily: rim > 0 needs every member's border (fit the "
                              "family with rim > 0, or give each member a border profile)")
        self.export = None if export is None else _scanner_style(export, "export")

    def __len__(self) -> int:
        return len(self.styles)

    # ------------------------------------------------------------------ contract
    def _sample(self, batch_size: int, generator: torch.Generator) -> Params:
        if self.pick == "nearest":  # the member depends on the image: every member is sampled
            rank = torch.randint(self.neighbours, (batch_size,), generator=generator)
            params = {"rank": rank, "members": {str(m): style.sample(batch_size, generator)
                                                for m, style in enumerate(self.styles)}}
        else:
            index = torch.multinomial(self.weights, batch_size, replacement=True,
                                      generator=generator)
            # only the members drawn are sampled (for the whole batch, so slices replay)
            members = {str(m): self.styles[m].sample(batch_size, generator)
                       for m in index.unique().tolist()}
            params = {"index": index, "members": members}
        if self.texture > 0 and self.roughen == "noise":  # last: the other draws stay today's
            params["texture_seed"] = draw_seeds(batch_size, generator)
        if self.export is not None:  # last, so the other draws are those without it
            params["export"] = self.export.sample(batch_size, generator)
        return params

    def members_for(self, x: torch.Tensor, params: Params) -> torch.Tensor:
        """``(B,)`` the member each image of ``x`` is rendered with under ``params``.

        Example:
            >>> fam = StyleFamily([{"quantiles": [0.0, 0.2]}, {"quantiles": [0.6, 1.0]}],
            ...                   pick="nearest")
            >>> x = torch.stack([torch.full((1, 4, 4), 0.1), torch.full((1, 4, 4), 0.9)])
            >>> fam.members_for(x, fam.sample(2, 0)).tolist()
            [0, 1]
        """
        if self.pick == "random":
            return params["index"]
        distance = torch.cdist(image_quantiles(x, self.quantiles.shape[1]),
                               self.quantiles.to(x.device))
        distance = distance.masked_fill((self.weights == 0).to(x.device), float("inf"))
        order = distance.argsort(dim=1, stable=True)[:, :self.neighbours]
        return order.gather(1, params["rank"].to(x.device).view(-1, 1)).flatten().cpu()

    def _apply(self, x: torch.Tensor, params: Params) -> torch.Tensor:
        index, y = self.members_for(x, params), x
        for key, member in params["members"].items():
            if torch.compiler.is_compiling():  # one graph: the member on all, picked by mask
                chosen = (index == int(key)).to(x.device).view(-1, 1, 1, 1)
                y = torch.where(chosen, self.styles[int(key)].apply_batch(x, member), y)
                continue
            rows = (index == int(key)).nonzero().flatten()
            if rows.numel():
                part = self.styles[int(key)].apply_batch(
                    x.index_select(0, rows.to(x.device)), slice_params(member, rows))
                y = y.index_copy(0, rows.to(x.device), part)
        if self.match > 0:
            matched = apply_lut(y, matching_curves(y, self.quantiles[index]))
            y = torch.lerp(y, matched, self.match)
        if self.texture > 0:
            y = match_texture(y, self.noise[index].to(x.device), self.texture, self.roughen,
                              params.get("texture_seed"))
        if self.rim > 0:
            y = match_rim(y, self.border[index].to(x.device), self.rim)
        if self.export is not None:
            y = self.export.apply_batch(y, params["export"])
        return y

    def occlusion(self, shape: tuple[int, ...], params: Params) -> torch.Tensor:
        """``(B, 1, H, W)`` bool: pixels the drawn members' shutters or markers, or the
        export's caption band, cover (with ``pick="nearest"``, which needs the image to know the
        member: the union over every member, a superset)."""
        b, h, w = shape[0], shape[-2], shape[-1]
        mask = torch.zeros(b, 1, h, w, dtype=torch.bool)
        for key, member in params["members"].items():
            if self.pick == "nearest":
                mask |= self.styles[int(key)].occlusion(shape, member).cpu()
                continue
            rows = (params["index"] == int(key)).nonzero().flatten()
            if rows.numel():
                part = self.styles[int(key)].occlusion((rows.numel(), *shape[1:]),
                                                       slice_params(member, rows))
                mask[rows] = part.cpu()
        if self.export is not None:
            mask |= self.export.occlusion(shape, params["export"]).cpu()
        return mask & params["gate"].view(-1, 1, 1, 1)

    # ------------------------------------------------------------------ config and files
    def to_config(self) -> dict[str, Any]:
        """Name, description, match and every member (full style config, quantiles,
        weight, noise, border), plus any other non-default argument (``pick``, ``neighbours``,
        ``texture``, ``rim``, ``export``)."""
        members = []
        for i, style in enumerate(self.styles):
            member: dict[str, Any] = {"style": {k: v for k, v in style.to_config().items()
                                                if k != "type"}}
            if self.quantiles is not None:
                member["quantiles"] = self.quantiles[i].tolist()
            member["weight"] = float(self.weights[i])
            if self.noise is not None:
                member["noise"] = float(self.noise[i])
            if self.border is not None:
                member["border"] = self.border[i].tolist()
            members.append(member)
        cfg = super().to_config()
        full = {"type": cfg.pop("type"), "name": self.name, "description": self.description,
                "match": self.match, "members": members}
        if self.pick != "random":
            full.update(pick=self.pick, neighbours=self.neighbours)
        if self.texture > 0:
            full.update(texture=self.texture, roughen=self.roughen)
        if self.rim > 0:
            full["rim"] = self.rim
        if self.export is not None:
            full["export"] = {k: v for k, v in self.export.to_config().items() if k != "type"}
        full.update({k: v for k, v in cfg.items() if k not in full})
        return full

    @classmethod
    def from_yaml(cls, path: str | Path) -> StyleFamily:
        """A family from a YAML file written by :meth:`to_yaml`."""
        return cls(**FAMILY_FILES.read_style(path, ["name", "description", "match", "members",
                                                    "pick", "neighbours", "texture", "roughen",
                                                    "rim", "export", "p", "value_range"]))

    def to_yaml(self, path: str | Path) -> None:
        """Write the full config as a commented YAML file that :meth:`from_yaml` reads back."""
        FAMILY_FILES.write_style(self.to_config(), path)

    @classmethod
    def fit(cls, reference_images: Any, source: Any = None, **kwargs: Any) -> StyleFamily:
        """A family fitted to a site's films: see
        :func:`mmr_augment.style.fitting.fit_style_family` (same arguments)."""
        from .fitting.family import fit_style_family

        return fit_style_family(reference_images, source, **kwargs)
