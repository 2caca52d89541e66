"""parse(): offsets, sentences, sections, flags, mentions, cache, bad input, mining."""

from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

pytest.importorskip("spacy", reason="needs the text extra: pip install 'mmr[text]'")

from mmr_augment.errors import InputError, InputTypeError
from mmr_augment.text import (
    MAX_REPORT_CHARS,
    TokenFlag,
    mine_abbreviations,
    parse,
    parse_cache_info,
    section_headers,
    set_parse_cache_size,
    write_abbreviation_file,
)
from mmr_augment.text.lexicon import load_lexicon

CASES = yaml.safe_load((Path(__file__).parents[1] / "data" / "reports.yaml").read_text())


def _sentences(text):
    report = parse(text)
    return [text[s:e] for s, e in report.sentence_spans.tolist()]


def _flag(text, token):
    report = parse(text)
    return TokenFlag(int(report.token_flags[report.tokens.index(token)]))


def _check_offsets(report):
    assert report.tokens == [report.text[s:e] for s, e in
                             zip(report.token_start.tolist(), report.token_end.tolist())]
    assert all(t.strip() == t and t for t in report.tokens)
    assert np.all(np.diff(report.token_start) > 0) if report.n_tokens > 1 else True
    assert np.all(report.token_start[1:] >= report.token_end[:-1])


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_offsets_reproduce_the_text(case):
    _check_offsets(parse(case["text"]))


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200))
def test_any_text_parses_with_consistent_structure(text):
    report = parse(text)
    _check_offsets(report)
    in_body = report.token_sentence >= 0
    assert np.all((report.token_flags[~in_body] & TokenFlag.HEADER) != 0)
    if len(report.sentence_bounds):
        assert np.all(report.sentence_bounds[:, 1] > report.sentence_bounds[:, 0])


@pytest.mark.parametrize("text, expected", [
    ("A 2.5 cm nodule. Dr. XXXX was called.", ["A 2.5 cm nodule.", "Dr. XXXX was called."]),
    ("Patient s/p CABG. Compression of T10 is stable",
     ["Patient s/p CABG.", "Compression of T10 is stable"]),
    ("1. Cardiomegaly. 2. No effusion.", ["1. Cardiomegaly.", "2. No effusion."]),
    ("1. Cardiomegaly 2. No effusion 3. Left PICC",
     ["1. Cardiomegaly", "2. No effusion", "3. Left PICC"]),
    ("1) Edema\n2) Effusion", ["1) Edema", "2) Effusion"]),
    ("Effusion is L>R. Lungs clear", ["Effusion is L>R.", "Lungs clear"]),
    ("Heart normal\nLungs clear\n\nno effusion", ["Heart normal", "Lungs clear", "no effusion"]),
    ("There is a small right\npleural effusion and a\nPICC line.",
     ["There is a small right\npleural effusion and a\nPICC line."]),
    ("Measures 2. Then stable.", ["Measures 2.", "Then stable."]),
])
def test_sentence_splits_on_tricky_cases(text, expected):
    assert _sentences(text) == expected


@pytest.mark.parametrize("text, names", [
    ("FINDINGS: Clear.\nIMPRESSION: Normal.", ["FINDINGS", "IMPRESSION"]),
    ("Findings: Clear. Impression: Normal.", ["FINDINGS", "IMPRESSION"]),
    ("findings:\nclear\nimpression:\nnormal", ["FINDINGS", "IMPRESSION"]),
    ("FINDINGS\nClear.\n\nIMPRESSION\nNormal.", ["FINDINGS", "IMPRESSION"]),
    ("FINDINGS Clear lungs. IMPRESSION Normal.", ["FINDINGS", "IMPRESSION"]),
    ("EXAM: CHEST PA AND LAT\nREASON FOR EXAM: cough\nWet read: ok", [
        "EXAMINATION", "REASON FOR EXAM", "WET READ"]),
    ("Clinical history: fever.\nRecommendations: CT.", ["CLINICAL HISTORY", "RECOMMENDATION"]),
    ("Lungs are clear. Findings are normal.", [None]),
    ("HISTORY OF CABG. Lungs clear.", [None]),
    ("No acute findings: lungs clear.", [None]),
    ("Preamble text.\nIMPRESSION: Normal.", [None, "IMPRESSION"]),
])
def test_sections_in_all_header_forms(text, names):
    report = parse(text)
    assert [s.name for s in report.sections] == names
    for section in report.sections:
        start, end = section.body_span
        assert text[start:end] == text[start:end].strip()
        if section.header_span:
            header = text[section.header_span[0]:section.header_span[1]]
            words = " ".join(header.rstrip(": \t").lower().split())
            assert words in section_headers()[section.name]


def test_section_spans_sentences_and_header_tokens():
    text = "FINDINGS: No effusion. Mild cardiomegaly.\nIMPRESSION: Cardiomegaly."
    report = parse(text)
    findings, impression = report.sections
    assert findings.header_span == (0, 9) and text[slice(*findings.body_span)] == (
        "No effusion. Mild cardiomegaly.")
    assert (findings.sentence_start, findings.sentence_end) == (0, 2)
    assert (impression.sentence_start, impression.sentence_end) == (2, 3)
    assert report.sentence_section.tolist() == [0, 0, 1]
    headers = [t for t, s in zip(report.tokens, report.token_sentence.tolist()) if s < 0]
    assert headers == ["FINDINGS", ":", "IMPRESSION", ":"]


