"""Normality statements and their look-alikes, read as CheXpert reads them.

A hand-written corpus (no report text from any data set): tens of ways to say that the heart or
the mediastinum is normal (negative), statements of the finding itself (positive), CheXpert's
uncertain readings ("borderline heart size", "stable cardiomediastinal silhouette"), and
sentences that look alike but say nothing about either ("normal lung volumes").
"""

import pytest

pytest.importorskip("spacy", reason="needs the text extra: pip install 'mmr[text]'")

from mmr_augment.text import UNMENTIONED, label, report_labels

CARDIOMEGALY_NEGATIVE = [
    "Heart size is normal.", "The heart size is normal.", "Normal heart size.",
    "Heart size normal.", "The heart is normal in size.", "Heart is normal in size.",
    "Heart size is within normal limits.", "The heart size is within normal limits.",
    "Heart size within normal limits.", "The cardiac silhouette is normal.",
    "Normal cardiac silhouette.", "Cardiac silhouette is within normal limits.",
    "The cardiac silhouette is unremarkable.", "Heart size is upper limits of normal.",
    "Heart size is at the upper limits of normal.", "Heart size is top normal.",
    "The heart is not enlarged.", "Heart is not enlarged.",
    "The cardiac silhouette is not enlarged.", "Heart and mediastinum normal.",
    "Heart and mediastinum are normal.", "Normal heart and mediastinum.",
    "The heart and lungs are normal.", "Cardiac size is normal.", "Normal cardiac size.",
    "The cardiac contours are normal.", "Cardiac contours are unremarkable.",
    "Heart size and pulmonary vascularity are normal.",
    "Heart size and mediastinal contours are within normal limits.",
    "HEART SIZE IS NORMAL.", "The size of the heart is normal.", "No cardiomegaly.",
    "There is no cardiomegaly.", "No evidence of cardiomegaly.",
    "Heart size is normal, no effusion.", "Heart size remains normal.",
]
MEDIASTINUM_NEGATIVE = [
    "The cardiomediastinal silhouette is normal.", "Normal cardiomediastinal silhouette.",
    "Cardiomediastinal silhouette is within normal limits.",
    "The cardiomediastinal silhouette is within normal limits.",
    "Cardiomediastinal silhouette is unremarkable.", "Unremarkable cardiomediastinal silhouette.",
    "The cardiomediastinal contours are normal.",
    "Cardiomediastinal contours are within normal limits.", "Normal cardiomediastinal contours.",
    "The mediastinum is normal.", "Mediastinum is unremarkable.", "Normal mediastinum.",
    "Mediastinal contours are normal.", "The mediastinal contours are within normal limits.",
    "Normal mediastinal contours.", "Mediastinal silhouette is unremarkable.",
    "The mediastinum is not widened.", "Mediastinum is not widened.",
    "Heart and mediastinum normal.", "The cardiomediastinal silhouette is not enlarged.",
    "No mediastinal widening.", "No widening of the mediastinum.",
    "Cardiomediastinal silhouette is normal in size and contour.",
    "Normal cardiomediastinal silhouette and pulmonary vasculature.",
    "The cardiomediastinal silhouette and pulmonary vasculature are within normal limits.",
    "The cardiomediastinal silhouette is normal and stable.",
]
CARDIOMEGALY_POSITIVE = [
    "Heart size is enlarged.", "The heart is enlarged.", "Heart is mildly enlarged.",
    "Enlarged cardiac silhouette.", "Cardiomegaly.", "Mild cardiomegaly.",
    "The cardiac silhouette is enlarged.", "Heart size is increased.",
    "Moderate cardiomegaly is present.", "Stable cardiomegaly.", "Enlarged heart.",
    "Cardiomegaly with normal mediastinum.", "Cardiac enlargement.",
    "No change in the mild cardiomegaly.",
]
MEDIASTINUM_POSITIVE = [
    "The cardiomediastinal silhouette is enlarged.", "Widened mediastinum.",
    "The mediastinum is widened.", "Mediastinal widening.",
    "Enlarged cardiomediastinal silhouette.", "Cardiomediastinal silhouette is widened.",
]
UNCERTAIN = [  # CheXpert: borderline; stable / unchanged silhouette (post-negation rule)
    ("Borderline heart size.", "Cardiomegaly"), ("Heart size is borderline.", "Cardiomegaly"),
    ("Stable heart size.", "Cardiomegaly"), ("Heart size is unchanged.", "Cardiomegaly"),
    ("Possible cardiomegaly.", "Cardiomegaly"),
    ("Stable cardiomediastinal silhouette.", "Enlarged Cardiomediastinum"),
    ("The cardiomediastinal silhouette is stable.", "Enlarged Cardiomediastinum"),
    ("Cardiomediastinal silhouette is unchanged.", "Enlarged Cardiomediastinum"),
    ("Stable mediastinal contours.", "Enlarged Cardiomediastinum"),
    ("Mediastinal contours are similar to prior.", "Enlarged Cardiomediastinum"),
]
LOOK_ALIKES = [  # neither a cardiomegaly nor a mediastinum statement
    "Normal lung volumes.", "Normal pulmonary vascularity.", "The lungs are normal.",
    "Lungs are clear.", "Bony structures are unremarkable.", "Normal osseous structures.",
    "Pacemaker overlies the heart.", "Pulmonary vasculature is within normal limits.",
    "The visualized upper abdomen is unremarkable.", "Hilar contours are normal.",
    "Lung volumes are stable.", "Stable appearance of the chest.", "The trachea is midline.",
    "Pleural spaces are normal.", "Heartbeat monitor leads overlie the chest.",
    "No acute cardiopulmonary process.", "Soft tissues are unremarkable.",
    "Lungs are well expanded and clear.", "The diaphragm is normal in position.",
    "Normal alignment of the thoracic spine.", "The heart size is nromal.",
]


