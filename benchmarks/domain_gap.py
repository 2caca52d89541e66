"""Domain gap on the synthetic data: a model trained on one domain, scored on the others.

The task must be learnable and domain-sensitive. Image side: a tiny CNN (multi-label BCE over
the six observations the generator labels) is trained on one scanner style's images and scored
on every scanner style; train and test use distinct study indices, and every domain shows the
same test studies (same anatomy and findings, only the style differs). Text side (``--text``):
a bag-of-words (unigram + bigram) logistic regression trained on one ``ReportStyle``'s reports
and scored on the others. Accuracy is at a 0.5 threshold, averaged over observations.
``--standardise`` feeds the CNN per-image standardised images, which removes the global
brightness / contrast part of a scanner style, to see how much of the gap is left.

Studies are rendered once and each scanner style is applied to the same canonical images with
the same per-study style draws as ``generate(..., domain=(style, None))`` (checked on a few
studies at start-up, up to float rounding): six times cheaper than rendering every domain.

    python benchmarks/domain_gap.py [--train cr dr_flat_panel portable_ap digitised_film]
        [--n-train 3000] [--n-test 1000] [--size 64] [--epochs 12] [--standardise]
        [--text] [--no-image] [--threads 2]
"""

from __future__ import annotations

import argparse
import re
import time

import torch
from torch import nn

import mmr_augment as ma
from mmr_augment.synthetic import OBSERVATIONS, generate, render_studies
from mmr_augment.synthetic._draws import study_keys
from mmr_augment.synthetic.domains import apply_report, apply_scanner
from mmr_augment.synthetic.findings import sample_findings
from mmr_augment.synthetic.reports import write_reports

TARGETS = OBSERVATIONS[1:]  # the six findings; "No Finding" is their complement
SHORT = {"Cardiomegaly": "Cardio", "Lung Lesion": "Lesion", "Consolidation": "Consol",
         "Pneumothorax": "PTX", "Pleural Effusion": "Effusion", "Support Devices": "Devices"}
CANONICAL = "(canonical)"


def scanner_views(n_train: int, n_test: int, size: int, seed: int, styles: list[str]):
    """Labels ``(N, 6)``, reports and ``{style: images (N, 1, size, size)}`` of studies 0..N-1."""
    indices = torch.arange(n_train + n_test)
    base = render_studies(indices, size, seed)
    keys = study_keys(seed, indices)
    views = {CANONICAL: base.images}
    for name in styles:
        op = ma.ScannerStyle.preset(name)
        views[name] = apply_scanner(op, base.images, keys)
        check = generate(4, size, seed, start=n_train, domain=(name, None)).images
        # MTF blur of a different batch differs by float rounding (~3e-7), which quantisation
        # can turn into a one-level step on a few pixels: compare, not require equality.
        assert (check - views[name][n_train:n_train + 4]).abs().mean() < 1e-4, name
    return base.labels[:, 1:], base, views


def model_input(images: torch.Tensor, standardise: bool) -> torch.Tensor:
    """Images centred at 0.5, or each image standardised (zero mean, unit std)."""
    if not standardise:
        return images - 0.5
    mean, std = images.mean((1, 2, 3), keepdim=True), images.std((1, 2, 3), keepdim=True)
    return (images - mean) / std.clamp(min=1e-6)


def tiny_cnn(generator: torch.Generator) -> nn.Module:
    """Four small conv blocks (64 -> 8 px) and a linear head, initialised from ``generator``."""
    with torch.device("meta"):
        model = nn.Sequential(
            *[layer for c_in, c_out, stride in ((1, 8, 2), (8, 16, 2), (16, 32, 2), (32, 32, 1))
              for layer in (nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False),
                            nn.BatchNorm2d(c_out), nn.ReLU())],
            nn.AdaptiveAvgPool2d(4), nn.Flatten(), nn.Linear(32 * 16, len(TARGETS)))
    model.to_empty(device="cpu")
    for module in model.modules():
        if isinstance(module, (nn.Conv2d, nn.Linear)):
            nn.init.kaiming_uniform_(module.weight, nonlinearity="relu", generator=generator)
        if isinstance(module, nn.Linear):
            nn.init.zeros_(module.bias)
        if isinstance(module, nn.BatchNorm2d):
            module.reset_parameters()
    return model


