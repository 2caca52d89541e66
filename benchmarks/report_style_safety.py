"""Label safety, edit size and speed of every ``ReportStyle`` preset on real reports.

Usage:
    python benchmarks/report_style_safety.py PATH [--limit N] [--seeds 3]

PATH is a CSV with ``Findings`` and ``Impression`` columns (IU X-ray style; the
the CSV's start-/end-of-sequence markers are stripped). The CSV's text is only read, never written
anywhere. Each report is styled by every preset (and by the default family ``ReportStyle()``)
under ``--seeds`` seeds and labeled by ``mmr_augment.text`` before and after. Columns, as shares
of styled reports (target 0 for both):

- polarity flip: the output has a mention (observation, polarity) the input had nowhere;
- dropped mention: an input mention (observation, polarity) is gone;
- label change: ``label()`` of the output differs from the input's;
- edit fraction: characters in the edit log (old plus new) over input plus output
  characters, averaged over reports (0: untouched, 1: rewritten entirely; a section swap logs
  both moved sections whole);
- word distance: ``1 - difflib ratio`` over the words of input and output, averaged;
- reports/s: styling throughput with the input parses cached (one batch of all reports), by
  wall clock and by this process's CPU time (the fairer number on a shared machine).
"""

from __future__ import annotations

import argparse
import difflib
import time
from collections import Counter

from text_safety import load_reports  # same CSV reader (benchmarks/ is on sys.path)

from mmr_augment import ReportStyle
from mmr_augment.text.labeler import CONTEXT_SECTIONS, label
from mmr_augment.text.parse import parse


def mentions(text: str) -> Counter:
    """(observation, polarity) of every mention outside the clinical-context sections."""
    report = parse(text)
    names = [s.name for s in report.sections]
    return Counter((m.observation, m.polarity) for m in report.mentions
                   if names[int(report.sentence_section[int(report.token_sentence[
                       m.token_start])])] not in CONTEXT_SECTIONS)


def evaluate(style: ReportStyle, texts: list[str], seeds: int) -> dict[str, float]:
    """Shares of flips, drops and label changes, mean edit fraction, and reports/s."""
    for t in texts:
        parse(t)  # warm the parse cache: styling reuses the cached input parse
    flips = drops = changes = 0
    fraction = words = wall = cpu = 0.0
    for seed in range(seeds):
        start, start_cpu = time.perf_counter(), time.process_time()
        out = style(texts, generator=seed)
        wall += time.perf_counter() - start
        cpu += time.process_time() - start_cpu
        for before, after, edits in zip(texts, out.texts, out.edits, strict=True):
            old, new = mentions(before), mentions(after)
            flips += bool(new - old)
            drops += bool(old - new)
            changes += label(after) != label(before)
            touched = sum(len(e.old) + len(e.new) for e in edits)
            fraction += touched / (len(before) + len(after))
            words += 1 - difflib.SequenceMatcher(None, before.split(), after.split(),
                                                 autojunk=False).ratio()
    n = len(texts) * seeds
    return {"flip": flips / n, "drop": drops / n, "label": changes / n, "edit": fraction / n,
            "words": words / n, "wall": n / wall, "cpu": n / cpu}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    texts = load_reports(args.path, args.limit)
    print(f"{len(texts)} reports x {args.seeds} seeds\n")
    print("| style | polarity flip | dropped mention | label change | edit fraction | "
          "word distance | reports/s (wall) | reports/CPU-s |")
    print("|---|---|---|---|---|---|---|---|")
    styles = {name: ReportStyle.preset(name) for name in ReportStyle.presets()}
    styles["default family"] = ReportStyle()
    for name, style in styles.items():
        r = evaluate(style, texts, args.seeds)
        print(f"| {name} | {r['flip']:.4f} | {r['drop']:.4f} | {r['label']:.4f} | "
              f"{r['edit']:.3f} | {r['words']:.3f} | {r['wall']:,.0f} | {r['cpu']:,.0f} |")


if __name__ == "__main__":
    main()
