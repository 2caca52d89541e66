"""Optional WordNet synonyms through NLTK, used only where the WordNet corpus is installed.

NLTK data cannot be downloaded at run time here, so a missing corpus is a clear
:class:`~mmr_augment.errors.ConfigError`, never a download attempt.
"""

from __future__ import annotations

import functools
import warnings
from pathlib import Path

from ..errors import ConfigError

_MISSING = ("the WordNet corpus is not installed: on a machine with network access run "
            "`python -m nltk.downloader wordnet` (or copy an nltk_data/corpora/wordnet folder "
            "to this machine) and pass its folder as root=..., or leave WordNet synonyms off")


@functools.lru_cache(maxsize=4)
def _reader(root: str | None):
    from nltk.corpus.reader.wordnet import WordNetCorpusReader

    class _EnglishWordNet(WordNetCorpusReader):
        def map_wn(self, version="wordnet"):
            # The 3.0 mapping serves only multilingual (OMW) lookups and would itself need an
            # installed corpus/wordnet; English synonyms do not use it.
            return None

    if root is None:
        import nltk.data

        for name in ("corpora/wordnet", "corpora/wordnet.zip/wordnet/"):
            try:
                found = nltk.data.find(name)
            except LookupError:
                continue
            return _reader(str(found))
        raise ConfigError(_MISSING)
    if not (Path(root) / "lexnames").exists() and ".zip" not in root:
        raise ConfigError(f"{root!r} is not a WordNet folder (no 'lexnames' file); " + _MISSING)
    import nltk.data

    if root not in nltk.data.path:  # NLTK's path sandbox reads only from nltk.data.path
        nltk.data.path.append(root)
    with warnings.catch_warnings():  # "multilingual functions are not available": irrelevant
        warnings.simplefilter("ignore")
        return _EnglishWordNet(root, None)


def wordnet_synonyms(word: str, *, root: str | Path | None = None) -> list[str]:
    """WordNet synonyms of ``word``, only where both the word and each synonym have one sense.

    Ambiguous words (several synsets) give ``[]``: a swap must not change the meaning.

    Args:
        word: a word or multi-word term ("chest x-ray" is looked up as "chest_x-ray").
        root: a WordNet dict folder (added to ``nltk.data.path``, which NLTK's path sandbox
            requires); default: NLTK's installed ``corpora/wordnet``.

    Raises:
        ConfigError: the corpus is not installed (the message says how to install it).

    Example:
        >>> try:
        ...     wordnet_synonyms("radiograph", root="/no/such/wordnet")
        ... except ConfigError as error:
        ...     print(str(error)[:40])
        '/no/such/wordnet' is not a WordNet fold
    """
    reader = _reader(None if root is None else str(root))
    key = word.strip().lower().replace(" ", "_")
    senses = reader.synsets(key)
    if len(senses) != 1:
        return []
    return [name.replace("_", " ") for name in senses[0].lemma_names()
            if name.lower() != key and len(reader.synsets(name)) == 1]
