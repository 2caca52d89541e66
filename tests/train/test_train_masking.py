"""Perturbation-aware masking: ratios, Gumbel-top-k sampling, edit -> token mapping, targets."""

import dataclasses

import pytest
import torch

pytest.importorskip("tokenizers", reason="needs the train extra: pip install 'mmr[train]'")

from mmr_train.config import MaskingConfig, preset
from mmr_train.masking import (
    clean_token_targets,
    edit_regions,
    edited_tokens,
    mask_ratios,
    patch_weights,
    sample_mask,
    whole_words,
)
from mmr_train.model.inputs import prepare_inputs
from mmr_train.model.toy import toy_batch, toy_tokenizer


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def test_ratios_follow_the_mode_and_config():
    cfg = MaskingConfig(image_perturbed=0.9, text_other=0.05)
    img, txt = mask_ratios(torch.tensor([0, 1, 2, 3]), cfg)
    assert img.tolist() == pytest.approx([0.75, 0.9, 0.6, 0.9])
    assert txt.tolist() == pytest.approx([0.15, 0.05, 0.3, 0.3])
    img, txt = mask_ratios(torch.tensor([0, 1, 2, 3]), cfg, adaptive=False)
    assert img.tolist() == pytest.approx([0.75] * 4) and txt.tolist() == pytest.approx([0.15] * 4)


def test_sample_mask_counts_eligibility_and_seed():
    w = torch.ones(3, 10)
    eligible = torch.ones(3, 10, dtype=torch.bool)
    eligible[1, 6:] = False
    eligible[2] = False
    m = sample_mask(w, torch.tensor([0.75, 0.5, 0.5]), gen(), eligible=eligible)
    assert m.sum(1).tolist() == [8, 3, 0]           # round(r * n_eligible)
    assert not (m & ~eligible).any()
    assert torch.equal(m, sample_mask(w, torch.tensor([0.75, 0.5, 0.5]), gen(),
                                      eligible=eligible))
    # at least one masked, at least min_visible left visible
    assert sample_mask(w[:1], torch.tensor([0.01]), gen()).sum().item() == 1
    assert sample_mask(w[:1], torch.tensor([1.0]), gen(), min_visible=1).sum().item() == 9


def test_sample_mask_is_weighted_sampling_without_replacement():
    # Gumbel-top-1 frequencies follow w / sum(w)
    w = torch.tensor([[1.0, 2.0, 7.0]]).repeat(20000, 1)
    m = sample_mask(w, torch.full((20000,), 0.34), gen(1))
    assert m.float().mean(0).tolist() == pytest.approx([0.1, 0.2, 0.7], abs=0.015)
    # a huge temperature flattens the weights back to uniform
    m = sample_mask(w, torch.full((20000,), 0.34), gen(1), temperature=1e6)
    assert m.float().mean(0).tolist() == pytest.approx([1 / 3] * 3, abs=0.015)


def test_masked_patches_concentrate_in_the_cutout():
    batch = toy_batch()                      # samples 1 and 3: top-left quarter cut out
    cut = batch.occlusion[:, 0, ::8, ::8].flatten(1)[[1, 3]]            # (2, 64), 16 patches
    weights = patch_weights(batch.damage, batch.occlusion, (8, 8), eps=0.05)[[1, 3]]
    ratio = torch.full((2,), 0.5)
    weighted = torch.stack([sample_mask(weights, ratio, gen(s)) for s in range(20)])
    uniform = torch.stack([sample_mask(torch.ones_like(weights), ratio, gen(s))
                           for s in range(20)])
    in_cut = lambda m: (m & cut).sum().item() / (cut.sum().item() * 20)  # noqa: E731
    assert in_cut(weighted) > 0.97
    assert 0.35 < in_cut(uniform) < 0.65


def test_patch_weights_resample_a_damage_map_of_another_patch_size():
    damage = torch.zeros(1, 16, 16)
    damage[0, :8, :8] = 1.0                             # made for patch 4 on a 64 px image
    occlusion = torch.zeros(1, 1, 64, 64, dtype=torch.bool)
    w = patch_weights(damage, occlusion, (8, 8), eps=0.1).view(8, 8)
    assert torch.allclose(w[:4, :4], torch.tensor(1.1)) and torch.allclose(w[4:, 4:],
                                                                           torch.tensor(0.1))


def test_edit_regions_shift_through_length_changes():
    clean = "rll opacity. no effusion."
    edits = [{"kind": "abbreviation", "start": 0, "end": 3, "old": "rll",
              "new": "right lower lobe"},
             {"kind": "typo", "start": 16, "end": 24, "old": "effusion", "new": "efusion"}]
    pert = "right lower lobe opacity. no efusion."
    assert edit_regions(clean, pert, edits) == [(0, 3, 0, 16), (16, 24, 29, 36)]


