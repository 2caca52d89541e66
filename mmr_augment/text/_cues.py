"""Negation / uncertainty cues with scope (NegEx / pyConText style) and finding mentions.

Within one sentence, a *pre* cue's scope runs forward to the sentence end, a termination word
("but", "however", ";", "there is") or the next cue; a *post* cue's scope runs backward to the
sentence start, a termination word or the previous cue (an uncertainty post cue also stops at a
comma: "opacity, atelectasis versus pneumonia"). Pseudo-negations ("no change", "not
only") flag and end scopes but open none. Uncertainty pseudo cues ("to suggest") do nothing, so
"no opacity to suggest pneumonia" stays negative.

A mention is *uncertain* when any of its tokens is in an uncertainty scope (or is a cue),
else *negative* when any is in a negation scope (or is a cue), else *positive*; "No Finding"
mentions (normal statements) are always positive.
"""

from __future__ import annotations

from ._match import CompiledLexicon
from .report import Mention, TokenFlag

# Plain ints: IntFlag attribute access is slow on the per-token path.
_CUE_BITS = {"neg_pre": int(TokenFlag.NEGATION), "neg_post": int(TokenFlag.NEGATION),
             "unc_pre": int(TokenFlag.UNCERTAINTY), "unc_post": int(TokenFlag.UNCERTAINTY),
             "pseudo": int(TokenFlag.PSEUDO_NEGATION), "termination": int(TokenFlag.TERMINATION)}
_SCOPE_BITS = {"neg": int(TokenFlag.NEGATED), "unc": int(TokenFlag.UNCERTAIN)}
_FINDING = int(TokenFlag.FINDING)
_LATERAL = int(TokenFlag.LATERALITY)
_STOPS = int(TokenFlag.PUNCT | TokenFlag.FINDING)
_NOT_A_CUE = frozenset({"unc_pseudo"})
_UNCERTAIN = int(TokenFlag.UNCERTAIN | TokenFlag.UNCERTAINTY)
_NEGATIVE = int(TokenFlag.NEGATED | TokenFlag.NEGATION)
_WINDOW_BEFORE, _WINDOW_AFTER = 4, 5
_CONJUNCTIONS = {"and", "or", "with", "but"}


def _set(flags: list[int], start: int, stop: int, bit: int) -> None:
    for i in range(start, stop):
        flags[i] |= bit


def flag_cues(words: list[str], punct: list[bool], flags: list[int],
              sentences: list[tuple[int, int]], lex: CompiledLexicon) -> None:
    """Set cue and scope bits on ``flags`` in place."""
    for a, b in sentences:
        cues = [c for c in lex.cues.find(words, punct, a, b) if c[2] - _NOT_A_CUE]
        for k, (s, e, kinds) in enumerate(cues):
            for kind in kinds:
                _set(flags, s, e, _CUE_BITS[kind])
                family, _, side = kind.partition("_")
                if side == "pre":
                    _set(flags, e, cues[k + 1][0] if k + 1 < len(cues) else b,
                         _SCOPE_BITS[family])
                elif side == "post":
                    begin = cues[k - 1][1] if k else a
                    if family == "unc":  # "opacity, atelectasis versus pneumonia"
                        begin = max([begin] + [i + 1 for i in range(begin, s) if words[i] == ","])
                    _set(flags, begin, s, _SCOPE_BITS[family])


def _laterality(words: list[str], flags: list[int], s: int, e: int, a: int, b: int,
                lex: CompiledLexicon) -> str | None:
    """Side stated for the mention ``[s, e)`` in sentence ``[a, b)``, nearest word first."""
    inside = [lex.side(words[i]) for i in range(s, e) if flags[i] & _LATERAL]
    if inside:
        return "bilateral" if len(set(inside)) > 1 else inside[0]
    before = range(s - 1, max(a, s - _WINDOW_BEFORE) - 1, -1)
    after = range(e, min(b, e + _WINDOW_AFTER))
    for window in (before, after):
        for i in window:
            if flags[i] & _LATERAL:
                return lex.side(words[i])
            if flags[i] & _STOPS and words[i] not in ("-", "/") or (
                    window is after and words[i] in _CONJUNCTIONS):
                break
    return None


def find_mentions(words: list[str], punct: list[bool], flags: list[int],
                  sentences: list[tuple[int, int]], lex: CompiledLexicon
                  ) -> tuple[Mention, ...]:
    """Finding mentions with polarity and laterality; sets the FINDING bit in place."""
    found = []
    for a, b in sentences:
        for s, e, observation in lex.findings.find(words, punct, a, b):
            if observation != "-":
                _set(flags, s, e, _FINDING)
                found.append((s, e, observation, a, b))
    mentions = []
    for s, e, observation, a, b in found:
        bits = 0
        for i in range(s, e):
            bits |= flags[i]
        if observation == "No Finding":
            polarity = "positive"
        elif bits & _UNCERTAIN:
            polarity = "uncertain"
        else:
            polarity = "negative" if bits & _NEGATIVE else "positive"
        mentions.append(Mention(observation, s, e, polarity,
                                _laterality(words, flags, s, e, a, b, lex)))
    return tuple(mentions)
