"""Report structure: section headers and sentence boundaries.

Headers come from the section lexicon, in any casing. A candidate at a line start or after a
sentence end is a header when it has a colon ("Findings:"), stands on its own line
("IMPRESSION\\n"), or is upper case and followed by ordinary text ("IMPRESSION No acute...");
elsewhere on a line only an upper-case header with a colon counts ("... IMPRESSION: ...").

Sentences end at ".", "!" or "?" tokens (not at "2.5", "Dr." or "s/p", which the tokenizer
keeps whole), at a blank line, at a line break before a capitalised line, and before a numbered
item ("1. ... 2. ..."); a missing final period just ends the sentence at the section end.
"""

from __future__ import annotations

from bisect import bisect_left

from ._match import LINE_BREAK_AFTER, SENTENCE_ENDS, CompiledLexicon

_CONTINUATIONS = {",", "and", "or", "of", "the", "with", "to", "a", "an", "in", "at", "on",
                  "for", "from", "by", "-", "/"}


def find_headers(text: str, lex: CompiledLexicon) -> list[tuple[int, int, str]]:
    """Headers as ``(start, end, canonical)``; ``end`` includes the colon.

    Example:
        >>> from mmr_augment.text.lexicon import default_lexicon
        >>> from mmr_augment.text._match import compile_lexicon
        >>> lex = compile_lexicon(default_lexicon())
        >>> find_headers("Findings: clear.\\nIMPRESSION Normal.", lex)
        [(0, 9, 'FINDINGS'), (17, 27, 'IMPRESSION')]
    """
    found = {m.start("h"): m for m in lex.header_re.finditer(text)}
    if ":" in text:
        for m in lex.inline_header_re.finditer(text):
            found.setdefault(m.start("h"), m)
    headers: list[tuple[int, int, str]] = []
    for start, m in sorted(found.items()):
        end = m.end()
        if headers and start < headers[-1][1]:
            continue
        line_start = text.rfind("\n", 0, start) + 1
        prefix = text[line_start:start].rstrip()
        line_end = text.find("\n", end)
        rest = text[end:line_end if line_end >= 0 else len(text)].strip()
        word = m.group("h")
        colon = m.group("c") is not None
        if not prefix or prefix[-1] in ".!?":
            next_word = rest.split(maxsplit=1)[0] if rest else ""
            ok = colon or not rest or (word.isupper() and (
                not next_word.isupper() or next_word.startswith("XXX")))
        else:
            ok = colon and word.isupper()
        if ok:
            headers.append((start, end, lex.header_names[" ".join(word.lower().split())]))
    return headers


def _is_marker(words: list[str], i: int, stop: int) -> bool:
    """``words[i]`` opens a numbered item: "1." or "1)" followed by more words."""
    return (i + 2 < stop and words[i].isdigit() and len(words[i]) <= 2
            and words[i + 1] in (".", ")"))


def _line_break(text: str, words: list[str], ends: list[int], starts: list[int], i: int) -> bool:
    """A sentence break between tokens ``i`` and ``i + 1``, which a newline separates."""
    if text.count("\n", ends[i], starts[i + 1]) >= 2:
        return True
    nxt = text[starts[i + 1]:ends[i + 1]]
    if words[i] in _CONTINUATIONS:
        return False
    if nxt.isupper() and words[i].isalpha() and not text[starts[i]:ends[i]].isupper():
        return False  # "the right\nPICC line": a wrapped line, not a new sentence
    return nxt[0].isupper() or nxt[0].isdigit() or nxt[0] in "-*\u2022"


def split_sentences(text: str, words: list[str], starts: list[int], ends: list[int],
                    flags: list[int], events: list[int], start: int, stop: int
                    ) -> list[tuple[int, int]]:
    """Sentence token ranges ``[a, b)`` covering tokens ``start..stop`` of one section body.

    Only the ``events`` (ascending indices of the tokens that are digits or sentence-end
    punctuation, or that a newline follows: ``flags`` has ``LINE_BREAK_AFTER``) can end a
    sentence or open an item, so only they are visited.
    """
    bounds: list[tuple[int, int]] = []
    cur, last_item, skip = start, 0, start
    for i in events[bisect_left(events, start):bisect_left(events, stop)]:
        if i < skip:
            continue
        word = words[i]
        if word.isdigit() and _is_marker(words, i, stop):
            number = int(word)
            new_line = i == start or "\n" in text[ends[i - 1]:starts[i]]
            if i > cur and (new_line or number == last_item + 1):
                bounds.append((cur, i))
                cur = i
            if i == cur:
                last_item = number
                skip = i + 2
                continue
        ends_here = word in SENTENCE_ENDS and (i > cur or word == ".")
        if ends_here or (flags[i] & LINE_BREAK_AFTER and i + 1 < stop
                         and _line_break(text, words, ends, starts, i)):
            bounds.append((cur, i + 1))
            cur = i + 1
    if cur < stop:
        bounds.append((cur, stop))
    return bounds
