"""Clinical lexicons: synonyms, abbreviations, cues, headers and finding phrases.

The shipped files live in ``assets/lexicons/`` (package ``mmr_augment.assets``) and are read
once through ``importlib.resources``. A :class:`Lexicon` holds them all; users extend it with
:meth:`Lexicon.with_extra` or with their own files through :func:`load_lexicon`. File formats
(``#`` starts a comment, columns are tab-separated):

- ``synonyms.tsv``: ``context<TAB>term<TAB>term...`` (context ``any`` or ``restricted``)
- ``abbreviations.tsv``: ``short<TAB>long``
- ``negation.tsv`` / ``uncertainty.tsv``: ``trigger<TAB>kind``
- ``sections.tsv``: ``CANONICAL<TAB>variant``; ``findings.tsv``: ``Observation<TAB>phrase``
- ``attributes.tsv``: ``Observation<TAB>phrase``, phrases that name what an observation is about
  ("heart size"): a mention only where a cue qualifies them ("heart size is normal")
- ``laterality.tsv``: ``word<TAB>side``; ``hedges.txt`` / ``temporal.txt``: one phrase a line
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from .wordnet import wordnet_synonyms

__all__ = [
    "Lexicon", "load_lexicon", "default_lexicon", "synonym_classes", "abbreviations",
    "negation_triggers", "uncertainty_triggers", "hedges", "section_headers", "finding_phrases",
    "attribute_phrases", "wordnet_synonyms",
]

#: Lexicon kind -> shipped file name (a user's file is matched to a kind by its stem).
FILES = {
    "synonyms": "synonyms.tsv", "abbreviations": "abbreviations.tsv",
    "negation": "negation.tsv", "uncertainty": "uncertainty.tsv", "hedges": "hedges.txt",
    "sections": "sections.tsv", "findings": "findings.tsv", "laterality": "laterality.tsv",
    "temporal": "temporal.txt", "attributes": "attributes.tsv",
}
_CUE_KINDS = {"negation": ("pre", "post", "pseudo", "termination", "normal"),
              "uncertainty": ("pre", "post", "pseudo", "stable")}


@dataclass(frozen=True, eq=False)
class Lexicon:
    """Every word list the parser, labeler and text ops read. Hashable by identity.

    Example:
        >>> lex = Lexicon.default().with_extra(abbreviations={"RUQ": "right upper quadrant"})
        >>> lex.abbreviations["RUQ"], "PTX" in lex.abbreviations
        ('right upper quadrant', True)
    """

    synonyms: tuple[tuple[str, ...], ...] = ()
    restricted_synonyms: tuple[tuple[str, ...], ...] = ()
    abbreviations: Mapping[str, str] = dataclasses.field(default_factory=dict)
    negation: Mapping[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)
    uncertainty: Mapping[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)
    hedges: tuple[str, ...] = ()
    sections: Mapping[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)
    findings: Mapping[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)
    laterality: Mapping[str, str] = dataclasses.field(default_factory=dict)
    temporal: tuple[str, ...] = ()
    attributes: Mapping[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)

    @classmethod
    def default(cls) -> Lexicon:
        """The shipped lexicon (read once, cached)."""
        return default_lexicon()

    def with_extra(self, **extra: Any) -> Lexicon:
        """A new lexicon with entries added (same field names; dict entries override).

        Lists are appended without duplicates; per-key lists (``negation={"pre": [...]}``,
        ``findings={"Pneumothorax": [...]}``, ``sections``) are extended key by key.
        """
        unknown = set(extra) - {f.name for f in dataclasses.fields(self)}
        if unknown:
            raise ConfigError(f"unknown lexicon field(s) {sorted(unknown)}; use one of "
                              f"{[f.name for f in dataclasses.fields(self)]}")
        merged = {name: _merge(getattr(self, name), value) for name, value in extra.items()}
        return dataclasses.replace(self, **merged)


def _unique(items: Iterable) -> tuple:
    return tuple(dict.fromkeys(items))


def _merge(old: Any, new: Any) -> Any:
    if isinstance(old, tuple):
        return _unique([*old, *(tuple(x) if isinstance(x, list) else x for x in new)])
    if any(isinstance(v, (tuple, list)) for v in [*old.values(), *new.values()]):
        keys = _unique([*old, *new])
        return {k: _unique([*old.get(k, ()), *new.get(k, ())]) for k in keys}
    return {**old, **new}


def _rows(text: str, source: str, ncols: int | None) -> list[tuple[int, list[str]]]:
    rows = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        cols = [c.strip() for c in line.rstrip("\n").split("\t")]
        if ncols is not None and (len(cols) != ncols or not all(cols)):
            raise ConfigError(f"{source}:{number}: expected {ncols} tab-separated column(s), "
                              f"got {line!r}")
        rows.append((number, cols))
    return rows


def _parse_file(kind: str, text: str, source: str) -> dict[str, Any]:
    """Entries of one lexicon file as ``Lexicon`` field values."""
    if kind in ("hedges", "temporal"):
        return {kind: _unique(c[0].lower() for _, c in _rows(text, source, 1))}
    if kind == "synonyms":
        free, restricted = [], []
        for number, cols in _rows(text, source, None):
            if cols[0] not in ("any", "restricted") or len(cols) < 3:
                raise ConfigError(f"{source}:{number}: write 'any' or 'restricted' then at "
                                  f"least two tab-separated terms")
            (free if cols[0] == "any" else restricted).append(tuple(t.lower() for t in cols[1:]))
        return {"synonyms": tuple(free), "restricted_synonyms": tuple(restricted)}
    rows = _rows(text, source, 2)
    if kind in ("abbreviations", "laterality"):
        return {kind: {a if kind == "abbreviations" else a.lower(): b for _, (a, b) in rows}}
    grouped: dict[str, list[str]] = {}
    for number, (a, b) in rows:
        if kind in _CUE_KINDS:
            if b not in _CUE_KINDS[kind]:
                raise ConfigError(f"{source}:{number}: kind {b!r} is not one of "
                                  f"{_CUE_KINDS[kind]}")
            grouped.setdefault(b, []).append(a.lower())
        else:
            grouped.setdefault(a, [] if kind in ("findings", "attributes") else [a.lower()]
                               ).append(b.lower())
    if kind in _CUE_KINDS:
        grouped = {k: grouped.get(k, []) for k in _CUE_KINDS[kind]}
    return {kind: {k: _unique(v) for k, v in grouped.items()}}


@functools.lru_cache(maxsize=1)
def default_lexicon() -> Lexicon:
    """The shipped lexicon from ``mmr_augment.assets/lexicons`` (cached)."""
    root = files("mmr_augment.assets") / "lexicons"
    values: dict[str, Any] = {}
    for kind, name in FILES.items():
        values.update(_parse_file(kind, (root / name).read_text("utf-8"), name))
    return Lexicon(**values)


def load_lexicon(*paths: str | Path, base: Lexicon | None = None) -> Lexicon:
    """Extend ``base`` (default: the shipped lexicon) with the user's lexicon files.

    Args:
        paths: files named after their kind (``abbreviations.tsv``, ``my_negation.tsv``: the
            kind is the last ``_``-separated part of the stem) or folders holding such files.
        base: the lexicon to extend.

    Example:
        >>> import pathlib, tempfile
        >>> d = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (d / "site_abbreviations.tsv").write_text("RUQ\\tright upper quadrant\\n")
        >>> load_lexicon(d).abbreviations["RUQ"]
        'right upper quadrant'
    """
    lexicon = base or default_lexicon()
    for path in map(Path, paths):
        if not path.exists():
            raise ConfigError(f"lexicon path {str(path)!r} does not exist")
        candidates = sorted(path.iterdir()) if path.is_dir() else [path]
        for file in candidates:
            kind = file.stem.rsplit("_", 1)[-1]
            if kind not in FILES:
                if path.is_dir():
                    continue
                raise ConfigError(f"cannot tell the lexicon kind of {file.name!r}: name it "
                                  f"after one of {sorted(FILES)} (e.g. 'site_negation.tsv')")
            lexicon = lexicon.with_extra(**_parse_file(kind, file.read_text("utf-8"), str(file)))
    return lexicon


def synonym_classes(include_restricted: bool = False) -> list[tuple[str, ...]]:
    """Clinical equivalence classes; ``restricted`` ones (e.g. "unremarkable" ~ "within normal
    limits") only with ``include_restricted=True``.

    Example:
        >>> ("pleural effusion", "pleural fluid") in synonym_classes()
        True
    """
    lex = default_lexicon()
    return list(lex.synonyms + (lex.restricted_synonyms if include_restricted else ()))


def abbreviations() -> dict[str, str]:
    """Short form -> long form. Example: ``abbreviations()["PTX"] == "pneumothorax"``."""
    return dict(default_lexicon().abbreviations)


def negation_triggers() -> dict[str, list[str]]:
    """Keys ``pre``, ``post``, ``pseudo``, ``termination``; lower-case triggers."""
    return {k: list(v) for k, v in default_lexicon().negation.items()}


def uncertainty_triggers() -> dict[str, list[str]]:
    """Keys ``pre``, ``post`` and ``pseudo`` (phrases that carry no uncertainty)."""
    return {k: list(v) for k, v in default_lexicon().uncertainty.items()}


def hedges() -> list[str]:
    """Hedging phrases; each one is also an uncertainty cue."""
    return list(default_lexicon().hedges)


def section_headers() -> dict[str, list[str]]:
    """Canonical header ("FINDINGS") -> lower-case variants ("findings", "finding", ...)."""
    return {k: list(v) for k, v in default_lexicon().sections.items()}


def finding_phrases() -> dict[str, list[str]]:
    """CheXpert observation -> mention phrases (``...`` is a gap of up to 3 words).

    Example:
        >>> "enlarged heart" in finding_phrases()["Cardiomegaly"]
        True
    """
    return {k: list(v) for k, v in default_lexicon().findings.items() if k != "-"}


def attribute_phrases() -> dict[str, list[str]]:
    """CheXpert observation -> phrases naming what it is about ("heart size"); they are a
    mention only where a negation, normality, uncertainty or "stable" cue qualifies them.

    Example:
        >>> "cardiomediastinal silhouette" in attribute_phrases()["Enlarged Cardiomediastinum"]
        True
    """
    return {k: list(v) for k, v in default_lexicon().attributes.items()}
