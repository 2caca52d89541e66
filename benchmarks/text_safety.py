"""Label safety of the text ops on real reports: report-level label changes.

Usage:
    python benchmarks/text_safety.py PATH [--severities 1 2 3 4 5] [--limit N]

PATH is a CSV with ``Findings`` and ``Impression`` columns (IU X-ray style;
the CSV's start-/end-of-sequence markers are stripped). Each report is labeled by the
``mmr_augment.text`` labeler (:func:`~mmr_augment.text.report_labels`: every observation
positive / uncertain / negative / unmentioned) before and after every op at each severity (and,
for comparison, every nlpaug 1.1.11 op at per-word probability 0.1). A report counts as
changed when :func:`~mmr_augment.text.labels_kept` fails: after a meaning-preserving op a
label differs; after an information-removing op a label differs other than by becoming
unmentioned. nlpaug's deletions are held to the information-removing rule, its other ops to the
meaning-preserving one. Goal: at most 0.5 % for every op outside the meaning-changing class.
Also printed: the share of reports that lost a mention (expected for removal ops).
"""

from __future__ import annotations

import argparse
import csv
import datetime
import random
import re
from collections import Counter

import mmr_augment as ma
from mmr_augment.text import TextPerturbation, labels_kept, report_labels
from mmr_augment.text.labeler import CONTEXT_SECTIONS
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


#: nlpaug op -> the class whose promise it is held to.
NLPAUG_EFFECT = {"nlpaug RandomWordAug(delete)": "information_removing",
                 "nlpaug RandomWordAug(crop)": "information_removing"}


def compare(before, after, effect: str) -> tuple[bool, bool]:
    """(a report-level label changed against ``effect``'s promise, a mention was dropped)
    between two parsed reports."""
    changed = not labels_kept(report_labels(before), report_labels(after), effect)
    return changed, bool(mentions(before) - mentions(after))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("path")
    ap.add_argument("--severities", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    ap.add_argument("--limit", type=int, default=None)
    args = ap.parse_args()
    texts = load_reports(args.path, args.limit)
    before = [parse(t) for t in texts]
    rows = []
    variants = [(n, n, {}) for n in text_ops()]
    variants.append(("WordDropout(verify=False)", "WordDropout", {"verify": False}))
    for shown, name, kwargs in variants:
        cls = ma.REGISTRY[name]
        changed, dropped = [], []
        for severity in args.severities:
            op: TextPerturbation = cls(severity=severity, **kwargs)
            out = op(before, generator=severity).texts
            c, d = _shares(before, out, cls.effect)
            changed.append(c)
            dropped.append(d)
        rows.append((shown, cls.effect, changed, max(dropped)))
    random.seed(0)  # nlpaug draws from the global `random` module; seeded for a repeatable row
    for name, aug in nlpaug_ops().items():
        out = [run_nlpaug(aug, t) for t in texts]
        c, d = _shares(before, out, NLPAUG_EFFECT.get(name, "meaning_preserving"))
        rows.append((name, "baseline (p 0.1)", [c], d))
    levels = " ".join(map(str, args.severities))
    print(f"`python benchmarks/text_safety.py {args.path} --severities {levels}` "
          f"({datetime.date.today()}, {len(texts)} reports)\n")
    head = " | ".join(f"sev {s}" for s in args.severities)
    print(f"| op | class | label change, {head} | dropped mention (max) |")
    print("|---|---|" + "---:|" * len(args.severities) + "---:|")
    for name, effect, changed, dropped in rows:
        cells = " | ".join(f"{c:.1%}" for c in changed)
        pad = " |" * (len(args.severities) - len(changed))
        print(f"| {name} | {effect} | {cells}{pad} | {dropped:.1%} |")


def _shares(before: list, texts: list[str], effect: str) -> tuple[float, float]:
    rows = [compare(b, parse(t), effect) for b, t in zip(before, texts, strict=True)]
    n = max(len(rows), 1)
    return sum(r[0] for r in rows) / n, sum(r[1] for r in rows) / n


if __name__ == "__main__":
    main()
