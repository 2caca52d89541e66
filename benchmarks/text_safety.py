"""Label safety of the text ops on real reports: polarity flips and dropped mentions.

Usage:
    python benchmarks/text_safety.py PATH [--severity 3] [--limit N]

PATH is a CSV with ``Findings`` and ``Impression`` columns (IU X-ray style;
the CSV's start-/end-of-sequence markers are stripped). Each report is labeled by
``mmr_augment.text`` parser and labeler before and after every family (and, for comparison,
every nlpaug 1.1.11 op at per-word probability 0.1). Columns, as shares of reports:

- polarity flip (mention): the output has a mention (observation, polarity) the input had
  nowhere; target 0 for the meaning-preserving and information-removing classes;
- dropped mention: an input mention is gone (expected for sentence deletion / truncation);
- label change: the report-level label of a finding still labeled changed. Dropping mentions
  alone can do this (delete "Small right effusion." from "No left effusion. Small right
  effusion." and the effusion label turns negative), so it is not 0 for removal ops.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import random
import re
from collections import Counter

import mmr_augment as ma
from mmr_augment.text import TextPerturbation
from mmr_augment.text.labeler import CONTEXT_SECTIONS, label
from mmr_augment.text.parse import parse

_MARKERS = re.compile(r"\b(start|end)seq\b")  # the CSV's sequence markers


def load_reports(path: str, limit: int | None = None) -> list[str]:
    """``FINDINGS: ...\\nIMPRESSION: ...`` texts from an IU X-ray style CSV (empty ones left
    out)."""
    texts = []
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            parts = []
            for column, header in (("Findings", "FINDINGS"), ("Impression", "IMPRESSION")):
                body = " ".join(_MARKERS.sub(" ", row.get(column) or "").split())
                if body:
                    parts.append(f"{header}: {body}")
            if parts:
                texts.append("\n".join(parts))
    return texts[:limit] if limit else texts


def text_ops() -> list[str]:
    """Names of every registered text op."""
    return sorted(n for n, c in ma.REGISTRY.items() if c.modality == "text")


def nlpaug_ops() -> dict:
    """nlpaug 1.1.11 equivalents at per-word probability 0.1 (None where not installed)."""
    try:
        import nlpaug.augmenter.char as nac
        import nlpaug.augmenter.word as naw
    except ImportError:
        return {}
    return {"nlpaug RandomWordAug(delete)": naw.RandomWordAug(action="delete", aug_p=0.1),
            "nlpaug RandomWordAug(crop)": naw.RandomWordAug(action="crop", aug_p=0.1),
            "nlpaug RandomWordAug(swap)": naw.RandomWordAug(action="swap", aug_p=0.1),
            "nlpaug KeyboardAug": nac.KeyboardAug(aug_word_p=0.1),
            "nlpaug OcrAug": nac.OcrAug(aug_word_p=0.1)}


def run_nlpaug(aug, text: str) -> str:
    """nlpaug's output, or the text unchanged where nlpaug raises (``crop`` fails on short
    texts)."""
    try:
        return aug.augment(text)[0]
    except ValueError:
        return text


def mentions(report) -> Counter:
    """(observation, polarity) of every mention the labeler reads."""
    return Counter((m.observation, m.polarity) for m in report.mentions
                   if report.sections[int(report.sentence_section[
                       int(report.token_sentence[m.token_start])])].name not in CONTEXT_SECTIONS)


def compare(before, after) -> tuple[bool, bool, bool]:
    """(a mention polarity the input did not have, a dropped mention, a changed label of a
    finding still labeled) between two parsed reports."""
    mb, ma_ = mentions(before), mentions(after)
    lb, la = label(before), label(after)
    changed = any(k in la and la[k] != v for k, v in lb.items())
    return bool(set(ma_) - set(mb)), bool(mb - ma_), changed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("path")
    ap.add_argument("--severity", type=int, default=3)
    ap.add_argument("--limit", type=int, default=None)
    args = ap.parse_args()
    texts = load_reports(args.path, args.limit)
    reports = [parse(t) for t in texts]
    before = reports
    rows = []
    variants = [(n, n, {}) for n in text_ops()]
    variants.append(("WordDropout(verify=False)", "WordDropout", {"verify": False}))
    for shown, name, kwargs in variants:
        cls = ma.REGISTRY[name]
        op: TextPerturbation = cls(severity=args.severity, **kwargs)
        out = op(reports, generator=0).texts
        rows.append((shown, cls.effect, *_shares(before, out)))
    random.seed(0)  # nlpaug draws from the global `random` module; seeded for a repeatable row
    for name, aug in nlpaug_ops().items():
        out = [run_nlpaug(aug, t) for t in texts]
        rows.append((name, "baseline", *_shares(before, out)))
    print(f"`python benchmarks/text_safety.py {args.path} --severity {args.severity}` "
          f"({datetime.date.today()}, {len(texts)} reports)\n")
    print("| op | class | polarity flip (mention) | dropped mention | label change |")
    print("|---|---|---:|---:|---:|")
    for name, effect, flip, drop, changed in rows:
        print(f"| {name} | {effect} | {flip:.1%} | {drop:.1%} | {changed:.1%} |")


def _shares(before: list, texts: list[str]) -> tuple[float, ...]:
    rows = [compare(b, parse(t)) for b, t in zip(before, texts, strict=True)]
    return tuple(sum(r[k] for r in rows) / max(len(rows), 1) for k in range(3))


if __name__ == "__main__":
    main()
