"""Parameter table for the registry-driven text battery, and reports to run it on.

Every registered text op must appear in ``ALL`` (tests/text/test_text_contract.py fails otherwise).
"""

from __future__ import annotations

import pytest

pytest.importorskip("spacy", reason="needs the text extra: pip install 'mmr[text]'")

from mmr_augment.text import LateralitySwap, NegationFlip, SentenceDeletion, Typo, WordDropout

#: Constructor kwargs per registered text op (random, per-sample varying strengths).
ALL: dict[str, dict] = {
    "SentenceDeletion": dict(rate=(0.2, 0.6)),
    "Truncation": dict(fraction=(0.1, 0.6)),
    "WordDropout": dict(rate=(0.1, 0.5)),
    "SynonymSwap": dict(rate=(0.5, 1.0)),
    "AbbreviationSwap": dict(rate=(0.5, 1.0)),
    "Typo": dict(rate=(0.1, 0.5)),
    "SentenceShuffle": dict(rate=(0.5, 1.0)),
    "SectionShuffle": dict(rate=(0.5, 1.0)),
    "HeaderRestyle": dict(rate=(0.5, 1.0)),
    "CaseWhitespace": dict(rate=(0.1, 0.5)),
    "NegationFlip": dict(rate=(0.2, 0.8)),
    "LateralitySwap": dict(rate=(0.2, 0.8)),
    "ReportStyle": dict(headers="title", negation="mixed", hedging="mixed", join=(0.3, 1.0)),
}
#: Compositions over text ops.
COMPOSITIONS: dict[str, dict] = {
    "Sequential": dict(ops=[Typo(rate=0.2), WordDropout(rate=0.2)]),
    "OneOf": dict(ops=[SentenceDeletion(rate=0.4), Typo(rate=0.3)]),
    "SomeOf": dict(ops=[Typo(rate=0.2), NegationFlip(rate=0.5), LateralitySwap(rate=1.0)],
                   n=(1, 2)),
}

#: Reports that give every family something to work on.
REPORTS = [
    "FINDINGS: PA and lateral views. The lungs are clear. No pleural effusion or "
    "pneumothorax. Heart size is normal. There is a small left pleural effusion.\n\n"
    "IMPRESSION: Mild cardiomegaly. No acute disease. Possible right lower lobe pneumonia.",
    "FINDINGS: Stable mild cardiomegaly. No pneumothorax, pleural effusion, or focal "
    "airspace disease. Bony structures are intact. Right humeral head bone anchor.\n"
    "IMPRESSION: Cardiomegaly without acute cardiopulmonary abnormality. XXXX noted.",
    "The cardiomediastinal silhouette is within normal limits. There is no focal "
    "consolidation. Left basilar atelectasis. Degenerative changes of the thoracic spine. "
    "Calcified granuloma in the right upper lobe measures 5 mm.",
    "IMPRESSION: Interval increase in bilateral pleural effusions. Pulmonary edema is "
    "worse. ET tube and NG tube in place. Cannot exclude pneumonia in the left base.",
]
