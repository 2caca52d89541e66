"""Mine "long form (SF)" abbreviation pairs from a user's corpus into a lexicon file.

Reuses scispacy's ``AbbreviationDetector`` (Schwartz & Hearst) on ``spacy.blank("en")`` with
the rule tokenizer and a sentencizer; no model download. The ``mmr-augment lexicon mine``
command calls these two functions.
"""

from __future__ import annotations

import functools
import warnings
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from ..errors import InputTypeError

_HEADER = ("# Source: mined by mmr_augment.text.mine from the user's own corpus "
           "(scispacy AbbreviationDetector); licence: that of the corpus.\n"
           "# short form<TAB>long form\n")


@functools.lru_cache(maxsize=1)
def _detector():
    import spacy
    from scispacy.abbreviation import AbbreviationDetector  # noqa: F401  (registers the pipe)
    from scispacy.custom_tokenizer import combined_rule_tokenizer

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        nlp = spacy.blank("en")
        nlp.tokenizer = combined_rule_tokenizer(nlp)
        nlp.add_pipe("sentencizer")
        nlp.add_pipe("abbreviation_detector")
    return nlp


def mine_abbreviations(texts: Iterable[str], min_count: int = 1) -> dict[str, str]:
    """Short form -> its most frequent (lower-cased) long form, over all texts.

    Args:
        texts: report texts (an iterable of ``str``).
        min_count: keep a pair only if the winning long form is defined this often.

    Example:
        >>> mine_abbreviations(["Known chronic obstructive pulmonary disease (COPD).",
        ...                     "COPD exacerbation."])
        {'COPD': 'chronic obstructive pulmonary disease'}
    """
    counts: dict[str, Counter[str]] = {}
    nlp = _detector()
    texts = list(texts)
    for text in texts:
        if not isinstance(text, str):
            raise InputTypeError(f"mine_abbreviations() takes str texts, got "
                                 f"{type(text).__name__}; decode bytes first")
    with warnings.catch_warnings():  # W036: scispacy's global matcher starts empty per doc
        warnings.simplefilter("ignore", UserWarning)
        docs = list(nlp.pipe(texts, batch_size=256))
    for doc in docs:
        for short in doc._.abbreviations:
            long = " ".join(short._.long_form.text.lower().split())
            counts.setdefault(short.text, Counter())[long] += 1
    pairs = {}
    for short, long_forms in sorted(counts.items()):
        long, n = long_forms.most_common(1)[0]
        if n >= min_count:
            pairs[short] = long
    return pairs


def write_abbreviation_file(pairs: dict[str, str], path: str | Path) -> Path:
    """Write ``pairs`` in the ``abbreviations.tsv`` lexicon format (load with ``load_lexicon``).

    Example:
        >>> import tempfile, pathlib
        >>> out = pathlib.Path(tempfile.mkdtemp()) / "site_abbreviations.tsv"
        >>> write_abbreviation_file({"COPD": "chronic obstructive pulmonary disease"}, out).name
        'site_abbreviations.tsv'
    """
    path = Path(path)
    lines = [f"{short}\t{long}\n" for short, long in sorted(pairs.items())
             if "\t" not in short + long and "\n" not in short + long]
    path.write_text(_HEADER + "".join(lines), encoding="utf-8")
    return path
