"""Negation / uncertainty cues with scope (NegEx / pyConText style) and finding mentions.

Within one sentence, a *pre* cue's scope runs forward to the sentence end, a termination word
("but", "however", ";", "there is") or the next cue; a *post* cue's scope runs backward to the
sentence start, a termination word or the previous cue (an uncertainty post cue also stops at a
comma: "opacity, atelectasis versus pneumonia"). Pseudo-negations ("no change", "not
only") flag and end scopes but open none. Uncertainty pseudo cues ("to suggest") do nothing, so
"no opacity to suggest pneumonia" stays negative.

A *normality* cue ("normal", "within normal limits", "unremarkable") and a *stable* cue
("stable", "unchanged") reach both ways, to the neighbouring cues or the sentence bounds, and
act on attribute phrases only ("heart size", "cardiomediastinal silhouette"; lexicon
``attributes``), as CheXpert's normal / unremarkable and stable-silhouette patterns do.

A mention is *uncertain* when any of its tokens is in an uncertainty scope (or is a cue),
else *negative* when any is in a negation scope (or is a cue), else *positive*; "No Finding"
mentions (normal statements) are always positive. An attribute phrase is a mention only where
a cue qualifies it: uncertain as above, else negative in a negation or normality scope, else
uncertain in a stable scope; bare, it is no mention ("a pacemaker over the heart").

Both depend on nothing but the sentence's words, so :func:`read_sentences` memoises them per
sentence: reports repeat sentences ("The lungs are clear."), and an edited report that is
re-parsed to check an edit shares all sentences but the edited ones.
"""

from __future__ import annotations

from ._match import CUE_START, FINDING_START, CompiledLexicon
from .report import SIDE_WINDOW_STOPS, Mention, TokenFlag

# Plain ints: IntFlag attribute access is slow on the per-token path.
_CUE_BITS = {"neg_pre": int(TokenFlag.NEGATION), "neg_post": int(TokenFlag.NEGATION),
             "unc_pre": int(TokenFlag.UNCERTAINTY), "unc_post": int(TokenFlag.UNCERTAINTY),
             "pseudo": int(TokenFlag.PSEUDO_NEGATION), "termination": int(TokenFlag.TERMINATION),
             "neg_normal": int(TokenFlag.NEGATION), "unc_stable": int(TokenFlag.UNCERTAINTY)}
_SCOPE_BITS = {"neg": int(TokenFlag.NEGATED), "unc": int(TokenFlag.UNCERTAIN)}
_BOTH_WAYS = {"neg_normal": int(TokenFlag.NORMAL), "unc_stable": int(TokenFlag.STABLE)}
_NORMAL, _STABLE = int(TokenFlag.NORMAL), int(TokenFlag.STABLE)
_FINDING = int(TokenFlag.FINDING)
_LATERAL = int(TokenFlag.LATERALITY)
_STOPS = int(TokenFlag.PUNCT | TokenFlag.FINDING)
_NOT_A_CUE = frozenset({"unc_pseudo"})
_UNCERTAIN = int(TokenFlag.UNCERTAIN | TokenFlag.UNCERTAINTY)
_NEGATIVE = int(TokenFlag.NEGATED | TokenFlag.NEGATION)
_WINDOW_BEFORE, _WINDOW_AFTER = 4, 5
_MEMO_LIMIT = 100_000


def _set(flags: list[int], start: int, stop: int, bit: int) -> None:
    for i in range(start, stop):
        flags[i] |= bit


def flag_cues(words: list[str], flags: list[int], token_sentence: list[int],
              sentences: list[tuple[int, int]], candidates: list[int],
              lex: CompiledLexicon) -> None:
    """Set cue and scope bits on ``flags`` in place (``candidates``: ascending indices of
    the tokens a cue phrase can start with)."""
    found = lex.cues.find(words, flags, candidates, token_sentence, sentences)
    cues = [c for c in found if c[2] - _NOT_A_CUE]
    last = len(cues) - 1
    for k, (s, e, kinds, sentence) in enumerate(cues):
        for kind in kinds:
            _set(flags, s, e, _CUE_BITS[kind])
            if kind in _BOTH_WAYS:
                begin = cues[k - 1][1] if k and cues[k - 1][3] == sentence \
                    else sentences[sentence][0]
                nxt = cues[k + 1][0] if k < last and cues[k + 1][3] == sentence \
                    else sentences[sentence][1]
                _set(flags, begin, s, _BOTH_WAYS[kind])
                _set(flags, e, nxt, _BOTH_WAYS[kind])
                continue
            family, _, side = kind.partition("_")
            if side == "pre":
                nxt = cues[k + 1][0] if k < last and cues[k + 1][3] == sentence \
                    else sentences[sentence][1]
                _set(flags, e, nxt, _SCOPE_BITS[family])
            elif side == "post":
                begin = cues[k - 1][1] if k and cues[k - 1][3] == sentence \
                    else sentences[sentence][0]
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
                    window is after and words[i] in SIDE_WINDOW_STOPS):
                break
    return None


