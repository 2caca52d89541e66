"""``mmr-augment fit-style FOLDER --out site.yaml``: fit a site's scanner style from its films.

Reads every PNG / JPEG / DICOM file under FOLDER (recursively), as grey (ITU-R BT.601 luma
for colour files) resized to ``--size`` px square (``--size 0``: native sizes), fits every
stage it can (:func:`~mmr_augment.style.fitting.fit_scanner_style`) with a progress bar,
writes the style YAML and, with ``--report``, the report figure; prints which stages were
estimated and which were not, and why. ``--family`` writes a ``StyleFamily`` instead: one member
per film (its own tone, see :func:`~mmr_augment.style.fitting.fit_style_family`) on the fitted
style's other stages; ``--pick nearest`` renders each image with the member whose film is
closest in intensity quantiles (one of ``--neighbours``) instead of a random one;
``--texture S`` moves each image's noise level toward its member film's with strength ``S``
(blurred toward a smoother film; toward a noisier one, ``--roughen`` sharpen or noise);
``--rim S`` moves each image's rim (its outer 8 px per edge) toward its member film's border
profile with strength ``S`` (a rim dropping deeper than the member's lifted along the edge, a
brighter one darkened). A caption band found on the films is the family's ``export``, burned in
after those steps.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from ...errors import InputError
from ..texture import ROUGHEN

FILM_SUFFIXES = (".png", ".jpg", ".jpeg", ".dcm", ".dicom")
_LUMA = torch.tensor([0.299, 0.587, 0.114]).view(3, 1, 1)


def read_films(folder: str, size: int, limit: int) -> list[torch.Tensor]:
    """Grey ``(1, H, W)`` films of ``folder`` (sorted paths, at most ``limit``)."""
    from ...extras import require

    require("preview", "tqdm")
    from tqdm import tqdm

    from ...io import read_image

    root = Path(folder)
    if not root.is_dir():
        raise InputError(f"film folder not found: {folder}")
    paths = sorted(p for p in root.rglob("*") if p.suffix.lower() in FILM_SUFFIXES)[:limit]
    if not paths:
        raise InputError(f"{folder} holds no PNG / JPEG / DICOM files")
    films = []
    for path in tqdm(paths, desc=f"reading {root.name}", unit="film"):
        x = read_image(path)
        x = (x * _LUMA).sum(0, keepdim=True) if x.shape[0] == 3 else x
        if size:
            x = F.interpolate(x[None], size=(size, size), mode="bilinear", antialias=True,
                              align_corners=False)[0].clamp(0, 1)
        films.append(x)
    return films


def run_fit_style(ns: argparse.Namespace) -> int:
    from ...extras import require

    require("preview", "tqdm")  # progress bars; the report also needs matplotlib
    from tqdm import tqdm

    from .fit import fit_scanner_style

    reference = read_films(ns.folder, ns.size, ns.max_films)
    source = None if ns.source is None else read_films(ns.source, ns.size, ns.max_films)
    bars: list[tqdm] = []

    def progress(total: int):
        bars.append(tqdm(total=total, desc="fitting", unit="render"))
        return lambda: bars[-1].update()

    name = ns.name or Path(ns.out).stem
    result = fit_scanner_style(reference, source, knots=ns.knots, generator=ns.seed,
                               name=name, max_films=ns.search_films, progress=progress)
    for bar in bars:
        bar.close()
    for stage, how in result.estimated.items():
        print(f"  estimated {stage:<12} {how}")
    for stage, why in result.not_estimated.items():
        print(f"  skipped   {stage:<12} {why}")
    if ns.family:
        from ..scanner import ScannerStyle
        from .family import fit_style_family

        # a caption band is burned in last, after the members' per-image tone steps
        stages = dict(result.style.stage_config)
        caption = stages.pop("caption", None)
        export = None if caption is None else ScannerStyle(name=f"{name} caption",
                                                            caption=caption)
        family = fit_style_family(reference, source, match=ns.match,
                                  base=ScannerStyle(name=name, **stages), export=export,
                                  knots=ns.knots, generator=ns.seed, name=name,
                                  pick=ns.pick, neighbours=ns.neighbours,
                                  texture=ns.texture, roughen=ns.roughen, rim=ns.rim)
        family.to_yaml(ns.out)
        print(f"  family    {family.description}")
    else:
        result.style.to_yaml(ns.out)
    print(f"wrote {ns.out}")
    if ns.report:
        from .report import save_fit_report

        print(f"wrote {save_fit_report(result, ns.report, title=f'{ns.folder} -> {name}')}")
    return 0


def add_fit_style_command(sub: Any) -> None:
    """Register ``fit-style`` on the ``mmr-augment`` sub-command parser ``sub``."""
    p = sub.add_parser("fit-style", help="fit a site's scanner style from a folder of films")
    p.add_argument("folder", help="folder of the site's films (PNG / JPEG / DICOM)")
    p.add_argument("--out", required=True, help="output style .yaml (ScannerStyle.from_yaml)")
    p.add_argument("--source", help="folder of films the style will restyle (default: "
                                    "synthetic phantoms)")
    p.add_argument("--report", help="also write the report figure (PNG)")
    p.add_argument("--size", type=int, default=256, help="resize films to SIZE x SIZE "
                                                         "(0: keep native sizes)")
    p.add_argument("--max-films", type=int, default=1000, help="films read per folder")
    p.add_argument("--search-films", type=int, default=48, help="films rendered per step")
    p.add_argument("--knots", type=int, default=65, help="knots of the tone curve")
    p.add_argument("--name", help="style name (default: the output file's stem)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--family", action="store_true",
                   help="write a StyleFamily (StyleFamily.from_yaml): one member per film, on "
                        "the fitted style's other stages")
    p.add_argument("--match", type=float, default=0.0,
                   help="with --family: per-image histogram matching weight (0: fixed per-film "
                        "tone curves)")
    p.add_argument("--pick", choices=("random", "nearest"), default="random",
                   help="with --family: member per image drawn at random, or the one whose "
                        "film is nearest in intensity quantiles")
    p.add_argument("--neighbours", type=int, default=1,
                   help="with --pick nearest: one of this many nearest members per image")
    p.add_argument("--texture", type=float, default=0.0,
                   help="with --family: strength (0-1) of moving each image's noise level "
                        "toward its member film's (0: off)")
    p.add_argument("--roughen", choices=ROUGHEN, default="sharpen",
                   help="with --texture: toward a noisier film, amplify the image's own "
                        "residual (sharpen) or add white noise")
    p.add_argument("--rim", type=float, default=0.0,
                   help="with --family: strength (0-1) of moving each image's rim (outer 8 px "
                        "per edge) toward its member film's border profile (0: off)")
    p.set_defaults(func=run_fit_style)
