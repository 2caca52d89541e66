"""Site probe: can a simple classifier tell two sets of X-ray films apart, before and after
restyling one set with a fitted ``ScannerStyle``?

Sites: SLAKE's chest X-rays (rows with modality "X-Ray" in train / validate / test json,
``imgs/xmlabN/source.jpg``) and VQA-RAD's chest images (``image_organ`` CHEST in trainset /
testset json, ``images/``); either argument may also be a plain folder of PNG / JPEG files.
Films are read with Pillow as "L" luma and resized to ``--size`` px square
(``mmr_train.data.vqa_rows.load_vqa_image``).

Protocol, per direction (A = reference site, B = restyled site): each site is split at random
into halves. The style is fitted on A's first half with B's first half as ``source``; B's
second half (held out from the fit) is restyled and the probe compares it with A's second half
(equal counts, the larger set subsampled). Probe: logistic regression (scikit-learn, standard
scaled features) on per-film intensity quantiles, noise-per-intensity, radial power spectrum
and gradient statistics, stratified 5-fold cross-validated accuracy (chance 0.5). Anatomy:
SSIM (kornia, 11-px window) of each restyled film to its source at 64 px.

``--validate`` chooses settings without touching the probe halves: each site's fit half is
split again, a style fitted on one quarter of A (B's matching quarter as source) restyles B's
other quarter and vice versa (cross-fitting), and the probe compares each restyled quarter with
A's quarter that its style was not fitted on, as the probe halves are never fitted on (about
27 films a side, so its accuracies run lower than the probe halves' 54; until 2026-12-07 it
compared them with A's whole fit half, the fitted films included); ``--repeats R`` averages
over R such splits (and probe seeds), and
``--cv-repeats`` over fold assignments, since one 106-film accuracy moves by 0.05 with them.

    python benchmarks/site_probe.py /work/shared/data/slake /work/shared/data/vqa_rad
        [--size 256] [--folds 5] [--cv-repeats 1] [--seed 0] [--search-films 48]
        [--styles raw,tone,all,family] [--family-match 0.5]
        [--family-pick random] [--family-neighbours 1] [--family-texture 0]
        [--family-roughen sharpen] [--family-rim 0] [--family-export STAGES] [--groups]
        [--margin 0] [--edge-share] [--splits 1] [--validate [--repeats 1]]

Styles: today's ``ScannerStyle.fit`` (tone curve only), the new fit (``stages="all"``) and a
``StyleFamily`` (``ScannerStyle.fit_family``: one member per reference film of the fit half,
picked per restyled film, at random or, ``--family-pick nearest``, the member whose film is
closest in intensity quantiles (one of ``--family-neighbours``), each film histogram-matched to
its member's quantiles with weight ``--family-match`` and, ``--family-texture S``, its noise
level moved toward its member film's with strength ``S`` (blurred toward a smoother one;
toward a noisier one ``--family-roughen`` sharpen or noise) and, ``--family-rim S``, its rim
(outer 8 px per edge) moved toward its member film's border profile with strength ``S`` (a rim
dropping deeper below its inside than the member's lifted along the edge, a brighter one
darkened per edge) and, ``--family-export caption`` (any ``ScannerStyle.fit`` stages), those
stages fitted to the reference half applied last (a caption band the reference site's films
show burned into the restyled films);
the row says how many members were used). ``--groups`` adds a row per style with the probe's
accuracy on each feature group alone. ``--margin PX`` reads the probe's features inside an
outer ``PX`` px of every film (restyling and SSIM are unchanged), to see how much of what it
reads lies at the border (burned-in captions, film edges); ``--edge-share`` prints, per site,
where each film's strongest edges (top 1 % gradient magnitudes) lie. ``--splits N`` repeats the
whole protocol on N random splits into fit and probe halves (the settings fixed) and ends with
each row's mean and spread over them: one split's accuracy moves by 0.05-0.1 with the split.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import kornia
import numpy as np
import torch
import torch.nn.functional as F
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import RepeatedStratifiedKFold, StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from mmr_augment import ScannerStyle
from mmr_augment.style.fitting import film_statistics
from mmr_augment.style.texture import ROUGHEN
from mmr_train.data.vqa_rows import load_vqa_image

QUANTILES = torch.tensor([0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99])
#: Columns of :func:`film_features` per feature group (``--groups`` probes each on its own).
GROUPS = {"intensity": slice(0, 11), "noise": slice(11, 19), "spectrum": slice(19, 43),
          "nps": slice(43, 67), "gradient": slice(67, 76)}


def site_paths(root: str) -> tuple[str, list[Path]]:
    """The site's name and its chest X-ray files (SLAKE, VQA-RAD or a plain folder)."""
    base = Path(root)
    if (base / "validate.json").is_file():
        names = {row["img_name"] for split in ("train", "validate", "test")
                 for row in json.loads((base / f"{split}.json").read_text())
                 if row.get("modality") == "X-Ray"}
        return "SLAKE chest X-ray", sorted(base / "imgs" / n for n in names)
    if (base / "trainset.json").is_file():
        names = {row["image_name"] for split in ("trainset", "testset")
                 for row in json.loads((base / f"{split}.json").read_text())
                 if str(row.get("image_organ", "")).strip().upper() == "CHEST"}
        return "VQA-RAD chest", sorted(base / "images" / n for n in names)
    files = sorted(p for p in base.rglob("*") if p.suffix.lower() in (".png", ".jpg", ".jpeg"))
    return base.name, files