def find_mentions(words: list[str], flags: list[int], token_sentence: list[int],
                  sentences: list[tuple[int, int]], candidates: list[int],
                  lex: CompiledLexicon) -> tuple[Mention, ...]:
    """Finding mentions with polarity and laterality; sets the FINDING bit in place
    (``candidates``: ascending indices of the tokens a finding phrase can start with)."""
    found = [m for m in lex.findings.find(words, flags, candidates, token_sentence, sentences)
             if m[2][0] != "-"]
    for s, e, _, _ in found:
        _set(flags, s, e, _FINDING)
    mentions = []
    for s, e, (observation, attribute), sentence in found:
        bits = 0
        for i in range(s, e):
            bits |= flags[i]
        if observation == "No Finding":
            polarity = "positive"
        elif bits & _UNCERTAIN:
            polarity = "uncertain"
        elif bits & _NEGATIVE or attribute and bits & _NORMAL:
            polarity = "negative"
        elif attribute:
            if not bits & _STABLE:
                continue
            polarity = "uncertain"
        else:
            polarity = "positive"
        a, b = sentences[sentence]
        mentions.append(Mention(observation, s, e, polarity,
                                _laterality(words, flags, s, e, a, b, lex)))
    return tuple(mentions)


def _read_sentence(words: tuple[str, ...], lex: CompiledLexicon
                   ) -> tuple[tuple[tuple[int, int], ...], tuple[tuple, ...]]:
    """Cue / scope / finding bits ``(token, bits)`` and mentions ``(observation, start, end,
    polarity, side)`` of one sentence, offsets relative to its first token."""
    local = list(words)
    flags = lex.words_bits(local)
    before = list(flags)
    spans, where = [(0, len(local))], [0] * len(local)
    flag_cues(local, flags, where, spans,
              [k for k, f in enumerate(flags) if f & CUE_START], lex)
    mentions = find_mentions(local, flags, where, spans,
                             [k for k, f in enumerate(flags) if f & FINDING_START], lex)
    bits = tuple((k, f ^ b) for k, (f, b) in enumerate(zip(flags, before)) if f != b)
    return bits, tuple((m.observation, m.token_start, m.token_end, m.polarity, m.laterality)
                       for m in mentions)


def sentence_entry(words: tuple[str, ...], lex: CompiledLexicon) -> tuple:
    """:func:`_read_sentence` of ``words`` through the lexicon's sentence memo."""
    entry = lex.sentence_memo.get(words)
    if entry is None:
        entry = _read_sentence(words, lex)
        if len(lex.sentence_memo) < _MEMO_LIMIT:
            lex.sentence_memo[words] = entry
    return entry


def sentence_reading(words: tuple[str, ...], lex: CompiledLexicon) -> tuple:
    """What the labeler reads in one sentence: its mentions' ``(observation, polarity,
    side)``, sorted (side ``""`` when none is stated).

    Example:
        >>> from mmr_augment.text.lexicon import default_lexicon
        >>> from mmr_augment.text._match import compile_lexicon
        >>> sentence_reading(("no", "left", "effusion", "."), compile_lexicon(default_lexicon()))
        (('Pleural Effusion', 'negative', 'left'),)
    """
    return tuple(sorted((o, p, side or "") for o, _, _, p, side in
                        sentence_entry(words, lex)[1]))


def read_sentences(words: list[str], flags: list[int], sentences: list[tuple[int, int]],
                   lex: CompiledLexicon) -> tuple[Mention, ...]:
    """:func:`flag_cues` and :func:`find_mentions` over every sentence, memoised per sentence
    (sets the bits on ``flags`` in place, returns the mentions).

    Example:
        >>> from mmr_augment.text.lexicon import default_lexicon
        >>> from mmr_augment.text._match import compile_lexicon
        >>> words = ["no", "effusion", ".", "mild", "cardiomegaly", "."]
        >>> lex = compile_lexicon(default_lexicon())
        >>> flags = lex.words_bits(words)
        >>> [(m.observation, m.polarity) for m in read_sentences(words, flags, [(0, 3), (3, 6)],
        ...                                                       lex)]
        [('Pleural Effusion', 'negative'), ('Cardiomegaly', 'positive')]
        >>> bool(flags[1] & TokenFlag.NEGATED)
        True
    """
    mentions = []
    for a, b in sentences:
        key = tuple(words[a:b])
        bits, found = sentence_entry(key, lex)
        for k, bit in bits:
            flags[a + k] |= bit
        for observation, s, e, polarity, side in found:
            mentions.append(Mention(observation, a + s, a + e, polarity, side))
    return tuple(mentions)
