"""From a ``PerturbedBatch`` to model tensors: tokenize, mask, and build the clean targets.

:func:`prepare_inputs` runs on the CPU (in a DataLoader worker or the training step) with the
step's ``torch.Generator``; :meth:`ModelInputs.to` moves the result to the device.

MLM rule (``robust_mmr``): the model reads the *perturbed* report with some tokens replaced by
``[MASK]``; a masked token's target is its own id, except inside an edit, where it is the
aligned *clean* token's id (see :func:`mmr_train.masking.clean_token_targets`). The baseline
uses the plain ids, uniform masking and the clean ratios.

Example:
    >>> from mmr_train.config import preset
    >>> from mmr_train.model.toy import toy_batch, toy_tokenizer
    >>> inputs = prepare_inputs(toy_batch(), toy_tokenizer(), preset("tiny"),
    ...                         torch.Generator().manual_seed(0))
    >>> inputs.patch_mask.sum(1).tolist()
    [48, 54, 38, 54]
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import torch

from mmr_augment.batch import PerturbedBatch
from mmr_augment.errors import ConfigError, InputError

from ..config import RobustMMRConfig
from ..masking import (
    clean_token_targets,
    edit_regions,
    edited_tokens,
    mask_ratios,
    patch_weights,
    sample_mask,
    whole_words,
)
from ..tokenizer import ReportTokenizer


@dataclass
class ModelInputs:
    """Everything :meth:`RobustMMR.forward` needs; tensors share the batch dimension B.

    Attributes:
        images: ``(B, C, S, S)`` perturbed images (model input).
        clean_images: ``(B, C, S, S)`` clean images (MIM target, resilience anchor).
        input_ids: ``(B, L)`` perturbed report ids with masked tokens set to ``[MASK]``.
        attention_mask: ``(B, L)`` bool, True on real tokens.
        clean_input_ids: ``(B, Lc)`` clean report ids (resilience anchor).
        clean_attention_mask: ``(B, Lc)`` bool.
        patch_mask: ``(B, N)`` bool, True = patch hidden from the encoder and reconstructed.
        token_mask: ``(B, L)`` bool, True = token replaced by ``[MASK]``.
        mlm_targets: ``(B, L)`` int64 target ids, -100 where there is none.
        image_present: ``(B,)`` bool.
        text_present: ``(B,)`` bool.
        labels: optional ``(B, K)`` label vectors (supervised consistency).
    """

    images: torch.Tensor
    clean_images: torch.Tensor
    input_ids: torch.Tensor
    attention_mask: torch.Tensor
    clean_input_ids: torch.Tensor
    clean_attention_mask: torch.Tensor
    patch_mask: torch.Tensor
    token_mask: torch.Tensor
    mlm_targets: torch.Tensor
    image_present: torch.Tensor
    text_present: torch.Tensor
    labels: torch.Tensor | None = None

    def to(self, device: torch.device | str) -> ModelInputs:
        """Copy with every tensor on ``device``."""
        return replace(self, **{f.name: getattr(self, f.name).to(device) for f in fields(self)
                                if getattr(self, f.name) is not None})


def prepare_inputs(batch: PerturbedBatch, tokenizer: ReportTokenizer, config: RobustMMRConfig,
                   generator: torch.Generator, labels: torch.Tensor | None = None
                   ) -> ModelInputs:
    """Tokenize both report versions, sample the masks and build the MLM targets.

    Patch weights come from ``batch.damage`` / ``batch.occlusion``, token weights from
    ``batch.text_edits``; the baseline (or ``masking.damage_weighted: false``) samples
    uniformly. Special tokens and dropped reports are never masked; every sample keeps at
    least one visible patch.
    """
    mcfg, model_cfg = config.masking, config.model
    if tokenizer.vocab_size > model_cfg.vocab_size:
        raise ConfigError(f"tokenizer has {tokenizer.vocab_size} entries but model.vocab_size "
                          f"is {model_cfg.vocab_size}; raise model.vocab_size")
    b = len(batch)
    if batch.images.shape[0] != b or batch.clean_images.shape != batch.images.shape:
        raise InputError(f"images {tuple(batch.images.shape)} / clean_images "
                         f"{tuple(batch.clean_images.shape)} do not match {b} texts")
    adaptive = not config.is_baseline
    pert = tokenizer.encode_batch(batch.texts, model_cfg.max_text_length)
    clean = tokenizer.encode_batch(batch.clean_texts, model_cfg.max_text_length)
    edits = batch.text_edits or [[] for _ in range(b)]
    regions = [edit_regions(c, t, e) for c, t, e in zip(batch.clean_texts, batch.texts, edits)]
    grid = model_cfg.image_size // model_cfg.patch_size
    image_ratio, text_ratio = mask_ratios(batch.mode, mcfg, adaptive)
    text_present = batch.text_present.bool().cpu()
    eligible = pert.attention_mask & ~pert.special_mask & text_present[:, None]
    if adaptive and mcfg.damage_weighted:
        p_weight = patch_weights(batch.damage.cpu(), batch.occlusion.cpu(), (grid, grid),
                                 mcfg.weight_eps)
        t_weight = edited_tokens(regions, pert.offsets).float() + mcfg.weight_eps
    else:
        p_weight, t_weight = torch.ones(b, grid * grid), torch.ones(pert.input_ids.shape)
    patch_mask = sample_mask(p_weight, image_ratio, generator, temperature=mcfg.temperature,
                             min_visible=1)
    token_mask = sample_mask(t_weight, text_ratio, generator, eligible=eligible,
                             temperature=mcfg.temperature)
    if mcfg.whole_word:
        token_mask = whole_words(token_mask, pert.word_ids) & eligible
    targets = clean_token_targets(regions, pert, clean) if adaptive else pert.input_ids
    return ModelInputs(
        images=batch.images, clean_images=batch.clean_images,
        input_ids=pert.input_ids.masked_fill(token_mask, tokenizer.mask_id),
        attention_mask=pert.attention_mask, clean_input_ids=clean.input_ids,
        clean_attention_mask=clean.attention_mask, patch_mask=patch_mask,
        token_mask=token_mask, mlm_targets=targets.masked_fill(~token_mask, -100),
        image_present=batch.image_present.bool(), text_present=text_present, labels=labels)