def film_features(x: torch.Tensor) -> np.ndarray:
    """One film's probe features: intensity, noise, spectrum and gradient statistics."""
    stats = film_statistics(x[None])
    noise = stats.noise.clone()
    noise[noise.isnan()] = float(noise[~noise.isnan()].median()) if bool(
        (~noise.isnan()).any()) else 1e-4
    grad = kornia.filters.spatial_gradient(x[None]).norm(dim=2).flatten()
    parts = [x.flatten().quantile(QUANTILES), x.mean().view(1), x.std().view(1),
             noise.clamp_min(1e-5).log(), stats.spectrum, stats.nps,
             grad.quantile(QUANTILES)]
    return torch.cat([p.to(torch.float64) for p in parts]).numpy()


def inside(x: torch.Tensor, margin: int) -> torch.Tensor:
    """The film without its outer ``margin`` px on every side."""
    return x[..., margin:x.shape[-2] - margin, margin:x.shape[-1] - margin]


def probe_accuracy(a: list[torch.Tensor], b: list[torch.Tensor], folds: int, seed: int,
                   repeats: int = 1, margin: int = 0) -> dict[str, float]:
    """Cross-validated accuracy of telling ``a`` from ``b`` (equal counts), on all features
    (``"all"``) and on each group of :data:`GROUPS` alone; with ``repeats > 1`` the mean over
    that many random fold assignments; features read inside an outer ``margin`` px."""
    n = min(len(a), len(b))
    pick = torch.Generator().manual_seed(seed)
    a = [a[i] for i in torch.randperm(len(a), generator=pick)[:n].tolist()]
    b = [b[i] for i in torch.randperm(len(b), generator=pick)[:n].tolist()]
    features = np.stack([film_features(inside(x, margin)) for x in a + b])
    labels = np.array([0] * n + [1] * n)
    model = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=5000))
    split = StratifiedKFold(folds, shuffle=True, random_state=seed) if repeats == 1 else \
        RepeatedStratifiedKFold(n_splits=folds, n_repeats=repeats, random_state=seed)
    columns = {"all": slice(None), **GROUPS}
    return {name: float(cross_val_score(model, features[:, c], labels, cv=split).mean())
            for name, c in columns.items()}


def low_res_ssim(restyled: list[torch.Tensor], source: list[torch.Tensor]) -> torch.Tensor:
    """SSIM of each restyled film to its source, both downsampled to 64 px."""
    def small(films: list[torch.Tensor]) -> torch.Tensor:
        return F.interpolate(torch.stack(films), size=(64, 64), mode="area")
    return kornia.metrics.ssim(small(restyled), small(source), 11).mean((1, 2, 3))


def halves(films: list[torch.Tensor], seed: int) -> tuple[list, list]:
    order = torch.randperm(len(films), generator=torch.Generator().manual_seed(seed)).tolist()
    half = len(films) // 2
    return [films[i] for i in order[:half]], [films[i] for i in order[half:]]


