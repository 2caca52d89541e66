"""Family tests for the text ops: exact outputs under a seed, protected tokens, spacing."""

import re

import numpy as np
import pytest
import torch
from text_cases import REPORTS

pytest.importorskip("spacy", reason="needs the text extra: pip install 'mmr[text]'")

import mmr_augment.text as mt
from mmr_augment.errors import ConfigError
from mmr_augment.text.ops.typo import _forbidden, misspell

REPORT = REPORTS[0]


def edited(*changes: tuple[str, str]) -> str:
    """``REPORT`` with each ``(old, new)`` made in turn, at the first ``old`` after the last
    change (so ``("left", "right"), ("right", "left")`` swaps the two words)."""
    text, at = REPORT, 0
    for old, new in changes:
        at = text.index(old, at)
        text = text[:at] + new + text[at + len(old):]
        at += len(new)
    return text


EXPECTED = {
    mt.SentenceDeletion(rate=0.4): edited(("Heart size is normal. ", ""),
                                          ("Mild cardiomegaly. ", ""),
                                          (" Possible right lower lobe pneumonia.", "")),
    # the cut keeps "Mild cardiomegaly.": without it the labels would read "Heart size is
    # normal." (negative) and lose the effusion and cardiomegaly findings' positive labels
    mt.Truncation(fraction=0.4): edited((" No acute disease. Possible right lower lobe "
                                         "pneumonia.", "")),
    mt.WordDropout(rate=0.3): edited(("and ", ""), (" views", ""), ("The ", ""), (" or", ""),
                                     ("Mild ", "")),
    mt.SentenceShuffle(rate=1.0): (
        "FINDINGS: No pleural effusion or pneumothorax. Heart size is normal. The lungs "
        "are clear. PA and lateral views. There is a small left pleural "
        "effusion.\n\nIMPRESSION: No acute disease. Mild cardiomegaly. Possible right "
        "lower lobe pneumonia."
    ),
    mt.Typo(rate=0.3): edited(("and", "qnd"), ("views", "vuews"), ("The", "Rhe"),
                              ("Mild", "Rnild")),
    mt.SynonymSwap(rate=1.0): edited(("effusion", "fluid"), ("effusion", "fluid"),
                                     ("Mild cardiomegaly", "Slight enlarged cardiac silhouette"),
                                     ("pneumonia", "pneumonic process")),
    mt.AbbreviationSwap(rate=1.0, direction="contract"): edited(
        ("lateral", "lat"), ("pneumothorax", "PTX"), ("pneumonia", "PNA")),
    mt.SectionShuffle(rate=1.0): (
        "IMPRESSION: Mild cardiomegaly. No acute disease. Possible right lower lobe "
        "pneumonia.\n\nFINDINGS: PA and lateral views. The lungs are clear. No pleural "
        "effusion or pneumothorax. Heart size is normal. There is a small left pleural "
        "effusion."
    ),
    mt.HeaderRestyle(rate=1.0): edited(("FINDINGS", "Finding"), ("IMPRESSION", "Summary")),
    mt.NegationFlip(rate=0.5): edited(("There is a small", "There is no small"),
                                      ("Mild", "No mild")),
    mt.LateralitySwap(rate=1.0): edited(("left", "right"), ("right", "left")),
}


@pytest.mark.parametrize("op", list(EXPECTED), ids=lambda op: type(op).__name__)
def test_exact_output_under_a_seed(op):
    assert op([REPORT], generator=0).texts == [EXPECTED[op]]


def protected_words(text):
    report = mt.parse(text)
    keep = report.protected & ((report.token_flags & int(mt.TokenFlag.HEADER)) == 0)
    return sorted(t for t, k in zip(report.tokens, keep, strict=True) if k)


@pytest.mark.parametrize("cls", [mt.WordDropout, mt.Typo, mt.SynonymSwap, mt.AbbreviationSwap,
                                 mt.SentenceShuffle, mt.SectionShuffle, mt.CaseWhitespace])
def test_protected_tokens_survive(cls):
    out = cls(severity=5)(REPORTS, generator=1)
    for before, after in zip(REPORTS, out.texts, strict=True):
        assert protected_words(after) == protected_words(before)


@pytest.mark.parametrize("cls", [mt.WordDropout, mt.SentenceDeletion, mt.Truncation])
def test_removal_keeps_the_original_spacing(cls):
    out = cls(severity=5)(REPORTS, generator=2)
    for before, after in zip(REPORTS, out.texts, strict=True):
        assert len(after) < len(before)
        assert not re.search(r" [.,;:]|  |^ | $", after), after
        assert after.count("\n") <= before.count("\n")


def test_word_dropout_never_drops_part_of_a_mention():
    out = mt.WordDropout(rate=1.0)(REPORTS, generator=0)
    for before, after in zip(REPORTS, out.texts, strict=True):
        phrases = lambda t: sorted(  # noqa: E731
            " ".join(mt.parse(t).tokens[m.token_start:m.token_end]).lower()
            for m in mt.parse(t).mentions)
        assert phrases(after) == phrases(before)


