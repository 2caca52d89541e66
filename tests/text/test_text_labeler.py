"""The CheXpert-style labeler on the hand-written reports in tests/data/reports.yaml."""

from pathlib import Path

import pytest
import yaml

pytest.importorskip("spacy", reason="needs the text extra: pip install 'mmr[text]'")

from mmr_augment.text import OBSERVATIONS, Lexicon, label, laterality, parse

CASES = yaml.safe_load((Path(__file__).parents[1] / "data" / "reports.yaml").read_text())


def test_reports_file_covers_the_required_constructions():
    assert len(CASES) >= 45
    text = " ".join(c["text"] for c in CASES).lower()
    for construction in ("no pneumothorax, effusion, or", "without", "free of", "negative for",
                         "no evidence of", "no change in", "but there is", "cannot exclude",
                         "may represent", "2.5 cm", "t10", "s/p cabg", "xxxx", "1. ", "dr. "):
        assert construction in text, construction
    assert {o for c in CASES for o in c["labels"]} == set(OBSERVATIONS)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_labels_match_the_expected_labels(case):
    assert label(case["text"]) == case["labels"]
    assert laterality(case["text"]) == case.get("laterality", {})


def test_label_takes_a_parsed_report_and_orders_keys_like_chexpert():
    report = parse("Small left effusion. No pneumothorax. Mild cardiomegaly.")
    assert list(label(report)) == ["Cardiomegaly", "Pneumothorax", "Pleural Effusion"]


def test_positive_beats_uncertain_beats_negative():
    assert label("No pneumonia. Possible pneumonia.") == {"Pneumonia": "uncertain"}
    assert label("Possible pneumonia. Right lower lobe pneumonia.") == {"Pneumonia": "positive"}


def test_no_finding_follows_chexpert_nothing_but_devices_positive_or_uncertain():
    assert label("Heart size is normal.") == {"No Finding": "positive", "Cardiomegaly": "negative"}
    assert label("Normal chest.") == {"No Finding": "positive"}
    assert label("PA and lateral views.") == {"No Finding": "positive"}
    assert label("Possible small effusion. Normal chest.") == {"Pleural Effusion": "uncertain"}
    assert label("ET tube in place. No effusion.") == {
        "No Finding": "positive", "Pleural Effusion": "negative", "Support Devices": "positive"}
    assert label("Mild degenerative changes of the spine.") == {}  # an "Other Finding"
    assert label("No emphysema.") == {"No Finding": "positive"}
    assert label("") == {} and label("INDICATION: Cough.") == {}


def test_indication_mentions_are_ignored_but_kept_in_the_report():
    report = parse("INDICATION: Pneumonia?\nFINDINGS: No consolidation.")
    assert [m.observation for m in report.mentions] == ["Pneumonia", "Consolidation"]
    assert label(report) == {"No Finding": "positive", "Consolidation": "negative"}


def test_user_lexicon_adds_a_finding_phrase():
    lexicon = Lexicon.default().with_extra(findings={"Pneumothorax": ["collapsed lung"]})
    assert label("Collapsed lung on the right.") == {"No Finding": "positive"}
    assert label("Collapsed lung on the right.", lexicon) == {"Pneumothorax": "positive"}
    assert laterality("Collapsed lung on the right.", lexicon) == {"Pneumothorax": "right"}