def test_edit_regions_fall_back_to_a_diff_for_an_inconsistent_log():
    clean, pert = "no focal consolidation. no effusion.", "no effusion. no focal consolidation."
    regions = edit_regions(clean, pert, [{"kind": "sentence_shuffle", "start": 0, "end": 5,
                                          "old": "x", "new": "y"}])
    # rebuild pert from clean using the regions: a correct rewrite (up to whitespace)
    out, pos = "", 0
    for cs, ce, ps, pe in regions:
        out += clean[pos:cs] + pert[ps:pe]
        pos = ce
    assert "".join((out + clean[pos:]).split()) == "".join(pert.split())


def test_edited_tokens_match_edits_and_deletions():
    tok = toy_tokenizer()
    clean, pert = "no pleural effusion.", "no pleural effuison."
    enc = tok.encode_batch([pert, "no effusion.", "no pleural effusion."], 16)
    regions = [edit_regions(clean, pert, [{"kind": "typo", "start": 14, "end": 16,
                                           "old": "us", "new": "su"}]),
               [(3, 11, 3, 3)],                # deletion of "pleural " before "effusion"
               []]
    got = edited_tokens(regions, enc.offsets)
    spans = [[tuple(o) for o, g in zip(enc.offsets[i].tolist(), got[i].tolist()) if g]
             for i in range(3)]
    assert all(s < 16 and e > 14 for s, e in spans[0]) and spans[0]
    assert spans[1] == [(3, 5)] or spans[1][0][0] == 3     # the token right after the cut
    assert spans[2] == []
    assert not (got & enc.special_mask).any()


def test_clean_targets_restore_substituted_and_misspelt_words():
    tok = toy_tokenizer()
    batch = toy_batch()
    regions = [edit_regions(c, t, e) for c, t, e in
               zip(batch.clean_texts, batch.texts, batch.text_edits)]
    pert = tok.encode_batch(batch.texts, 64)
    clean = tok.encode_batch(batch.clean_texts, 64)
    targets = clean_token_targets(regions, pert, clean)
    assert torch.equal(targets[:2], pert.input_ids[:2])            # no edits: own ids
    for i, word in ((2, "effusion"), (3, "pneumonia")):
        changed = (targets[i] != pert.input_ids[i]).nonzero().flatten()
        restored = [t for t in targets[i, changed].tolist() if t != -100]
        assert tok.tokenizer.decode(restored) == word


def test_whole_words_extends_to_every_piece():
    mask = torch.tensor([[False, True, False, False, False]])
    words = torch.tensor([[-1, 0, 0, 1, -1]])
    assert whole_words(mask, words).tolist() == [[False, True, True, False, False]]


def test_prepare_inputs_never_masks_specials_or_dropped_text():
    batch = toy_batch(text_present=(True, True, False, True))
    inputs = prepare_inputs(batch, toy_tokenizer(), preset("tiny"), gen())
    enc = toy_tokenizer().encode_batch(batch.texts, 64)
    assert not (inputs.token_mask & enc.special_mask).any()
    assert not inputs.token_mask[2].any() and inputs.token_mask[[0, 1, 3]].any(1).all()
    assert (inputs.mlm_targets[~inputs.token_mask] == -100).all()
    assert (inputs.input_ids[inputs.token_mask] == toy_tokenizer().mask_id).all()
    grid = 64 // 8
    assert inputs.patch_mask.sum(1).tolist() == [round(r * grid * grid)
                                                 for r in (0.75, 0.85, 0.60, 0.85)]


def test_masked_tokens_concentrate_in_edits_and_baseline_is_uniform():
    batch = toy_batch()
    tok = toy_tokenizer()
    enc = tok.encode_batch(batch.texts, 64)
    regions = [edit_regions(c, t, e) for c, t, e in
               zip(batch.clean_texts, batch.texts, batch.text_edits)]
    edited = edited_tokens(regions, enc.offsets)[[2, 3]]
    robust, base = preset("tiny"), preset("tiny")
    base.method = "baseline"
    hits = {}
    for name, cfg in (("robust", robust), ("baseline", base)):
        masks = torch.stack([prepare_inputs(batch, tok, cfg, gen(s)).token_mask[[2, 3]]
                             for s in range(30)])
        hits[name] = (masks & edited).sum().item() / (edited.sum().item() * 30)
    assert hits["robust"] > 0.9
    assert hits["baseline"] < 0.4
    # baseline targets are the perturbed ids themselves
    x = prepare_inputs(batch, tok, base, gen())
    assert torch.equal(x.mlm_targets[x.token_mask], enc.input_ids[x.token_mask])


def test_whole_word_option_masks_whole_words():
    cfg = preset("tiny")
    cfg.masking = dataclasses.replace(cfg.masking, whole_word=True, text_clean=0.5)
    batch = toy_batch()
    x = prepare_inputs(batch, toy_tokenizer(), cfg, gen())
    enc = toy_tokenizer().encode_batch(batch.texts, 64)
    assert torch.equal(whole_words(x.token_mask, enc.word_ids), x.token_mask)