def fit_style(kind: str, a: list, b: list, ns) -> tuple[Any, str]:
    """The style of row ``kind`` fitted to reference films ``a`` with ``b`` as source."""
    if kind == "family":  # one member per reference film, picked per image
        pick = "" if ns.family_pick == "random" else \
            f"nearest of {ns.family_neighbours}, "
        texture = f", texture {ns.family_texture:g} {ns.family_roughen}" \
            if ns.family_texture else ""
        rim = f", rim {ns.family_rim:g}" if ns.family_rim else ""
        export = ScannerStyle.fit(torch.stack(a), source=torch.stack(b),
                                  stages=ns.family_export.split(","),
                                  max_films=ns.search_films) if ns.family_export else None
        last = f", then fitted {'+'.join(export.stage_config) or 'nothing'}" if export else ""
        return ScannerStyle.fit_family(torch.stack(a), source=torch.stack(b),
                                       match=ns.family_match, pick=ns.family_pick,
                                       neighbours=ns.family_neighbours,
                                       texture=ns.family_texture, export=export,
                                       roughen=ns.family_roughen, rim=ns.family_rim), \
            f"style family ({pick}match {ns.family_match:g}{texture}{rim}{last})"
    stages, label = {"tone": (("tone",), "today's fit (tone only)"),
                     "all": ("all", "new fit (all stages)")}[kind]
    return ScannerStyle.fit(torch.stack(a), source=torch.stack(b), stages=stages,
                            max_films=ns.search_films), label


def fitted_films(kind: str, a: list, b: list, target: list, seed: int, ns
                 ) -> tuple[list, float, str, Any]:
    """``target`` restyled (``seed``) by the style of row ``kind`` fitted to ``a`` with ``b``
    as source: the films, the fit time, the row label and the style (raw: ``target`` itself,
    no style)."""
    if kind == "raw":
        return target, 0.0, "raw", None
    start = time.perf_counter()
    style, label = fit_style(kind, a, b, ns)
    seconds = time.perf_counter() - start
    films, members = restyle(style, target, seed)
    if kind == "family":
        label += f"; members used {len(members)} of {len(a)}"
    return films, seconds, label, style


def restyle(style: Any, films: list, seed: int) -> tuple[list, set]:
    """``films`` restyled, and the family members used (empty for a single style)."""
    x = torch.stack(films)
    params = style.sample(len(films), seed)
    used = set(style.members_for(x, params).tolist()) if hasattr(style, "members_for") \
        else set()
    return list(style.apply(x, params).clamp(0, 1)), used


def cross_fit(kind: str, a_fit: list, b_fit: list, ns, r: int = 0) -> list[tuple]:
    """Cross-fitting on the fit halves (split ``r``): each half of ``a_fit`` fits a style (B's
    matching half as source) that restyles B's other half. Returns, per fit, the probe's
    reference films (A's other half: the fit never saw them), B's films before and after
    restyling, the fit time and the row label."""
    a1, a2 = halves(a_fit, ns.seed + 2 + 10 * r)
    b1, b2 = halves(b_fit, ns.seed + 3 + 10 * r)
    return [(a_other, target, *fitted_films(kind, a, b, target, ns.seed + r, ns)[:3])
            for a, b, a_other, target in ((a1, b1, a2, b2), (a2, b2, a1, b1))]