def train(model: nn.Module, x: torch.Tensor, y: torch.Tensor, epochs: int, batch: int,
          generator: torch.Generator) -> None:
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-4)
    steps = epochs * ((len(x) + batch - 1) // batch)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, 3e-3, total_steps=steps)
    loss_fn = nn.BCEWithLogitsLoss()
    model.train()
    for _ in range(epochs):
        for rows in torch.randperm(len(x), generator=generator).split(batch):
            optimizer.zero_grad()
            loss_fn(model(x[rows]), y[rows]).backward()
            optimizer.step()
            schedule.step()


@torch.no_grad()
def accuracy(predict, x, y: torch.Tensor, batch: int = 500) -> torch.Tensor:
    """Per-observation accuracy (%) of ``predict`` (logits) at a 0.5 probability threshold."""
    logits = torch.cat([predict(x[s:s + batch]) for s in range(0, len(y), batch)])
    return ((logits > 0).float() == y).float().mean(0) * 100


def markdown(title: str, rows: dict[str, dict[str, float]], columns: list[str]) -> str:
    lines = [f"| {title} | " + " | ".join(columns) + " |",
             "|---|" + "---:|" * len(columns)]
    lines += [f"| {r} | " + " | ".join(f"{v[c]:.1f}" for c in columns) + " |"
              for r, v in rows.items()]
    return "\n".join(lines)


def gap_summary(matrix: dict[str, dict[str, float]]) -> str:
    gaps = [(m[r] - v, r, c) for r, m in matrix.items() for c, v in m.items() if r in m]
    drop, src, dst = max(gaps)
    return f"largest drop from in-domain: {drop:.1f} points ({src} -> {dst})"


def image_gap(args: argparse.Namespace) -> None:
    styles = ma.ScannerStyle.presets()
    t0 = time.perf_counter()
    y, _, views = scanner_views(args.n_train, args.n_test, args.size, args.seed, styles)
    print(f"rendered {len(y)} studies x {len(views)} domains in {time.perf_counter() - t0:.0f} s")
    tr, te = slice(0, args.n_train), slice(args.n_train, None)
    print("test prevalence: " + ", ".join(f"{SHORT[o]} {p:.2f}"
                                           for o, p in zip(TARGETS, y[te].mean(0).tolist())))
    columns = [*styles, CANONICAL]
    views = {d: model_input(v, args.standardise) for d, v in views.items()}
    mean, per_obs = {}, {}
    for source in args.train:
        t0 = time.perf_counter()
        model = tiny_cnn(torch.Generator().manual_seed(args.seed))
        train(model, views[source][tr], y[tr], args.epochs, 128,
              torch.Generator().manual_seed(args.seed + 1))
        model.eval()
        per_obs[source] = {d: accuracy(model, views[d][te], y[te]) for d in columns}
        mean[source] = {d: float(a.mean()) for d, a in per_obs[source].items()}
        print(f"trained on {source} in {time.perf_counter() - t0:.0f} s", flush=True)
    print("\nMean accuracy (%) over the six observations; rows: train domain, columns: test\n")
    print(markdown("train \\ test", mean, columns))
    print("\n" + gap_summary(mean))
    for source, table in per_obs.items():
        rows = {d: {SHORT[o]: float(a[k]) for k, o in enumerate(TARGETS)}
                | {"mean": mean[source][d]} for d, a in table.items()}
        print(f"\nPer observation, trained on {source}:\n")
        print(markdown("test domain", rows, [*SHORT.values(), "mean"]))


def bag_of_words(texts: list[str], vocab: dict[str, int] | None = None):
    """Binary unigram + bigram features; the vocabulary comes from the first call."""
    grams = []
    for text in texts:
        words = re.findall(r"[a-z]+|\d+(?:\.\d+)?", text.lower())
        grams.append(set(words) | {a + " " + b for a, b in zip(words, words[1:])})
    if vocab is None:
        vocab = {g: k for k, g in enumerate(sorted(set().union(*grams)))}
    x = torch.zeros(len(texts), len(vocab))
    for row, found in enumerate(grams):
        x[row, [vocab[g] for g in found if g in vocab]] = 1.0
    return x, vocab


def logistic_regression(x: torch.Tensor, y: torch.Tensor, steps: int = 300) -> nn.Module:
    """Multi-label logistic regression, full batch from zero weights (deterministic)."""
    with torch.device("meta"):
        linear = nn.Linear(x.shape[1], y.shape[1])
    linear.to_empty(device="cpu")
    nn.init.zeros_(linear.weight), nn.init.zeros_(linear.bias)
    optimizer = torch.optim.Adam(linear.parameters(), lr=0.1)
    for _ in range(steps):
        optimizer.zero_grad()
        loss = nn.functional.binary_cross_entropy_with_logits(linear(x), y)
        (loss + 1e-4 * linear.weight.square().sum()).backward()
        optimizer.step()
    return linear


def text_gap(args: argparse.Namespace) -> None:
    keys = study_keys(args.seed, torch.arange(args.n_train + args.n_test))
    findings = sample_findings(keys)  # the reports of generate(), without rendering images
    y, reports = findings.labels()[:, 1:], write_reports(findings, keys)
    styles = [CANONICAL, *ma.ReportStyle.presets()]
    texts = {s: reports if s == CANONICAL else
             apply_report(ma.ReportStyle.preset(s), reports, keys) for s in styles}
    tr, te = slice(0, args.n_train), slice(args.n_train, None)
    matrix = {}
    for source in styles:
        x, vocab = bag_of_words(texts[source][tr])
        linear = logistic_regression(x, y[tr])
        matrix[source] = {d: float(accuracy(linear, bag_of_words(texts[d][te], vocab)[0],
                                            y[te]).mean()) for d in styles}
    print("\nReport text: bag-of-words logistic regression, mean accuracy (%); rows: train "
          "ReportStyle, columns: test\n")
    print(markdown("train \\ test", matrix, styles))
    print("\n" + gap_summary(matrix))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--train", nargs="+",
                        default=["dr_flat_panel", "cr", "portable_ap", "digitised_film"])
    parser.add_argument("--n-train", type=int, default=3000)
    parser.add_argument("--n-test", type=int, default=1000)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--standardise", action="store_true",
                        help="standardise each image (zero mean, unit std) before the CNN")
    parser.add_argument("--text", action="store_true", help="also run the report-text gap")
    parser.add_argument("--no-image", action="store_true", help="skip the image gap")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if not args.no_image:
        image_gap(args)
    if args.text:
        text_gap(args)


if __name__ == "__main__":
    main()
