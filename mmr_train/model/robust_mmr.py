"""``RobustMMR``: encoders, co-attention fusion, heads, and the weighted training objective.

Training step (the trainer's side)::

    inputs = prepare_inputs(policy_batch, tokenizer, config, generator).to(device)
    losses = model(inputs, second_view=None)   # dict: mim, mlm, itc, consistency, resilience,
    losses["total"].backward()                 #       total

Evaluation: :meth:`RobustMMR.embed` gives pooled embeddings without masking.

Example:
    >>> from mmr_train.config import preset
    >>> from mmr_train.model.inputs import prepare_inputs
    >>> from mmr_train.model.toy import toy_batch, toy_tokenizer
    >>> cfg = preset("tiny"); cfg.loss.consistency = 0.0
    >>> model = RobustMMR(cfg)
    >>> inputs = prepare_inputs(toy_batch(), toy_tokenizer(), cfg, torch.Generator().manual_seed(0))
    >>> sorted(model(inputs))
    ['consistency', 'itc', 'mim', 'mlm', 'resilience', 'total']
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from mmr_augment.errors import InputError

from .. import losses as L
from ..config import LOSS_TERMS, RobustMMRConfig
from .fusion import CoAttentionFusion, masked_mean
from .heads import MAEDecoder, MLMHead, ProjectionHead
from .image_encoder import ImageEncoder
from .inputs import ModelInputs
from .text_encoder import TextEncoder


@dataclass
class Embeddings:
    """Pooled ``(B, width)`` embeddings and ``(B, proj_dim)`` retrieval projections.

    Attributes:
        fused: two-modality embedding (a dropped modality enters as its "missing" embedding).
        image: image-encoder embedding (mean over visible patch tokens).
        text: text-encoder embedding (mean over real tokens).
        image_contrast: image projection of the image-text contrastive head.
        text_contrast: text projection of the image-text contrastive head.
    """

    fused: torch.Tensor
    image: torch.Tensor
    text: torch.Tensor
    image_contrast: torch.Tensor
    text_contrast: torch.Tensor


@dataclass
class _Encoded:
    embeddings: Embeddings
    fused_image: torch.Tensor
    fused_text: torch.Tensor
    image_valid: torch.Tensor
    keep: torch.Tensor


class RobustMMR(nn.Module):
    """The Robust-MMR model; ``config.method`` selects ``robust_mmr`` or ``baseline`` losses."""

    def __init__(self, config: RobustMMRConfig) -> None:
        super().__init__()
        self.config = config
        m = config.model
        self.image_encoder = ImageEncoder(m)
        self.text_encoder = TextEncoder(m)
        self.fusion = CoAttentionFusion(m)
        self.decoder = MAEDecoder(m)
        self.mlm_head = MLMHead(m)
        self.image_proj = ProjectionHead(m.width, m.proj_dim)
        self.text_proj = ProjectionHead(m.width, m.proj_dim)
        self.consistency_proj = ProjectionHead(m.width, m.proj_dim, hidden=m.width)
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1 / config.loss.itc_temperature)))

    def _encode(self, images: torch.Tensor, input_ids: torch.Tensor,
                attention_mask: torch.Tensor, image_present: torch.Tensor | None,
                text_present: torch.Tensor | None, patch_mask: torch.Tensor | None,
                text_tokens: torch.Tensor | None = None) -> _Encoded:
        img, img_valid, keep = self.image_encoder(images, patch_mask, image_present)
        text_valid = attention_mask.bool()
        txt = (self.text_encoder(input_ids, text_valid, text_present) if text_tokens is None
               else text_tokens)
        fused = self.fusion(img, img_valid, txt, text_valid)
        image, text = masked_mean(img, img_valid), masked_mean(txt, text_valid)
        emb = Embeddings(fused.pooled, image, text, self.image_proj(image), self.text_proj(text))
        return _Encoded(emb, fused.image, fused.text, img_valid, keep)

    def encode_text(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                    text_present: torch.Tensor | None = None) -> torch.Tensor:
        """The text encoder's ``(B, L, width)`` tokens, to pass to :meth:`embed` as
        ``text_tokens`` when the same reports meet many images."""
        return self.text_encoder(input_ids, attention_mask.bool(), text_present)

    def embed(self, images: torch.Tensor, input_ids: torch.Tensor, attention_mask: torch.Tensor,
              image_present: torch.Tensor | None = None,
              text_present: torch.Tensor | None = None,
              text_tokens: torch.Tensor | None = None) -> Embeddings:
        """Pooled embeddings of unmasked inputs (linear probe, retrieval, missing modality).

        Args:
            images: ``(B, C, S, S)``.
            input_ids: ``(B, L)`` token ids; ``attention_mask``: ``(B, L)`` bool.
            image_present / text_present: ``(B,)`` bool; None = present.
            text_tokens: :meth:`encode_text` of the same ids, mask and ``text_present``
                (skips the text encoder; same values).
        """
        return self._encode(images, input_ids, attention_mask, image_present, text_present,
                            None, text_tokens).embeddings

    def forward(self, inputs: ModelInputs, second_view: ModelInputs | None = None
                ) -> dict[str, torch.Tensor]:
        """Per-term losses (one per :data:`~mmr_train.config.LOSS_TERMS`) and their weighted
        ``total``.

        ``second_view``: the same studies (same order) rendered in another style. It only
        feeds ``consistency`` (between the two views' embeddings of the masked inputs):
        one encoder pass, no decoder, MLM or contrastive heads, so a Robust-MMR step costs
        about one extra encoding rather than a second full step. Without it,
        ``consistency`` is 0 and its weight must be 0 (or the method ``baseline``).
        """
        weights = self.config.loss_weights()
        if weights["consistency"] > 0 and second_view is None:
            raise InputError("loss.consistency > 0 needs second_view= (a second style view "
                             "of the same studies); pass it or set loss.consistency: 0")
        losses, enc = self._view_losses(inputs, weights["resilience"] > 0)
        if second_view is not None and weights["consistency"] > 0:
            other = self._encode(second_view.images, second_view.input_ids,
                                 second_view.attention_mask, second_view.image_present,
                                 second_view.text_present, second_view.patch_mask)
            losses["consistency"] = self._consistency(enc.embeddings, other.embeddings,
                                                      inputs.labels)
        else:
            losses["consistency"] = torch.zeros((), device=inputs.images.device)
        out = {term: losses[term] for term in LOSS_TERMS}
        out["total"] = sum(weights[term] * out[term] for term in LOSS_TERMS)
        return out

    def _view_losses(self, x: ModelInputs, with_resilience: bool
                     ) -> tuple[dict[str, torch.Tensor], _Encoded]:
        cfg = self.config.loss
        enc = self._encode(x.images, x.input_ids, x.attention_mask, x.image_present,
                           x.text_present, x.patch_mask)
        pred = self.decoder(enc.fused_image, enc.image_valid, enc.keep)
        has_target = x.mlm_targets != -100
        emb = enc.embeddings
        both = x.image_present & x.text_present
        out = {
            "mim": L.mim_loss(pred, x.clean_images, x.patch_mask, self.config.model.patch_size,
                              cfg.norm_pix_loss, sample_weight=x.image_present),
            "mlm": L.mlm_loss(self.mlm_head(enc.fused_text[has_target]),
                              x.mlm_targets[has_target]),
            "itc": L.contrastive_loss(emb.image_contrast, emb.text_contrast,
                                      self.logit_scale.exp().clamp(max=100.0), valid=both),
            "resilience": torch.zeros((), device=x.images.device),
        }
        dropped = x.image_present ^ x.text_present
        if with_resilience and bool(dropped.any()):
            with torch.no_grad():
                anchor = self.embed(x.clean_images[dropped], x.clean_input_ids[dropped],
                                    x.clean_attention_mask[dropped]).fused
            out["resilience"] = L.resilience_loss(emb.fused[dropped], anchor,
                                                  cfg.resilience_kind)
        return out, enc

    def _consistency(self, a: Embeddings, b: Embeddings, labels: torch.Tensor | None
                     ) -> torch.Tensor:
        """Consistency of the fused embeddings and, with ``consistency_on: all``, of the image
        and report encoders' embeddings too (each through the consistency head; mean of the
        terms), plus ``projection_consistency`` times the mean term of the retrieval
        projections (image with image, report with report)."""
        cfg = self.config.loss
        kinds = ("fused", "image", "text") if cfg.consistency_on == "all" else ("fused",)
        heads = [(self.consistency_proj(getattr(a, k)), self.consistency_proj(getattr(b, k)))
                 for k in kinds]
        projections = [(a.image_contrast, b.image_contrast), (a.text_contrast, b.text_contrast)]
        groups = [(1.0, heads), (cfg.projection_consistency, projections)]
        labels = labels if cfg.supervised_consistency else None
        total = 0.0
        for weight, pairs in groups:
            if weight > 0:
                terms = [L.consistency_cosine(za, zb, cfg.variance_weight)
                         if cfg.consistency_kind == "vicreg"
                         else L.consistency_infonce(za, zb, cfg.consistency_temperature, labels)
                         for za, zb in pairs]
                total = total + weight * sum(terms) / len(terms)
        return total