def direction(name_a: str, films_a: list, name_b: str, films_b: list, ns,
              record: dict | None = None) -> list[str]:
    """Table rows for restyling B toward A (``ns.validate``: on the fit halves only, the
    accuracy averaged over ``ns.repeats`` cross-fitting splits, both fits of each, and probe
    seeds); ``record[(B -> A, style kind)]`` gets a list of (accuracy, mean SSIM) appended."""
    a_fit, a_probe = halves(films_a, ns.seed)
    b_fit, b_held = halves(films_b, ns.seed + 1)
    rows = []
    for kind in ["raw"] + [k for k in ns.styles.split(",") if k != "raw"]:
        accs, ssims, seconds, labels = [], [], 0.0, []
        for r in range(ns.repeats) if ns.validate else range(1):
            if ns.validate:
                fits = cross_fit(kind, a_fit, b_fit, ns, r)
            else:
                *fitted, style = fitted_films(kind, a_fit, b_fit, b_held, ns.seed, ns)
                if kind == "all":
                    print(f"  fitted {name_b} -> {name_a}: {style.to_config()}", flush=True)
                fits = [(a_probe, b_held, *fitted)]
            scores = [probe_accuracy(reference, films, ns.folds, ns.seed + r, ns.cv_repeats,
                                     ns.margin)
                      for reference, _, films, _, _ in fits]
            accs.append(mean_scores(scores))
            ssims += [low_res_ssim(films, sources) for _, sources, films, _, _ in fits]
            seconds += sum(fit[3] for fit in fits)
            labels += [fit[4] for fit in fits]
        ssim = torch.cat(ssims)
        splits = " ".join(f"{a['all']:.3f}" for a in accs)
        spread = f" (splits: {splits})" if len(accs) > 1 else ""
        label = labels[0] if len(set(labels)) == 1 else " and ".join(labels[:2])
        scores = mean_scores(accs)
        fit_time = "-" if kind == "raw" else f"{seconds:.0f} s"
        rows.append(f"| {name_b} -> {name_a} | {label}{spread} | {scores['all']:.3f} "
                    f"| {float(ssim.mean()):.3f} | {float(ssim.min()):.3f} | {fit_time} |")
        if record is not None:
            record.setdefault((f"{name_b} -> {name_a}", kind), []).append(
                (scores["all"], float(ssim.mean())))
        if ns.groups:
            rows.append(group_row(scores))
    return rows


def edge_share(films: list[torch.Tensor], band: int = 32) -> dict[str, float]:
    """Where a site's strongest edges lie: the mean share of each film's top 1 % gradient
    pixels in its outer 8 px, in its bottom ``band`` rows, and outside a ``band`` px margin."""
    shares = []
    for x in films:
        grad = kornia.filters.spatial_gradient(x[None]).norm(dim=2)[0, 0]
        top = (grad >= grad.flatten().quantile(0.99)).to(torch.float64)
        total = top.sum()
        shares.append([float(1 - inside(top, 8).sum() / total),
                       float(top[-band:].sum() / total),
                       float(1 - inside(top, band).sum() / total)])
    mean = np.mean(shares, axis=0)
    return {"outer 8 px": mean[0], f"bottom {band} rows": mean[1],
            f"outside a {band} px margin": mean[2]}


def mean_scores(scores: list[dict[str, float]]) -> dict[str, float]:
    """The mean of each accuracy over several probe runs."""
    return {k: float(np.mean([s[k] for s in scores])) for k in scores[0]}


