"""parse() output is pinned: the 51 hand-written reports give the stored token arrays, flags,
sentences, sections and mentions (tests/data/parse_fingerprint.json, written by the parser
before its speed-up; flags and mentions rewritten when the lexicon took CheXpert's normality
cues, tokens, sentences and sections unchanged), and the chunk-memoised path agrees with the
whole-text path."""

import json
from pathlib import Path

import pytest
import yaml

pytest.importorskip("spacy", reason="needs the text extra: pip install 'mmr[text]'")

from mmr_augment.text import parse
from mmr_augment.text._chunks import read_chunks
from mmr_augment.text._match import compile_lexicon
from mmr_augment.text._tokens import tokenize
from mmr_augment.text.lexicon import default_lexicon

DATA = Path(__file__).parents[1] / "data"
CASES = yaml.safe_load((DATA / "reports.yaml").read_text())
FINGERPRINTS = json.loads((DATA / "parse_fingerprint.json").read_text())


def fingerprint(report) -> dict:
    return {
        "token_start": report.token_start.tolist(), "token_end": report.token_end.tolist(),
        "token_flags": report.token_flags.tolist(),
        "token_sentence": report.token_sentence.tolist(),
        "sentence_bounds": report.sentence_bounds.tolist(),
        "sentence_section": report.sentence_section.tolist(),
        "sections": [[s.name, list(s.header_span) if s.header_span else None,
                      list(s.body_span), s.sentence_start, s.sentence_end]
                     for s in report.sections],
        "mentions": [[m.observation, m.token_start, m.token_end, m.polarity, m.laterality]
                     for m in report.mentions],
    }


def test_every_case_has_a_fingerprint():
    assert sorted(FINGERPRINTS) == sorted(c["id"] for c in CASES)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_parse_matches_the_stored_fingerprint(case):
    assert fingerprint(parse(case["text"])) == FINGERPRINTS[case["id"]]


@pytest.mark.parametrize("text", [
    "IMPRESSION: 1. No effusion. 2. XXXX-XXXX L>R.",  # ": 1" spans chunks in a special case
    "Dr. XXXX saw it at 10a.m. Stable.", "T10. vertebra. i. e. stable", "No .\nNo :)",
    "L>R. lower", "L>R.\nLower", "XXXX. XXXXs aXXXX 2XXXX.", "  lead and trail.  ", "",
])
def test_chunk_path_gives_the_whole_text_tokens(text):
    lex = compile_lexicon(default_lexicon())
    starts, ends, words, flags, masks = read_chunks(text, lex)
    assert (starts, ends, masks) == tokenize(text)
    assert words == [text[s:e].lower() for s, e in zip(starts, ends)]
    assert flags == lex.words_bits(words)


def test_non_ascii_text_takes_the_whole_text_path():
    text = "Small left effusion \u2014 stable. No pneumothorax."
    report = parse(text)
    assert report.tokens[3] == "\u2014"
    assert [(m.observation, m.polarity) for m in report.mentions] == [
        ("Pleural Effusion", "positive"), ("Pneumothorax", "negative")]
