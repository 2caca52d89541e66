"""CheXpert-style rule labeler over the parser's finding mentions.

Rules (after the CheXpert labeler, stanfordmlgroup/chexpert-labeler, with the shipped lexicons):

- Mentions in the sections that say why the study was done (:data:`CONTEXT_SECTIONS`:
  INDICATION, HISTORY, CLINICAL HISTORY, REASON FOR EXAM) are skipped; every other section
  (FINDINGS, IMPRESSION, ADDENDUM, text without a header, and COMPARISON, whose body often runs
  on into unheaded findings) counts.
- Per observation (:func:`report_labels`): ``positive`` if any mention is positive, else
  ``uncertain`` if any is uncertain, else ``negative`` if any is negative, else
  ``unmentioned``; :func:`label` leaves the unmentioned ones out.
- Normality statements negate what they are about ("heart size is normal", "normal
  cardiomediastinal silhouette": Cardiomegaly, Enlarged Cardiomediastinum negative); see
  :mod:`mmr_augment.text.lexicon` ``attributes``.
- ``No Finding`` is ``positive`` when the report has a sentence outside the context sections
  and no observation other than Support Devices is positive or uncertain (nor an "Other
  Finding": emphysema, scoliosis, ...); otherwise it is unmentioned (CheXpert's rule).
- :func:`laterality` gives the side stated next to positive or uncertain mentions
  ("left" / "right" / "bilateral"; left and right mentions of one observation make
  "bilateral").
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping

from .lexicon import Lexicon
from .parse import parse
from .report import Mention, Report, TokenFlag

#: The 14 CheXpert observations, in the CheXpert order.
OBSERVATIONS = ("No Finding", "Enlarged Cardiomediastinum", "Cardiomegaly", "Lung Lesion",
                "Lung Opacity", "Edema", "Consolidation", "Pneumonia", "Atelectasis",
                "Pneumothorax", "Pleural Effusion", "Pleural Other", "Fracture",
                "Support Devices")
#: Sections whose mentions the labeler ignores (clinical context, not image findings).
CONTEXT_SECTIONS = frozenset({"INDICATION", "HISTORY", "CLINICAL HISTORY", "REASON FOR EXAM"})
#: The report-level label of an observation the report does not mention.
UNMENTIONED = "unmentioned"
_RANK = {"positive": 3, "uncertain": 2, "negative": 1, UNMENTIONED: 0}
_NOT_PATHOLOGY = {"No Finding", "Support Devices"}
_PUNCT = int(TokenFlag.PUNCT)
Reading = tuple[tuple[str, str], ...]  # (observation, polarity) of one sentence's mentions


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


@functools.lru_cache(maxsize=8192)
def sentence_readings(report: Report) -> tuple[Reading | None, ...]:
    """Per sentence, what the labeler reads in it: ``(observation, polarity)`` of its
    mentions, or ``None`` for a sentence it skips (context section, punctuation only).

    Example:
        >>> sentence_readings(parse("INDICATION: Cough. FINDINGS: No effusion. Normal heart."))
        (None, (('Pleural Effusion', 'negative'),), (('Cardiomegaly', 'negative'),))
    """
    flags = report.token_flags
    out: list[list[tuple[str, str]] | None] = []
    for k, (a, b) in enumerate(report.sentence_bounds.tolist()):
        section = report.sections[int(report.sentence_section[k])]
        words = bool(((flags[a:b] & _PUNCT) == 0).any())
        out.append([] if words and section.name not in CONTEXT_SECTIONS else None)
    for m in report.mentions:
        kept = out[int(report.token_sentence[m.token_start])]
        if kept is not None:
            kept.append((m.observation, m.polarity))
    return tuple(None if r is None else tuple(r) for r in out)


def aggregate(readings: Iterable[Reading | None]) -> dict[str, str]:
    """Report-level labels of every observation (:data:`OBSERVATIONS` order) from the
    sentences' readings: positive > uncertain > negative > unmentioned, and CheXpert's
    No Finding rule.

    Example:
        >>> aggregate([(("Edema", "negative"),), (("Edema", "uncertain"),)])["Edema"]
        'uncertain'
    """
    best = dict.fromkeys(OBSERVATIONS, UNMENTIONED)
    sentences = abnormal = False
    for reading in readings:
        if reading is None:
            continue
        sentences = True
        for observation, polarity in reading:
            if observation not in _NOT_PATHOLOGY and polarity != "negative":
                abnormal = True
            if observation in best and observation != "No Finding" \
                    and _RANK[polarity] > _RANK[best[observation]]:
                best[observation] = polarity
    if sentences and not abnormal:
        best["No Finding"] = "positive"
    return best


def report_labels(report: str | Report, lexicon: Lexicon | None = None) -> dict[str, str]:
    """Observation -> ``"positive"`` | ``"uncertain"`` | ``"negative"`` | ``"unmentioned"``
    for all 14 observations of one report.

    Example:
        >>> labels = report_labels("Heart size is normal. Possible small left effusion.")
        >>> labels["Cardiomegaly"], labels["Pleural Effusion"], labels["Edema"]
        ('negative', 'uncertain', 'unmentioned')
    """
    return aggregate(sentence_readings(_as_report(report, lexicon)))


def label(report: str | Report, lexicon: Lexicon | None = None) -> dict[str, str]:
    """Observation -> ``"positive"`` | ``"negative"`` | ``"uncertain"`` for the observations
    one report mentions (:func:`report_labels` without the unmentioned ones).

    Args:
        report: report text or a parsed :class:`Report`.
        lexicon: a user lexicon for parsing text (ignored for a parsed Report).

    Example:
        >>> label("No pneumothorax, effusion, or consolidation. No change in the mild "
        ...       "cardiomegaly. Cannot exclude early pneumonia.")  # doctest: +NORMALIZE_WHITESPACE
        {'Cardiomegaly': 'positive', 'Consolidation': 'negative', 'Pneumonia': 'uncertain',
         'Pneumothorax': 'negative', 'Pleural Effusion': 'negative'}
        >>> label("The heart size is normal. The lungs are clear.")
        {'No Finding': 'positive', 'Cardiomegaly': 'negative'}
    """
    return {o: p for o, p in report_labels(report, lexicon).items() if p != UNMENTIONED}


def labels_kept(before: Mapping[str, str], after: Mapping[str, str], effect: str) -> bool:
    """The safety promise between two :func:`report_labels` results: a meaning-preserving op
    keeps every label; an information-removing one keeps it or makes it unmentioned.

    Example:
        >>> before = report_labels("Small effusion. No pneumothorax.")
        >>> labels_kept(before, report_labels("Small effusion."), "information_removing")
        True
        >>> labels_kept(before, report_labels("Small effusion."), "meaning_preserving")
        False
    """
    if effect == "information_removing":
        return all(after.get(o, UNMENTIONED) in (p, UNMENTIONED) for o, p in before.items())
    return all(after.get(o, UNMENTIONED) == p for o, p in before.items())


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
