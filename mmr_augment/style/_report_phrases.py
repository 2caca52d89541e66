"""Wording tables of the report styles: normal statements, negation forms, hedge classes,
laterality spellings and header words.

Every phrase here is one the shipped lexicons read the intended way (checked by
``tests/style/test_style_report.py``): normal statements carry exactly one "No Finding" mention per
replacement unit and no other mention, negation forms are negation cues, and the members of a
hedge class are all uncertainty cues that fit the same slot of a sentence.
"""

from __future__ import annotations

import functools
import re

#: Organ-by-organ normal statements (lower case, no leading "the", no final period).
HEART_NORMALS = frozenset({
    "heart size is normal", "heart is normal in size", "normal heart size",
    "heart size is within normal limits", "cardiac silhouette is normal in size",
    "cardiac silhouette is within normal limits", "cardiomediastinal silhouette is normal",
    "cardiomediastinal silhouette is within normal limits",
    "cardiomediastinal silhouette is unremarkable", "heart and mediastinum are normal",
    "heart size and mediastinal contours are normal", "mediastinal contours are normal",
})
LUNG_NORMALS = frozenset({"lungs are clear", "lungs are well expanded and clear", "clear lungs"})
#: One-line normal statements.
TEMPLATED_NORMALS = frozenset({
    "no acute cardiopulmonary process", "no acute cardiopulmonary abnormality",
    "no acute cardiopulmonary abnormalities", "no acute cardiopulmonary disease",
    "no acute cardiopulmonary findings", "no acute intrathoracic process",
    "no acute intrathoracic abnormality", "no acute disease", "no active disease",
    "normal chest", "normal chest radiograph", "normal chest x-ray",
})
#: What a style writes: a one-line statement, or a lung statement. Heart statements stay as
#: written: "heart size is normal" is a negative Cardiomegaly (CheXpert), a one-line statement
#: says nothing of it.
TEMPLATED_TEXT = ("No acute cardiopulmonary process.", "No acute cardiopulmonary abnormality.",
                  "No acute intrathoracic process.")
NARRATIVE_TEXT = ("The lungs are clear.", "Lungs are clear.",
                  "The lungs are well expanded and clear.")

#: Simple negated sentences: "<prefix> X." or "X <suffix>." (lower case, single spaces).
NEGATION_PREFIXES = {"no": "no", "negative for": "negative_for",
                     "no evidence of": "no_evidence", "there is no evidence of": "no_evidence",
                     "there is no": "there_is_no", "there are no": "there_is_no"}
NEGATION_SUFFIXES = {f"{verb} {cue}": "not_seen" for verb in ("is", "are")
                     for cue in ("not seen", "not identified", "not present", "not evident",
                                 "not appreciated", "absent")}
#: Words allowed between the negation and the finding ("no focal consolidation").
NEGATION_MODIFIERS = frozenset({"focal", "acute", "definite", "large", "significant",
                                "sizable", "visible", "displaced", "discrete"})
NEGATION_FORMS = ("no", "not_seen", "negative_for", "no_evidence")

#: Hedge classes: cues that fit the same slot; member 0 is a "may" style's word, member 1 a
#: "could" style's.
HEDGE_CLASSES = (
    ("may represent", "could represent", "may reflect", "could reflect"),
    ("possible", "questionable"),
    ("possibly", "perhaps"),
    ("most likely", "probably"),
    ("suggestive of", "concerning for", "suspicious for"),
    ("cannot exclude", "cannot rule out"),
    ("cannot be excluded", "cannot be ruled out"),
)

#: Laterality spellings per style: word -> replacement, and whether the word must stand right
#: before a finding mention ("left effusion" -> "L effusion", never "L lower lobe").
LATERALITY = {
    "word": ({"l": "left", "lt": "left", "left-sided": "left", "r": "right", "rt": "right",
              "right-sided": "right"}, False),
    "letter": ({"left": "L", "lt": "L", "left-sided": "L", "right": "R", "rt": "R",
                "right-sided": "R"}, True),
    "sided": ({"left": "left-sided", "l": "left-sided", "lt": "left-sided",
               "right": "right-sided", "r": "right-sided", "rt": "right-sided"}, True),
}

#: Header word per canonical section for each header set (sections not listed keep theirs).
HEADER_SETS = {
    "standard": {"FINDINGS": "findings", "IMPRESSION": "impression"},
    "conclusion": {"FINDINGS": "findings", "IMPRESSION": "conclusion"},
    "opinion": {"FINDINGS": "findings", "IMPRESSION": "opinion"},
    "summary": {"FINDINGS": "findings", "IMPRESSION": "summary"},
}
#: Sections a style may write without a recognisable header ("dash", "none").
FREE_SECTIONS = frozenset({"FINDINGS", "IMPRESSION"})

#: A size: numbers joined by "x" / "by" / "-" / "to", then a unit ("2.5 x 1.5 cm", "4mm").
MEASUREMENT_RE = re.compile(
    r"(?<![\w.])(\d+(?:\.\d+)?(?:\s*(?:x|by|-|to)\s*\d+(?:\.\d+)?)*)(\s*)(cm|mm|CM|MM)\b")
NUMBER_RE = re.compile(r"\d+(?:\.\d+)?")


def normalized(sentence: str) -> str:
    """Lower case, single spaces, no final period, no leading "the".

    Example:
        >>> normalized("The  lungs are clear.")
        'lungs are clear'
    """
    words = sentence.lower().rstrip(" .").split()
    return " ".join(words[1:] if words[:1] == ["the"] else words)


@functools.lru_cache(maxsize=1)
def hedge_lookup() -> dict[str, tuple[int, int]]:
    """Hedge phrase -> (class, member)."""
    return {p: (c, m) for c, members in enumerate(HEDGE_CLASSES) for m, p in enumerate(members)}


def plural(phrase: str) -> bool:
    """Whether a finding phrase takes "are" ("effusions", "metastases"; not "atelectasis").

    Example:
        >>> plural("bilateral pleural effusions"), plural("atelectasis"), plural("pneumothorax")
        (True, False, False)
    """
    last = phrase.split()[-1].lower() if phrase.split() else ""
    return last.endswith("s") and not last.endswith(("ss", "is", "us"))