def group_row(scores: dict[str, float]) -> str:
    """A table row with the probe's accuracy on each feature group alone."""
    return "|  | per group: " + ", ".join(f"{k} {scores[k]:.2f}" for k in GROUPS) + " | | | | |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("site_a")
    parser.add_argument("site_b")
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--cv-repeats", type=int, default=1,
                        help="mean over this many fold assignments (1: one, as published; "
                             "the fold assignment alone moves a 106-film accuracy by 0.05+)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--search-films", type=int, default=48)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--styles", default="raw,tone,all,family",
                        help="rows to run (raw always): comma list of tone, all, family")
    parser.add_argument("--family-match", type=float, default=0.5,
                        help="StyleFamily histogram-matching weight (0.5: chosen by "
                             "cross-fitting on the fit halves only)")
    parser.add_argument("--family-pick", choices=("random", "nearest"), default="random",
                        help="StyleFamily member per film: drawn at random, or the film "
                             "nearest in intensity quantiles")
    parser.add_argument("--family-neighbours", type=int, default=1,
                        help="with --family-pick nearest: one of this many nearest members")
    parser.add_argument("--family-texture", type=float, default=0.0,
                        help="StyleFamily texture strength: each film's noise level moved "
                             "toward its member film's (0: off)")
    parser.add_argument("--family-roughen", choices=ROUGHEN, default="sharpen",
                        help="with --family-texture: toward a noisier member film, amplify "
                             "the film's own residual (sharpen) or add white noise")
    parser.add_argument("--family-rim", type=float, default=0.0,
                        help="StyleFamily rim strength: each film's rim (outer 8 px per edge) "
                             "moved toward its member film's border profile (0: off)")
    parser.add_argument("--family-export", default="",
                        help="comma list of ScannerStyle.fit stages (e.g. caption) fitted to "
                             "the reference half and applied last (the family's export)")
    parser.add_argument("--groups", action="store_true",
                        help="also print the probe's accuracy on each feature group alone")
    parser.add_argument("--splits", type=int, default=1,
                        help="repeat on this many random splits into fit and probe halves "
                             "(seeds --seed, --seed + 1, ...) and summarise them (mean, sd)")
    parser.add_argument("--margin", type=int, default=0,
                        help="probe features read inside this many px from every edge (0: "
                             "the whole film; SSIM always on the whole film)")
    parser.add_argument("--edge-share", action="store_true",
                        help="also print, per site, where its films' strongest edges lie")
    parser.add_argument("--validate", action="store_true",
                        help="choose settings without the probe halves: probe each site's "
                             "fit half against the other's, restyled by cross-fitting")
    parser.add_argument("--repeats", type=int, default=1,
                        help="with --validate: mean over this many cross-fitting splits")
    ns = parser.parse_args()
    unknown = set(ns.styles.split(",")) - {"raw", "tone", "all", "family"}
    if unknown:
        parser.error(f"--styles: unknown rows {sorted(unknown)}")
    if ns.splits < 1 or (ns.splits > 1 and ns.validate):
        parser.error("--splits must be >= 1, and 1 with --validate (use --repeats there)")
    if not 0 <= ns.margin < ns.size // 2 - 8:
        parser.error(f"--margin must leave at least 16 px of a {ns.size} px film, "
                     f"got {ns.margin}")
    torch.set_num_threads(ns.threads)
    sites = []
    for root in (ns.site_a, ns.site_b):
        name, paths = site_paths(root)
        sites.append((name, [load_vqa_image(p, ns.size) for p in paths]))
        print(f"{name}: {len(paths)} films", flush=True)
        if ns.edge_share:
            shares = edge_share(sites[-1][1])
            print("  top 1 % gradient pixels: " + ", ".join(
                f"{v:.2f} {k}" for k, v in shares.items()), flush=True)
    (name_a, films_a), (name_b, films_b) = sites
    record: dict = {}
    for split in range(ns.splits):
        seeded = argparse.Namespace(**{**vars(ns), "seed": ns.seed + split})
        rows = [f"split seed {seeded.seed}:"] if ns.splits > 1 else []
        rows += ["| restyled -> reference | style | probe accuracy | SSIM 64 px mean "
                 "| SSIM min | fit time |", "|---|---|---:|---:|---:|---:|"]
        rows += direction(name_a, films_a, name_b, films_b, seeded, record)
        rows += direction(name_b, films_b, name_a, films_a, seeded, record)
        print("\n".join(rows), flush=True)
    if ns.splits > 1:
        print(split_summary(record))


def split_summary(record: dict) -> str:
    """A table of each row's accuracy over the splits (mean, standard deviation, range, the
    splits at most 0.75) and its mean SSIM (mean over the splits, the lowest split, the splits
    at least 0.9)."""
    rows = ["| restyled -> reference | style | accuracy mean (sd) | min - max "
            "| splits <= 0.75 | SSIM mean (lowest split) | splits SSIM >= 0.9 |",
            "|---|---|---:|---|---:|---:|---:|"]
    for (pair, kind), runs in record.items():
        acc, ssim = np.array([a for a, _ in runs]), np.array([m for _, m in runs])
        rows.append(f"| {pair} | {kind} | {acc.mean():.3f} ({acc.std(ddof=1):.3f}) "
                    f"| {acc.min():.3f} - {acc.max():.3f} | {int((acc <= 0.75).sum())} of "
                    f"{len(acc)} | {ssim.mean():.3f} ({ssim.min():.3f}) "
                    f"| {int((ssim >= 0.9).sum())} of {len(ssim)} |")
    return "\n".join(rows)


if __name__ == "__main__":
    main()
