"""The re-parse-free drop check (``mmr_augment.text._drops``) against the real parser.

Whenever ``kept_drops`` claims the structure stays, the parse of the edited text must have
exactly the predicted sentences, and the drops it keeps must leave the reading unchanged.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
import yaml

pytest.importorskip("spacy", reason="needs the text extra: pip install 'mmr[text]'")

import mmr_augment as ma
from mmr_augment.synthetic import SyntheticCXR
from mmr_augment.text._drops import kept_drops
from mmr_augment.text.base import splice
from mmr_augment.text.ops._tables import Tokens, removal_spans
from mmr_augment.text.ops._verify import reading
from mmr_augment.text.parse import parse
from mmr_augment.text.report import TokenFlag

DATA = Path(__file__).parents[1] / "data"


def _texts() -> list[str]:
    hand = [r["text"] for r in yaml.safe_load((DATA / "reports.yaml").read_text(encoding="utf-8"))]
    base = [SyntheticCXR(n=40, size=32, seed=1)[i]["report"] for i in range(40)]
    styled = [t for name in ma.ReportStyle.presets()
              for t in ma.ReportStyle.preset(name)(base, generator=2).texts]
    return hand + base + styled


def _drop(text: str, rate: float, rng: random.Random):
    """A random drop of eligible words (as WordDropout chooses them) and its removal spans."""
    report = parse(text)
    tok = Tokens.of([report])
    eligible = np.flatnonzero(tok.whole_word & ~tok.protected & ~tok.has(TokenFlag.FINDING)
                              & (tok.sentence >= 0))
    drop = np.zeros(len(tok.row), dtype=bool)
    drop[[k for k in eligible.tolist() if rng.random() < rate]] = True
    forward = tok.has_next & (tok.next_start > tok.end)
    start, end = removal_spans(tok.start, tok.end, tok.prev_end, tok.next_start, forward,
                               tok.has_prev, drop)
    spans = [(int(a), int(b), "") for a, b in zip(start[drop], end[drop])]
    return report, np.flatnonzero(drop).tolist(), spans


def test_structure_claims_hold_and_kept_drops_read_the_same():
    rng, checked, fallback = random.Random(0), 0, 0
    for text in _texts():
        for rate in (0.15, 0.4):
            report, drops, spans = _drop(text, rate, rng)
            if not drops:
                continue
            kept = kept_drops(report, drops)
            if kept is None:
                fallback += 1
                continue
            checked += 1
            edited = parse(splice(text, spans, "word_dropout")[0])
            words = [t.lower() for t in report.tokens]
            want = [tuple(words[k] for k in range(a, b) if k not in set(drops))
                    for a, b in report.sentence_bounds.tolist()]
            new_words = [t.lower() for t in edited.tokens]
            got = [tuple(new_words[a:b]) for a, b in edited.sentence_bounds.tolist()]
            assert got == want, text
            assert [s.name for s in edited.sections] == [s.name for s in report.sections]
            kept_spans = [sp for sp, k in zip(spans, drops) if k in set(kept)]
            assert reading(parse(splice(text, kept_spans, "word_dropout")[0])) == \
                reading(report), text
    assert checked > 5 * fallback > 0  # the fast path is the common one, not the only one


@pytest.mark.parametrize(("text", "word"), [
    ("Opacity in Fig. Lungs are clear.", "Lungs"),  # "Fig." would stop ending a sentence
    ("FINDINGS\nHeart is normal.", "Heart"),          # at a line start
    ("Stable findings. The impression is clear.", "The"),  # a header word after a period
    ("Nodule grade 2 lesion. Lungs clear.", "lesion"),  # "2." would open a numbered item
])
def test_drops_that_may_change_the_structure_ask_for_a_reparse(text, word):
    report = parse(text)
    assert kept_drops(report, [report.tokens.index(word)]) is None


def test_kept_drops_keeps_safe_words_and_undoes_a_new_phrase():
    report = parse("Heart size is normal. No acute pulmonary abnormality.")
    assert kept_drops(report, [report.tokens.index("normal")]) is not None  # "is." splits
    k_is, k_pulm = report.tokens.index("is"), report.tokens.index("pulmonary")
    assert kept_drops(report, [k_is]) == [k_is]
    assert kept_drops(report, [k_is, k_pulm]) == [k_is]
    assert kept_drops(report, []) == []
    assert kept_drops(parse("Coeur normal. Ré-examen."), [0]) is None  # non-ASCII: re-parse
