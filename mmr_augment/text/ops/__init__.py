"""Text perturbation families, one small file per family group; each registers on import.

Meaning-preserving: ``SynonymSwap``, ``AbbreviationSwap``, ``Typo``, ``SentenceShuffle``,
``SectionShuffle``, ``HeaderRestyle``, ``CaseWhitespace``. Information-removing:
``SentenceDeletion``, ``Truncation``, ``WordDropout``. Meaning-changing (hard negatives, off in
defaults): ``NegationFlip``, ``LateralitySwap``.
"""

from . import meaning, order, removal, restyle, substitution, typo
from .meaning import *  # noqa: F403
from .order import *  # noqa: F403
from .removal import *  # noqa: F403
from .restyle import *  # noqa: F403
from .substitution import *  # noqa: F403
from .typo import *  # noqa: F403

__all__ = [*removal.__all__, *substitution.__all__, *typo.__all__, *order.__all__,
           *restyle.__all__, *meaning.__all__]