def test_sentence_deletion_keeps_one_sentence_unless_allowed():
    kept = mt.SentenceDeletion(rate=1.0)(REPORTS, generator=0)
    for before, after in zip(REPORTS, kept.texts, strict=True):
        assert len(mt.parse(after).sentence_bounds) >= 1
        assert mt.labels_kept(mt.report_labels(before), mt.report_labels(after),
                              "information_removing")
    # one report keeps two: its only positive finding outside the kept sentence
    assert [len(mt.parse(t).sentence_bounds) for t in kept.texts].count(1) == len(REPORTS) - 1
    empty = mt.SentenceDeletion(rate=1.0, allow_empty=True)(REPORTS, generator=0)
    assert empty.texts[0] == "FINDINGS:\n\nIMPRESSION:"
    assert empty.texts[2] == ""


def test_truncation_always_keeps_the_first_sentence():
    out = mt.Truncation(fraction=1.0)(["Heart size is normal. No effusion. Lungs are clear."],
                                      generator=0)
    assert out.texts == ["Heart size is normal."]


def test_truncation_cuts_only_where_the_kept_labels_stay():
    out = mt.Truncation(fraction=1.0)(REPORTS, generator=0)
    # the first sentence alone would read "No Finding" positive: the atelectasis must stay
    assert out.texts[2] == ("The cardiomediastinal silhouette is within normal limits. There is "
                            "no focal consolidation. Left basilar atelectasis.")


def sentences(report):
    bounds = report.sentence_bounds
    return sorted(report.text[report.token_start[a]:report.token_end[b - 1]] for a, b in bounds)


def test_shuffles_only_reorder_whole_units():
    for op in (mt.SentenceShuffle(rate=1.0), mt.SectionShuffle(rate=1.0)):
        out = op(REPORTS, generator=3)
        for before, after in zip(REPORTS, out.texts, strict=True):
            b, a = mt.parse(before), mt.parse(after)
            assert sorted(s.name or "" for s in a.sections) == sorted(s.name or ""
                                                                      for s in b.sections)
            assert sentences(a) == sentences(b)


def test_sentence_shuffle_keeps_sentences_in_their_section():
    out = mt.SentenceShuffle(rate=1.0)(REPORTS, generator=5)
    for before, after in zip(REPORTS, out.texts, strict=True):
        assert [len(s) for s in after.split("IMPRESSION")] == [
            len(s) for s in before.split("IMPRESSION")]


def test_header_restyle_keeps_canonical_sections():
    for seed in range(5):
        out = mt.HeaderRestyle(rate=1.0)(REPORTS, generator=seed)
        for before, after in zip(REPORTS, out.texts, strict=True):
            assert ([s.name for s in mt.parse(after).sections]
                    == [s.name for s in mt.parse(before).sections])


def test_case_whitespace_only_changes_case_and_spaces():
    out = mt.CaseWhitespace(rate=0.5)(REPORTS, generator=0)
    for before, after in zip(REPORTS, out.texts, strict=True):
        assert after != before
        assert re.sub(" +", " ", after).lower() == before.lower()
        assert after.count("\n") == before.count("\n")


def test_typos_change_one_word_each_and_never_spell_a_cue():
    out = mt.Typo(rate=0.5)(REPORTS * 3, generator=0)
    edits = [e for es in out.edits for e in es]
    assert len(edits) > 20
    for e in edits:
        assert e.old.isalpha() and e.new != e.old and " " not in e.new
        assert e.new.lower() not in _forbidden()


def test_misspell_kinds():
    assert misspell("normal", 0.1, 0.0, 0.0) == "bormal"     # keyboard neighbour
    assert misspell("normal", 0.5, 0.0, 0.0) == "norrnal"    # OCR: m -> rn
    assert misspell("normal", 0.9, 0.0, 0.0) == "onrmal"     # transposition
    assert misspell("Normal", 0.1, 0.0, 0.0) == "Bormal"     # case kept


def test_abbreviation_directions():
    text = ["PA view. CHF. No congestive heart failure."]
    assert mt.AbbreviationSwap(rate=1.0, direction="expand")(text, generator=0).texts == [
        "Posteroanterior view. Congestive heart failure. No congestive heart failure."]
    assert mt.AbbreviationSwap(rate=1.0, direction="contract")(text, generator=0).texts == [
        "PA view. CHF. No CHF."]
    with pytest.raises(ConfigError, match="direction"):
        mt.AbbreviationSwap(direction="sideways")


def test_synonym_case_follows_the_original():
    out = mt.SynonymSwap(rate=1.0)(["Pleural effusion. SMALL PLEURAL EFFUSION. There is an "
                                    "ET tube."], generator=0)
    assert out.texts == ["Pleural fluid. SMALL PLEURAL FLUID. There is an breathing tube."]


def test_text_batch_take_put_where_and_edit_log():
    batch = mt.TextBatch.of(["a.", "b.", "c."])
    part = mt.TextBatch(["B."], [[mt.Edit("case_whitespace", 0, 1, "b", "B")]], [None])
    out = batch.put(torch.tensor([1]), part)
    assert out.texts == ["a.", "B.", "c."] and batch.texts == ["a.", "b.", "c."]
    assert out.take(torch.tensor([1, 0])).texts == ["B.", "a."]
    assert out.where(torch.tensor([False, True, False]), batch).texts == ["a.", "B.", "c."]
    assert out.edits[1][0].as_dict() == {"kind": "case_whitespace", "start": 0, "end": 1,
                                         "old": "b", "new": "B"}


def test_draws_slice_replays_exactly():
    seeds, counts = torch.tensor([3, 4, 5]), np.array([2, 0, 3])
    all_rows = mt.base.draws(seeds, counts)
    assert len(all_rows) == 5
    np.testing.assert_array_equal(mt.base.draws(seeds[2:], counts[2:]), all_rows[2:])
