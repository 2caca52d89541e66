"""Does a severity still leave a radiograph readable? Clipping measured on films of any exposure.

An op at a high severity may push most of a film to black or white: on a bright film a
brightness gain saturates the lungs; a narrow window placed off the film's grey levels leaves
nothing. :func:`added_clipping` measures that damage as the fraction of pixels that the op
saturates (``<= low`` or ``>= high``) and that were not saturated before, leaving out the pixels
an op overwrites on purpose (its :meth:`~mmr_augment.core.Perturbation.occlusion` mask:
collimator shutters, burned-in markers, cutout holes). :func:`exposure_films` renders the same
phantom as a dark, a normal and a bright film, and :func:`severity_rows` runs every image op
and scanner-style preset at severities 1-5 over a set of films
(``benchmarks/severity_clipping.py`` prints the table, ``docs/severity.md`` holds it).

Example:
    >>> import torch
    >>> from mmr_augment import Brightness
    >>> films = exposure_films(size=64)
    >>> sorted(films), round(float(films["bright"].mean()), 2)
    (['bright', 'dark', 'normal'], 0.58)
    >>> x = films["bright"]
    >>> op = Brightness(factor=1.5)
    >>> params = op.sample(1, 0)
    >>> round(added_clipping(x, op.apply(x, params)), 2)
    0.57
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import torch

from ..core import REGISTRY, Perturbation
from ..errors import InputError
from ..medmnistc import CHEST_CORRUPTIONS

#: Gamma applied to the phantom for each exposure: ``film = phantom ** gamma``. The bright
#: film's anatomy sits where a bright CR chest film's does (median of the body ~0.8, lungs ~0.6).
EXPOSURES: dict[str, float] = {"dark": 2.0, "normal": 1.0, "bright": 0.4}
LOW, HIGH = 0.01, 0.99
#: Largest added clipped fraction allowed at severity 5 (mean over draws) for the ops and
#: styles whose severities are ours: MedMNIST-C's own strongest brightness (factor 1.5)
#: saturates 0.22 of the normal film, so none of ours may do more, on a film of any exposure.
SEVERITY5_BOUND = 0.2
#: Ops whose severity tables are MedMNIST-C's chest rows (kept as published, whatever they clip).
MEDMNISTC_OPS = frozenset(c.op_name for c in CHEST_CORRUPTIONS.values())
CR_FILM = "RG1_UNCR.dcm"  # pydicom-data: a CR chest film (MONOCHROME1, bright once inverted)


def exposure_films(size: int = 128, seed: int = 0, exposures: Mapping[str, float] = EXPOSURES
                   ) -> dict[str, torch.Tensor]:
    """The phantom study 0 of dataset ``seed`` as ``(1, 1, size, size)`` films, one per exposure
    (``film = phantom ** gamma``: gamma > 1 under-exposes, gamma < 1 over-exposes)."""
    from ..synthetic import generate

    phantom = generate(1, size=size, seed=seed).images.double()
    return {name: phantom.pow(gamma).float() for name, gamma in exposures.items()}


def cr_film(size: int = 128) -> torch.Tensor | None:
    """The pydicom-data CR chest film as a ``(1, 1, H, W)`` image, longer side ``size``
    (area resampling); ``None`` when pydicom-data is not installed (it is never downloaded)."""
    import torch.nn.functional as F
    from pydicom.data import get_testdata_file

    from ..io import read_image

    try:
        path = get_testdata_file(CR_FILM, download=False)
    except Exception:  # noqa: BLE001 (pydicom-data absent or broken: no film)
        path = None
    if path is None:
        return None
    x = read_image(path)[None]
    scale = size / max(x.shape[-2:])
    return F.interpolate(x, size=[max(1, round(s * scale)) for s in x.shape[-2:]], mode="area")


def saturated(x: torch.Tensor, low: float = LOW, high: float = HIGH) -> torch.Tensor:
    """Bool mask of pixels at or below ``low`` or at or above ``high``."""
    return (x <= low) | (x >= high)


def added_clipping(clean: torch.Tensor, out: torch.Tensor, occluded: torch.Tensor | None = None,
                   low: float = LOW, high: float = HIGH) -> float:
    """Fraction of all pixels saturated in ``out`` but not in ``clean``, outside ``occluded``
    (a bool mask broadcastable to the images: pixels overwritten on purpose)."""
    if clean.shape != out.shape:
        raise InputError(f"clean {tuple(clean.shape)} and out {tuple(out.shape)} differ in shape")
    new = saturated(out.float(), low, high) & ~saturated(clean.float(), low, high)
    if occluded is not None:
        new = new & ~occluded.to(new.device).expand_as(new)
    return float(new.float().mean())


def clipping_per_sample(op: Perturbation, film: torch.Tensor, draws: int = 8, seed: int = 0,
                        low: float = LOW, high: float = HIGH) -> list[float]:
    """:func:`added_clipping` of ``op`` on ``draws`` copies of one ``(1, C, H, W)`` film, each
    with its own sampled parameters."""
    x = film.expand(draws, *film.shape[1:]).contiguous()
    params = op.sample(draws, seed)
    out = op.apply(x, params)
    mask = op.occlusion(tuple(x.shape), params)
    return [added_clipping(x[i:i + 1], out[i:i + 1], None if mask is None else mask[i:i + 1],
                           low, high) for i in range(draws)]


@dataclass(frozen=True)
class SeverityRow:
    """One op (or style) on one film: mean and worst added clipping at severities 1-5."""

    name: str
    film: str
    mean: tuple[float, ...]
    worst: tuple[float, ...]


def severity_ops(styles: bool = True) -> Iterator[tuple[str, list[Perturbation]]]:
    """``(label, [op at severity 1..5])`` for every registered image op with a severity table
    (ops with ``up`` / ``down`` tables give one row per direction) and, with ``styles``, every
    scanner-style preset (``style:<name>``)."""
    sevs = (1, 2, 3, 4, 5)
    for name, cls in sorted(REGISTRY.items()):
        if cls.modality != "image" or not cls.severity_table or cls.family == "scanner_style":
            continue
        directions = sorted(getattr(cls, "severity_tables", None) or {}) or [None]
        for d in directions:
            extra = {} if d is None else {"direction": d}
            label = name if d is None else f"{name}({d})"
            yield label, [cls(severity=s, p=1.0, **extra) for s in sevs]
    if styles:
        from ..style import ScannerStyle

        for preset in ScannerStyle.presets():
            yield f"style:{preset}", [ScannerStyle.preset(preset, severity=s, p=1.0)
                                      for s in sevs]


def severity_rows(films: Mapping[str, torch.Tensor], ops: Sequence[tuple[str, list]] | None = None,
                  draws: int = 8, seed: int = 0, low: float = LOW, high: float = HIGH
                  ) -> list[SeverityRow]:
    """Per op and film: mean and worst (over ``draws`` parameter draws) added clipping at each
    severity (``low`` / ``high``: the saturation thresholds). ``ops`` defaults to
    :func:`severity_ops`."""
    rows = []
    for label, per_severity in (ops if ops is not None else severity_ops()):
        for film_name, film in films.items():
            fractions = [clipping_per_sample(op, film, draws, seed, low, high)
                         for op in per_severity]
            rows.append(SeverityRow(label, film_name, tuple(sum(f) / len(f) for f in fractions),
                                    tuple(max(f) for f in fractions)))
    return rows


def markdown_table(rows: Sequence[SeverityRow], bound: float = SEVERITY5_BOUND) -> str:
    """Rows as a markdown table of ``mean (worst)`` per severity, in percent; a severity-5
    mean above ``bound`` is marked ``!`` (``m`` marks MedMNIST-C tables, kept as published)."""
    lines = ["| op / style | film | 1 | 2 | 3 | 4 | 5 |", "|---|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        base = r.name.split("(")[0]
        cells = [f"{100 * m:.1f} ({100 * w:.1f})" for m, w in zip(r.mean, r.worst)]
        if r.mean[-1] > bound:
            cells[-1] += " m" if base in MEDMNISTC_OPS else " !"
        lines.append(f"| {r.name} | {r.film} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
