"""Perturbation-aware masking: per-mode ratios, damage weights, batched Gumbel-top-k sampling.

Which image patches and report tokens are masked leans toward what the policy damaged: patch
weights come from ``PerturbedBatch.damage`` and ``occlusion``, token weights from the text edit
log mapped onto tokens (:func:`edit_regions`, :func:`edited_tokens`). With all weights equal the
same sampler is plain uniform random masking (the baseline).

Example:
    >>> g = torch.Generator().manual_seed(0)
    >>> w = torch.tensor([[1.0, 1.0, 50.0, 50.0]])
    >>> sample_mask(w, torch.tensor([0.5]), g).tolist()
    [[False, False, True, True]]
"""

from __future__ import annotations

import difflib
import re
from typing import Any

import torch
import torch.nn.functional as F

from mmr_augment.batch import MODES

from .config import MaskingConfig
from .tokenizer import TokenBatch

#: ``(clean_start, clean_end, perturbed_start, perturbed_end)`` character spans of one edit.
Region = tuple[int, int, int, int]
_WORD = re.compile(r"\w+|[^\w\s]")


def mask_ratios(mode: torch.Tensor, cfg: MaskingConfig, adaptive: bool = True
                ) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-sample ``(image_ratio, text_ratio)``, each ``(B,)``, from ``PerturbedBatch.mode``.

    ``adaptive=False`` (baseline) gives the clean ratios to every sample.

    Example:
        >>> img, txt = mask_ratios(torch.tensor([0, 1, 2, 3]), MaskingConfig())
        >>> img.tolist(), txt.tolist()
        ([0.75, 0.85, 0.6, 0.85], [0.15, 0.1, 0.3, 0.3])
    """
    c = cfg
    table = {"none": (c.image_clean, c.text_clean), "image": (c.image_perturbed, c.text_other),
             "text": (c.image_other, c.text_perturbed),
             "both": (c.image_perturbed, c.text_perturbed)}
    lut = torch.tensor([table[m] if adaptive else table["none"] for m in MODES],
                       dtype=torch.float64)
    pair = lut[mode.long().cpu()]
    return pair[:, 0], pair[:, 1]


def patch_weights(damage: torch.Tensor, occlusion: torch.Tensor, grid: tuple[int, int],
                  eps: float) -> torch.Tensor:
    """``(B, N)`` masking weights: ``max(damage / max damage, occluded fraction) + eps``.

    ``damage`` ``(B, h, w)`` and ``occlusion`` ``(B, 1, H, W)`` are resampled (area average) to
    the model's patch ``grid``, so a damage map made for another patch size still works.
    """
    dmg = F.interpolate(damage[:, None].float(), size=grid, mode="area").flatten(1)
    dmg = dmg / dmg.amax(dim=1, keepdim=True).clamp(min=1e-12)
    occ = F.interpolate(occlusion.float(), size=grid, mode="area").flatten(1)
    return torch.maximum(dmg, occ) + eps


def sample_mask(weights: torch.Tensor, ratio: torch.Tensor, generator: torch.Generator, *,
                eligible: torch.Tensor | None = None, temperature: float = 1.0,
                min_visible: int = 0) -> torch.Tensor:
    """``(B, N)`` bool mask, True = masked: weighted sampling without replacement per sample.

    Gumbel-top-k: the ``k_b = round(ratio_b * n_b)`` units (at least one, at most
    ``n_b - min_visible``) with the largest ``log(w) / temperature + Gumbel`` noise among the
    ``n_b`` eligible ones, i.e. successive draws with probability proportional to
    ``w ** (1 / temperature)``. Noise comes from ``generator`` (CPU).
    """
    b, n = weights.shape
    if eligible is None:
        eligible = torch.ones(b, n, dtype=torch.bool, device=weights.device)
    count = eligible.sum(1).cpu()
    k = (ratio.cpu() * count).round().long().clamp(min=1).minimum(count - min_visible).clamp(min=0)
    u = torch.rand(b, n, generator=generator).clamp_(1e-10, 1.0 - 1e-7)
    gumbel = -torch.log(-torch.log(u)).to(weights.device)
    scores = (torch.log(weights.float()) / temperature + gumbel).masked_fill(~eligible, -torch.inf)
    order = scores.argsort(dim=1, descending=True, stable=True)
    rank = torch.empty_like(order).scatter_(1, order, torch.arange(n, device=order.device)
                                            .expand(b, n).contiguous())
    return rank < k.to(rank.device)[:, None]


def whole_words(mask: torch.Tensor, word_ids: torch.Tensor) -> torch.Tensor:
    """Extend a token mask to every piece of each touched word (``word_ids`` -1 = special)."""
    words = word_ids.clamp(min=0)
    hits = torch.zeros_like(words).scatter_add_(1, words, (mask & (word_ids >= 0)).long())
    return (hits.gather(1, words) > 0) & (word_ids >= 0)


def edit_regions(clean: str, perturbed: str, edits: list[dict[str, Any]]) -> list[Region]:
    """Character regions changed between ``clean`` and ``perturbed``.

    First the edits (``start``/``end`` on the clean text, ``new`` text) are read as disjoint
    replacements in clean-text coordinates (one op's log). If they do not turn ``clean``
    into ``perturbed`` (several ops, each logging spans of the text it received; a reorder),
    the regions come from a word-level diff (``difflib``) instead. Either way the regions
    describe a correct rewrite of ``clean`` into ``perturbed`` (up to whitespace).

    Example:
        >>> edit_regions("no effusion", "no effuison",
        ...              [{"kind": "typo", "start": 7, "end": 9, "old": "si", "new": "is"}])
        [(7, 9, 7, 9)]
    """
    regions, pieces, pos, shift = [], [], 0, 0
    for start, end, new in sorted((int(e["start"]), int(e["end"]), str(e.get("new", "")))
                                  for e in edits):
        if start < pos or end < start or end > len(clean):
            return _diff_regions(clean, perturbed)
        pieces += [clean[pos:start], new]
        regions.append((start, end, start + shift, start + shift + len(new)))
        shift += len(new) - (end - start)
        pos = end
    if "".join(pieces) + clean[pos:] != perturbed:
        return _diff_regions(clean, perturbed)
    return regions


def _diff_regions(clean: str, perturbed: str) -> list[Region]:
    """Changed regions from a word-level diff (fast; whitespace-only changes are ignored)."""
    a = [m.span() for m in _WORD.finditer(clean)]
    b = [m.span() for m in _WORD.finditer(perturbed)]
    ops = difflib.SequenceMatcher(None, [clean[i:j] for i, j in a],
                                  [perturbed[i:j] for i, j in b], autojunk=False).get_opcodes()
    return [_span(a, i1, i2, len(clean)) + _span(b, j1, j2, len(perturbed))
            for tag, i1, i2, j1, j2 in ops if tag != "equal"]


def _span(words: list[tuple[int, int]], first: int, stop: int, length: int) -> tuple[int, int]:
    if first == stop:
        at = words[first][0] if first < len(words) else length
        return at, at
    return words[first][0], words[stop - 1][1]


def edited_tokens(regions: list[list[Region]], offsets: torch.Tensor) -> torch.Tensor:
    """``(B, L)`` bool: tokens (``offsets`` into the perturbed texts) that overlap an edit.

    A deletion (empty perturbed span at position p) marks the token(s) within one character
    of p. Special and padding tokens (offsets (0, 0)) never count.

    Example:
        >>> offs = torch.tensor([[[0, 0], [0, 2], [3, 11], [0, 0]]])
        >>> edited_tokens([[(6, 8, 6, 8)]], offs).tolist()
        [[False, False, True, False]]
    """
    b, length = offsets.shape[:2]
    rows = [(i, r[2], r[3]) for i, regs in enumerate(regions) for r in regs]
    if not rows:
        return torch.zeros(b, length, dtype=torch.bool, device=offsets.device)
    spans = torch.tensor(rows, dtype=torch.int64, device=offsets.device)
    sample, start, end = spans.unbind(1)
    empty = (end == start).long()[:, None]
    tok_start, tok_end = offsets[sample].unbind(-1)                 # (R, L)
    hit = (tok_start < end[:, None] + empty) & (tok_end > start[:, None] - empty)
    count = torch.zeros(b, length, device=offsets.device).index_add_(0, sample, hit.float())
    return (count > 0) & (offsets[..., 1] > offsets[..., 0])


def clean_token_targets(regions: list[list[Region]], perturbed: TokenBatch, clean: TokenBatch
                        ) -> torch.Tensor:
    """``(B, L)`` MLM target ids for the perturbed tokens; -100 = no target.

    Rule: outside edits a token's target is its own id (standard MLM). For each edit region,
    the words it touches are taken whole on both sides; the k-th perturbed token there gets
    the k-th clean token's id, and perturbed tokens beyond the clean count get -100 (a typo
    split into more pieces than the clean word). A pure insertion (empty clean span) keeps
    standard targets; a deletion has no perturbed token to train.

    Example:
        >>> from mmr_train.tokenizer import ReportTokenizer
        >>> tok = ReportTokenizer.train(["no effusion"] * 5, vocab_size=60)
        >>> p, c = tok.encode_batch(["no effuxion"], 8), tok.encode_batch(["no effusion"], 8)
        >>> t = clean_token_targets([[(8, 9, 8, 9)]], p, c)
        >>> tok.decode(t[0, 2:3]), (t[0, 3:-1] == -100).all().item()
        ('effusion', True)
    """
    targets = perturbed.input_ids.clone()
    for i, regs in enumerate(regions):
        if not regs:
            continue
        pert_words = _row_words(perturbed, i)
        gold_words, gold_ids = _row_words(clean, i), clean.input_ids[i].tolist()
        row = targets[i].tolist()
        for c_start, c_end, p_start, p_end in regs:
            pert = _word_tokens(pert_words, p_start, p_end)
            gold = _word_tokens(gold_words, c_start, c_end)
            if not pert or c_end == c_start:
                continue
            m = min(len(pert), len(gold))
            for p, g in zip(pert[:m], gold[:m], strict=True):
                row[p] = gold_ids[g]
            for p in pert[m:]:
                row[p] = -100
        targets[i] = torch.tensor(row, dtype=targets.dtype)
    return targets


def _row_words(tokens: TokenBatch, row: int) -> list[tuple[int, int, int]]:
    """``(start, end, word id)`` of each token of sample ``row`` (plain ints: a report has a
    few dozen tokens, far below where tensor ops pay for their call overhead)."""
    spans, words = tokens.offsets[row].tolist(), tokens.word_ids[row].tolist()
    return [(start, end, word) for (start, end), word in zip(spans, words, strict=True)]


def _word_tokens(row: list[tuple[int, int, int]], start: int, end: int) -> list[int]:
    """Indices of the tokens of every word overlapping ``[start, end)`` (``row`` from
    :func:`_row_words`)."""
    hit = {word for s, e, word in row if s < end and e > start and word >= 0}
    return [k for k, (_, _, word) in enumerate(row) if word in hit]