@pytest.mark.parametrize("text", CARDIOMEGALY_NEGATIVE)
def test_normal_heart_statements_are_negative_cardiomegaly(text):
    assert report_labels(text)["Cardiomegaly"] == "negative"


@pytest.mark.parametrize("text", MEDIASTINUM_NEGATIVE)
def test_normal_mediastinum_statements_are_negative_enlarged_cardiomediastinum(text):
    assert report_labels(text)["Enlarged Cardiomediastinum"] == "negative"


@pytest.mark.parametrize("text", CARDIOMEGALY_POSITIVE)
def test_enlarged_heart_statements_are_positive(text):
    assert report_labels(text)["Cardiomegaly"] == "positive"


@pytest.mark.parametrize("text", MEDIASTINUM_POSITIVE)
def test_widened_mediastinum_statements_are_positive(text):
    assert report_labels(text)["Enlarged Cardiomediastinum"] == "positive"


@pytest.mark.parametrize(("text", "observation"), UNCERTAIN)
def test_borderline_and_stable_attributes_are_uncertain(text, observation):
    assert report_labels(text)[observation] == "uncertain"


@pytest.mark.parametrize("text", LOOK_ALIKES)
def test_look_alikes_say_nothing_about_heart_or_mediastinum(text):
    labels = report_labels(text)
    assert labels["Cardiomegaly"] == labels["Enlarged Cardiomediastinum"] == UNMENTIONED


def test_normality_negates_only_what_it_is_about():
    assert label("Normal heart size, small bilateral effusions.") == {
        "Cardiomegaly": "negative", "Pleural Effusion": "positive"}
    assert label("Normal heart size with small left effusion.") == {
        "Cardiomegaly": "negative", "Pleural Effusion": "positive"}
    assert label("Small left effusion and the heart size is normal.") == {
        "Cardiomegaly": "negative", "Pleural Effusion": "positive"}
    assert label("Heart size is normal. Mild cardiomegaly.")["Cardiomegaly"] == "positive"


def test_clear_lungs_label_no_opacity_as_chexpert():
    # CheXpert's opacity mentions do not include "lungs": "lungs are clear" is a normal
    # statement (No Finding), not a negative Lung Opacity.
    assert label("The lungs are clear.") == {"No Finding": "positive"}
    assert label("The lungs are clear without focal opacity.") == {
        "No Finding": "positive", "Lung Opacity": "negative"}
