"""Shipped lexicons: contents, label safety of synonym / abbreviation swaps, user extension,
optional WordNet."""

from importlib.resources import files
from pathlib import Path

import pytest

pytest.importorskip("spacy", reason="needs the text extra: pip install 'mmr[text]'")

from mmr_augment.errors import ConfigError
from mmr_augment.text import (
    OBSERVATIONS,
    Lexicon,
    TokenFlag,
    abbreviations,
    attribute_phrases,
    finding_phrases,
    hedges,
    load_lexicon,
    negation_triggers,
    parse,
    section_headers,
    synonym_classes,
    uncertainty_triggers,
    wordnet_synonyms,
)
from mmr_augment.text import wordnet as wordnet_module

WORDNET = Path(__file__).parents[1] / "data" / "wordnet"
_KINDS = TokenFlag.NEGATION | TokenFlag.UNCERTAINTY | TokenFlag.PSEUDO_NEGATION \
    | TokenFlag.LATERALITY


def _signature(phrase: str) -> tuple:
    """What a swap must keep: observations, their polarity and the protective cue kinds."""
    report = parse(f"There is {phrase} here.")
    cues = 0
    for flag in report.token_flags.tolist():
        cues |= flag & int(_KINDS)
    return tuple(sorted((m.observation, m.polarity) for m in report.mentions)), cues


def test_every_file_names_its_source_and_licence():
    folder = files("mmr_augment.assets") / "lexicons"
    names = sorted(p.name for p in folder.iterdir() if p.name.endswith((".tsv", ".txt")))
    assert len(names) == 10
    for name in names:
        first = (folder / name).read_text("utf-8").splitlines()[0]
        assert first.startswith("# Source: written for mmr, Apache-2.0"), name


def test_sizes_and_keys():
    assert len(synonym_classes()) >= 40
    assert ("unremarkable", "within normal limits", "normal") in synonym_classes(True)
    assert ("unremarkable", "within normal limits", "normal") not in synonym_classes()
    assert len(abbreviations()) >= 60 and abbreviations()["s/p"] == "status post"
    assert set(negation_triggers()) == {"pre", "post", "pseudo", "termination", "normal"}
    assert {"normal", "within normal limits", "unremarkable"} <= set(negation_triggers()["normal"])
    assert {"stable", "unchanged"} <= set(uncertainty_triggers()["stable"])
    assert {"pre", "post"} <= set(uncertainty_triggers())
    assert "no interval change" in negation_triggers()["pseudo"]
    assert {"FINDINGS", "IMPRESSION", "COMPARISON", "INDICATION", "HISTORY", "CLINICAL HISTORY",
            "TECHNIQUE", "EXAMINATION", "REASON FOR EXAM", "RECOMMENDATION", "ADDENDUM",
            "WET READ"} <= set(section_headers())
    assert set(finding_phrases()) == {*OBSERVATIONS, "Other Finding"}
    assert set(attribute_phrases()) == {"Cardiomegaly", "Enlarged Cardiomediastinum"}


@pytest.mark.parametrize("terms", synonym_classes(include_restricted=True), ids=str)
def test_synonyms_keep_findings_polarity_and_cues(terms):
    assert len({_signature(t) for t in terms}) == 1, [(t, _signature(t)) for t in terms]


@pytest.mark.parametrize("short", sorted(abbreviations()))
def test_abbreviation_and_expansion_keep_findings_polarity_and_cues(short):
    assert _signature(short) == _signature(abbreviations()[short])


def test_every_hedge_is_an_uncertainty_cue():
    for hedge in hedges():
        flags = parse(f"{hedge.capitalize()} pneumonia.").token_flags
        assert flags[0] & TokenFlag.UNCERTAINTY, hedge


def test_with_extra_merges_without_touching_the_default():
    lexicon = Lexicon.default().with_extra(negation={"pre": ["nary a"]},
                                           synonyms=[("opacity", "opacification")])
    assert "nary a" in lexicon.negation["pre"] and "no" in lexicon.negation["pre"]
    assert "nary a" not in negation_triggers()["pre"]
    assert lexicon.synonyms[-1] == ("opacity", "opacification")
    report = parse("Nary a pneumothorax.", lexicon)
    assert report.mentions[0].polarity == "negative"
    with pytest.raises(ConfigError, match="unknown lexicon field"):
        Lexicon.default().with_extra(abbrevs={})


def test_load_lexicon_from_folder_and_file(tmp_path):
    (tmp_path / "site_sections.tsv").write_text("FINDINGS\tobservations\n")
    (tmp_path / "notes.md").write_text("ignored: not a lexicon kind")
    assert "observations" in load_lexicon(tmp_path).sections["FINDINGS"]
    bad = tmp_path / "bad_negation.tsv"
    bad.write_text("no\tsideways\n")
    with pytest.raises(ConfigError, match="bad_negation.tsv:1"):
        load_lexicon(bad)
    other = tmp_path / "words.tsv"
    other.write_text("a\tb\n")
    with pytest.raises(ConfigError, match="cannot tell the lexicon kind"):
        load_lexicon(other)
    with pytest.raises(ConfigError, match="does not exist"):
        load_lexicon(tmp_path / "missing")


def test_wordnet_fixture_gives_single_sense_synonyms_only():
    assert wordnet_synonyms("Radiograph", root=WORDNET) == ["radiogram", "shadowgraph"]
    assert wordnet_synonyms("heart", root=WORDNET) == []    # two senses
    assert wordnet_synonyms("ticker", root=WORDNET) == []   # its synonym "heart" is ambiguous
    assert wordnet_synonyms("lung", root=WORDNET) == []     # unknown word


def test_missing_wordnet_is_a_clear_error(monkeypatch):
    import nltk.data

    def not_found(name):
        raise LookupError(name)

    monkeypatch.setattr(nltk.data, "find", not_found)
    wordnet_module._reader.cache_clear()
    with pytest.raises(ConfigError, match="nltk.downloader wordnet"):
        wordnet_synonyms("radiograph")
    with pytest.raises(ConfigError, match="not a WordNet folder"):
        wordnet_synonyms("radiograph", root=WORDNET.parent)