@pytest.mark.parametrize("text, token, present, absent", [
    ("No pneumothorax.", "No", TokenFlag.NEGATION, TokenFlag.NEGATED),
    ("No pneumothorax.", "pneumothorax", TokenFlag.NEGATED | TokenFlag.FINDING, 0),
    ("No change in the cardiomegaly.", "change", TokenFlag.PSEUDO_NEGATION, TokenFlag.NEGATION),
    ("No change in the cardiomegaly.", "cardiomegaly", TokenFlag.FINDING, TokenFlag.NEGATED),
    ("Not only edema.", "edema", TokenFlag.FINDING, TokenFlag.NEGATED),
    ("No effusion but there is edema.", "but", TokenFlag.TERMINATION, 0),
    ("No effusion but there is edema.", "edema", TokenFlag.FINDING, TokenFlag.NEGATED),
    ("Effusion is not seen.", "Effusion", TokenFlag.NEGATED, 0),
    ("Edema may be present.", "may", TokenFlag.UNCERTAINTY, 0),
    ("Cannot exclude pneumonia.", "pneumonia", TokenFlag.UNCERTAIN, TokenFlag.NEGATED),
    ("Small left effusion.", "left", TokenFlag.LATERALITY, 0),
    ("Right-sided effusion.", "Right-sided", TokenFlag.LATERALITY, 0),
    ("A 2.5 cm nodule at T10.", "2.5", TokenFlag.NUMBER, 0),
    ("A 2.5 cm nodule at T10.", "cm", TokenFlag.NUMBER, 0),
    ("A 2.5 cm nodule at T10.", "T10", TokenFlag.NUMBER, TokenFlag.LATERALITY),
    ("Stable cardiomegaly.", "Stable", TokenFlag.TEMPORAL, 0),
    ("Seen by XXXX.", "XXXX", TokenFlag.DEID, 0),
    ("Seen by XXXX.", ".", TokenFlag.PUNCT, 0),
    ("IMPRESSION: Normal.", "IMPRESSION", TokenFlag.HEADER, 0),
    ("The lungs are clear.", "lungs", TokenFlag.FINDING, 0),
])
def test_flags_on_example_tokens(text, token, present, absent):
    flag = _flag(text, token)
    assert flag & present == present and not flag & absent


def test_deid_runs_are_single_opaque_tokens():
    report = parse("Seen XXXX-XXXX and XXXXs with EXXXTRA.")
    assert report.tokens == ["Seen", "XXXX", "-", "XXXX", "and", "XXXX", "s", "with",
                             "EXXXTRA", "."]
    deid = (report.token_flags & TokenFlag.DEID) != 0
    assert deid.tolist() == [False, True, False, True, False, True, False, False, False, False]


def test_mentions_are_multi_word_with_polarity_and_side():
    report = parse("The heart is mildly enlarged. Small left pleural effusion, no pneumothorax.")
    got = [(m.observation, " ".join(report.tokens[m.token_start:m.token_end]), m.polarity,
            m.laterality) for m in report.mentions]
    assert got == [("Cardiomegaly", "heart is mildly enlarged", "positive", None),
                   ("Pleural Effusion", "pleural effusion", "positive", "left"),
                   ("Pneumothorax", "pneumothorax", "negative", None)]
    assert report.protected[report.tokens.index("left")]


def test_cache_returns_the_same_object_and_can_be_resized():
    text = "FINDINGS: unique text for the cache test."
    first = parse(text)
    hits = parse_cache_info().hits
    assert parse(text) is first and parse_cache_info().hits == hits + 1
    assert not first.token_flags.flags.writeable
    try:
        set_parse_cache_size(0)
        assert parse(text) is not parse(text)
    finally:
        set_parse_cache_size(65_536)
    assert parse_cache_info().maxsize == 65_536


def test_user_lexicon_is_cached_separately(tmp_path):
    (tmp_path / "site_sections.tsv").write_text("FINDINGS\tobservations\n")
    lexicon = load_lexicon(tmp_path)
    text = "Observations: clear."
    assert parse(text).sections[0].name is None
    assert parse(text, lexicon).sections[0].name == "FINDINGS"


@pytest.mark.parametrize("text", ["", "   \n\t  "])
def test_empty_text_is_an_empty_report(text):
    report = parse(text)
    assert report.n_tokens == 0 and report.sections == () and report.mentions == ()
    assert report.sentence_bounds.shape == (0, 2)


@pytest.mark.parametrize("bad", [None, b"No effusion.", 3, ["No effusion."]])
def test_non_text_is_an_input_type_error(bad):
    with pytest.raises(InputTypeError, match="takes report text as str"):
        parse(bad)


def test_text_over_the_limit_is_an_input_error():
    with pytest.raises(InputError, match="MAX_REPORT_CHARS = 1,000,000"):
        parse("x" * (MAX_REPORT_CHARS + 1))


def test_mining_abbreviations_from_a_small_corpus(tmp_path):
    corpus = ["History of chronic obstructive pulmonary disease (COPD).",
              "A peripherally inserted central catheter (PICC) ends in the SVC.",
              "The PICC is unchanged. Known COPD.",
              "Chronic obstructive pulmonary disease (COPD) again."]
    pairs = mine_abbreviations(corpus)
    assert pairs == {"COPD": "chronic obstructive pulmonary disease",
                     "PICC": "peripherally inserted central catheter"}
    assert mine_abbreviations(corpus, min_count=2) == {
        "COPD": "chronic obstructive pulmonary disease"}
    path = write_abbreviation_file(pairs, tmp_path / "site_abbreviations.tsv")
    assert load_lexicon(path).abbreviations["PICC"] == "peripherally inserted central catheter"
    with pytest.raises(InputTypeError):
        mine_abbreviations([b"bytes"])


def test_text_the_tokenizer_cannot_encode_is_an_input_error():
    with pytest.raises(InputError, match="pass plain Unicode"):
        parse("\ud800 no effusion")
