"""CheXpert-style rule labeler over the parser's finding mentions.

Rules (after the CheXpert labeler, with the shipped lexicons):

- Mentions in the sections that say why the study was done (:data:`CONTEXT_SECTIONS`:
  INDICATION, HISTORY, CLINICAL HISTORY, REASON FOR EXAM) are skipped; every other section
  (FINDINGS, IMPRESSION, ADDENDUM, text without a header, and COMPARISON, whose body often runs
  on into unheaded findings) counts.
- Per observation: ``positive`` if any mention is positive, else ``uncertain`` if any is
  uncertain, else ``negative``. Observations that are not mentioned do not appear.
- ``No Finding`` is ``positive`` when no observation other than Support Devices is positive or
  uncertain and the report makes a normal statement ("no acute cardiopulmonary process",
  "lungs are clear") or negates at least one finding; otherwise it does not appear.
- :func:`laterality` gives the side stated next to positive or uncertain mentions
  ("left" / "right" / "bilateral"; left and right mentions of one observation make
  "bilateral").
"""

from __future__ import annotations

from .lexicon import Lexicon
from .parse import parse
from .report import Mention, Report

#: The 14 CheXpert observations, in the CheXpert order.
OBSERVATIONS = ("No Finding", "Enlarged Cardiomediastinum", "Cardiomegaly", "Lung Lesion",
                "Lung Opacity", "Edema", "Consolidation", "Pneumonia", "Atelectasis",
                "Pneumothorax", "Pleural Effusion", "Pleural Other", "Fracture",
                "Support Devices")
#: Sections whose mentions the labeler ignores (clinical context, not image findings).
CONTEXT_SECTIONS = frozenset({"INDICATION", "HISTORY", "CLINICAL HISTORY", "REASON FOR EXAM"})
_RANK = {"positive": 2, "uncertain": 1, "negative": 0}
_NOT_PATHOLOGY = {"No Finding", "Support Devices"}


def _reading_mentions(report: Report) -> list[Mention]:
    out = []
    for mention in report.mentions:
        sentence = int(report.token_sentence[mention.token_start])
        section = report.sections[int(report.sentence_section[sentence])]
        if section.name not in CONTEXT_SECTIONS:
            out.append(mention)
    return out


def _as_report(report: str | Report, lexicon: Lexicon | None) -> Report:
    return report if isinstance(report, Report) else parse(report, lexicon)


def label(report: str | Report, lexicon: Lexicon | None = None) -> dict[str, str]:
    """Observation -> ``"positive"`` | ``"negative"`` | ``"uncertain"`` for one report.

    Args:
        report: report text or a parsed :class:`Report`.
        lexicon: a user lexicon for parsing text (ignored for a parsed Report).

    Example:
        >>> label("No pneumothorax, effusion, or consolidation. No change in the mild "
        ...       "cardiomegaly. Cannot exclude early pneumonia.")  # doctest: +NORMALIZE_WHITESPACE
        {'Cardiomegaly': 'positive', 'Consolidation': 'negative', 'Pneumonia': 'uncertain',
         'Pneumothorax': 'negative', 'Pleural Effusion': 'negative'}
    """
    mentions = _reading_mentions(_as_report(report, lexicon))
    best: dict[str, str] = {}
    for mention in mentions:
        if mention.observation == "No Finding":
            continue
        old = best.get(mention.observation)
        if old is None or _RANK[mention.polarity] > _RANK[old]:
            best[mention.observation] = mention.polarity
    abnormal = any(p != "negative" for o, p in best.items() if o not in _NOT_PATHOLOGY)
    normal = any(m.observation == "No Finding" for m in mentions) or "negative" in best.values()
    if normal and not abnormal:
        best["No Finding"] = "positive"
    return {o: best[o] for o in OBSERVATIONS if o in best}


def laterality(report: str | Report, lexicon: Lexicon | None = None) -> dict[str, str]:
    """Observation -> side ("left" | "right" | "bilateral") of its positive/uncertain mentions.

    Example:
        >>> laterality("Small left pleural effusion. Right lower lobe opacity, likely atelectasis.")
        {'Lung Opacity': 'right', 'Pleural Effusion': 'left'}
    """
    sides: dict[str, set[str]] = {}
    for mention in _reading_mentions(_as_report(report, lexicon)):
        if mention.polarity != "negative" and mention.laterality in ("left", "right",
                                                                      "bilateral"):
            sides.setdefault(mention.observation, set()).add(mention.laterality)
    out = {o: ("bilateral" if len(s) > 1 else next(iter(s))) for o, s in sides.items()}
    return {o: out[o] for o in OBSERVATIONS if o in out}
