"""Text throughput: reports/s for ``parse`` and every text family vs nlpaug 1.1.11.

Usage:
    python benchmarks/text_throughput.py [PATH] [--batch 64] [--seconds 1.0] [--cpu]

Families run on cached parses (a report is parsed once and perturbed many times), in batches,
at per-word / per-unit probability 0.1; nlpaug's nearest equivalent runs in the same process on
the same texts at ``aug_p`` / ``aug_word_p`` 0.1. With PATH (an IU X-ray style CSV, see
``text_safety.py``) the real reports are used; generated reports are always measured too.
Prints markdown tables with the ratio mmr / nlpaug. ``--cpu`` times by this process's CPU
time (``time.process_time``, one torch thread) instead of the wall clock: on a machine shared
with other jobs the wall clock counts their load, which moves between the nlpaug and the mmr
runs.
"""

from __future__ import annotations

import argparse
import datetime
import random
import statistics
import time

import numpy as np
import torch
from text_safety import load_reports, nlpaug_ops, run_nlpaug, text_ops

import mmr_augment as ma
from mmr_augment.text import clear_layout_cache, parse, set_parse_cache_size

#: Family op -> nlpaug op of ``text_safety.nlpaug_ops`` it is compared with.
NEAREST = {
    "WordDropout": "nlpaug RandomWordAug(delete)",
    "SentenceDeletion": "nlpaug RandomWordAug(crop)",
    "Truncation": "nlpaug RandomWordAug(crop)",
    "Typo": "nlpaug KeyboardAug",
    "SentenceShuffle": "nlpaug RandomWordAug(swap)",
    "SectionShuffle": "nlpaug RandomWordAug(swap)",
}
_STRENGTH = {"Truncation": {"fraction": 0.1}, "ReportStyle": {}}

_SENTENCES = [
    "The lungs are clear.", "No pleural effusion or pneumothorax.", "Heart size is normal.",
    "There is a small left pleural effusion.", "Mild cardiomegaly.", "No acute disease.",
    "Possible right lower lobe pneumonia.", "Stable mild cardiomegaly.",
    "Bony structures are intact.", "No focal consolidation.", "Pulmonary edema is worse.",
    "ET tube and NG tube in place.", "Degenerative changes of the thoracic spine.",
    "The cardiomediastinal silhouette is within normal limits.", "PA and lateral views.",
    "Calcified granuloma in the right upper lobe measures 5 mm.",
]


def generated_reports(n: int, seed: int = 0) -> list[str]:
    """``n`` distinct FINDINGS / IMPRESSION reports assembled from template sentences."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        findings = rng.choice(_SENTENCES, size=rng.integers(3, 8), replace=False)
        impression = rng.choice(_SENTENCES, size=rng.integers(1, 3), replace=False)
        out.append(f"FINDINGS: {' '.join(findings)}\nIMPRESSION: {' '.join(impression)} "
                   f"Study {i}.")
    return out


CLOCK = time.perf_counter


def rate(fn, n_reports: int, seconds: float) -> float:
    """Reports per second of ``fn`` (which handles ``n_reports`` per call), by :data:`CLOCK`."""
    fn()
    calls, start = 0, CLOCK()
    while CLOCK() - start < seconds:
        fn()
        calls += 1
    return calls * n_reports / (CLOCK() - start)


def table(texts: list[str], batch: int, seconds: float) -> list[str]:
    set_parse_cache_size(0)
    parsing = rate(lambda: [parse(t) for t in texts], len(texts), seconds)
    lines = [f"| parse (uncached) | {parsing:,.0f} | | | |"]
    set_parse_cache_size(65_536)
    reports = [parse(t) for t in texts]
    chunks = [reports[i:i + batch] for i in range(0, len(reports), batch)]
    baseline = nlpaug_ops()
    random.seed(0)  # nlpaug draws from the global `random` module
    base_rate = {name: rate(lambda a=aug: [run_nlpaug(a, t) for t in texts], len(texts), seconds)
                 for name, aug in baseline.items()}
    variants = [(n, n, _STRENGTH.get(n, {"rate": 0.1})) for n in text_ops()]
    variants.append(("WordDropout(verify=False)", "WordDropout", {"rate": 0.1, "verify": False}))
    for shown, name, kwargs in variants:
        op = ma.REGISTRY[name](**kwargs)
        seeds = iter(range(10**9))
        mine = rate(lambda o=op, s=seeds: [o(c, generator=next(s)) for c in chunks],
                    len(texts), seconds)
        other = NEAREST.get(name)
        if other in base_rate:
            lines.append(f"| {shown} | {mine:,.0f} | {other} | {base_rate[other]:,.0f} | "
                         f"{mine / base_rate[other]:.1f}x |")
        else:
            lines.append(f"| {shown} | {mine:,.0f} | — | | |")
    return lines


def visits(texts: list[str], batch: int, rounds: int = 3) -> list[str]:
    """WordDropout's verification memoises per report (token layout, one verdict per token
    dropped alone) and per sentence; rates on a report's first, second and tenth visit
    (new seed each), each against one nlpaug pass over the same texts, median of ``rounds``."""
    reports = [parse(t) for t in texts]
    chunks = [reports[i:i + batch] for i in range(0, len(reports), batch)]
    op = ma.REGISTRY["WordDropout"](rate=0.1)
    aug = nlpaug_ops()["nlpaug RandomWordAug(delete)"]
    ratios: dict[int, list[float]] = {1: [], 2: [], 10: []}
    for r in range(rounds):
        clear_layout_cache()
        for visit in range(1, 11):
            start = CLOCK()
            for c in chunks:
                op(c, generator=1000 * r + visit)
            mine = CLOCK() - start
            if visit in ratios:
                start = CLOCK()
                for t in texts:
                    run_nlpaug(aug, t)
                ratios[visit].append((CLOCK() - start) / mine)
    return [f"| WordDropout, visit {v} | {statistics.median(x):.1f}x |" for v, x in ratios.items()]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("path", nargs="?")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--seconds", type=float, default=1.0)
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--cpu", action="store_true", help="time by process CPU time")
    args = ap.parse_args()
    if args.cpu:
        global CLOCK
        CLOCK = time.process_time
        torch.set_num_threads(1)
    sets = [("generated", generated_reports(512))]
    if args.path:
        sets.insert(0, (args.path, load_reports(args.path, args.limit)))
    cmd = "python benchmarks/text_throughput.py" + (f" {args.path}" if args.path else "") \
        + (" --cpu" if args.cpu else "")
    print(f"`{cmd}` ({datetime.date.today()}, batch {args.batch}, per-word probability 0.1)")
    for label, texts in sets:
        print(f"\n{label}: {len(texts)} reports\n")
        print("| op | mmr reports/s | nlpaug equivalent | nlpaug reports/s | ratio |")
        print("|---|---:|---|---:|---:|")
        print("\n".join(table(texts, args.batch, args.seconds)))
        print("\n| op (fresh layouts) | ratio to nlpaug |\n|---|---:|")
        print("\n".join(visits(texts, args.batch)))


if __name__ == "__main__":
    main()
