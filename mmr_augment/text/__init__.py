"""Clinical report text: parsing, lexicons, labeling and text perturbations."""

from . import _extra_check  # noqa: F401  (first: a missing `text` extra names its install)
from ._drops import clear_layout_cache
from .labeler import OBSERVATIONS, UNMENTIONED, label, labels_kept, laterality, report_labels
from .lexicon import (
    Lexicon,
    abbreviations,
    attribute_phrases,
    finding_phrases,
    hedges,
    load_lexicon,
    negation_triggers,
    section_headers,
    synonym_classes,
    uncertainty_triggers,
    wordnet_synonyms,
)
from .mine import mine_abbreviations, write_abbreviation_file
from .parse import MAX_REPORT_CHARS, find_headers, parse, parse_cache_info, set_parse_cache_size
from .report import PROTECTED, Mention, Report, Section, TokenFlag

__all__ = [
    "OBSERVATIONS", "UNMENTIONED", "label", "labels_kept", "laterality", "report_labels",
    "Lexicon", "abbreviations", "attribute_phrases", "finding_phrases", "hedges", "load_lexicon",
    "negation_triggers", "section_headers", "synonym_classes", "uncertainty_triggers",
    "wordnet_synonyms",
    "clear_layout_cache", "mine_abbreviations", "write_abbreviation_file",
    "MAX_REPORT_CHARS", "find_headers", "parse", "parse_cache_info", "set_parse_cache_size",
    "PROTECTED", "Mention", "Report", "Section", "TokenFlag",
]

# Text perturbation ops (mmr_augment.text.base / mmr_augment.text.ops); they register on import.
from .base import EFFECTS, Edit, TextBatch, TextPerturbation  # noqa: E402
from .ops import *  # noqa: E402,F403
from .ops import __all__ as _ops_all  # noqa: E402

__all__ += ["EFFECTS", "Edit", "TextBatch", "TextPerturbation", *_ops_all]
