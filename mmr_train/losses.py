"""Robust-MMR objectives, one small function each; all compute in float32.

Every function returns a scalar that stays connected to its inputs' graph even when it has
nothing to average (then it is ``0 * input.sum()``), so a trainer can always call backward.

Example:
    >>> z = torch.nn.functional.normalize(torch.eye(4), dim=1)
    >>> round(contrastive_loss(z, z, torch.tensor(100.0)).item(), 4)
    0.0
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def patchify(images: torch.Tensor, patch_size: int) -> torch.Tensor:
    """``(B, C, H, W)`` -> ``(B, N, p * p * C)``, patches in row-major order (as the patch
    embedding's conv + flatten gives them), pixels ordered ``(dy, dx, c)``."""
    b, c, h, w = images.shape
    p = patch_size
    x = images.reshape(b, c, h // p, p, w // p, p).permute(0, 2, 4, 3, 5, 1)
    return x.reshape(b, (h // p) * (w // p), p * p * c)


def mim_loss(pred: torch.Tensor, clean_images: torch.Tensor, patch_mask: torch.Tensor,
             patch_size: int, norm_pix: bool = True,
             sample_weight: torch.Tensor | None = None) -> torch.Tensor:
    """Masked image modelling against the *clean* image (MAE ``norm_pix_loss``).

    ``t = patchify(clean)``, with ``norm_pix`` ``t = (t - mean(t)) / sqrt(var(t) + 1e-6)`` per
    patch; ``L = sum_{b,n} m_bn s_b mean_d (pred - t)^2 / sum_{b,n} m_bn s_b`` over masked
    patches ``m`` of samples with weight ``s`` (e.g. image present).
    """
    target = patchify(clean_images.float(), patch_size)
    if norm_pix:
        mean, var = target.mean(-1, keepdim=True), target.var(-1, keepdim=True)
        target = (target - mean) / (var + 1e-6).sqrt()
    per_patch = (pred.float() - target).pow(2).mean(-1)
    m = patch_mask.float()
    if sample_weight is not None:
        m = m * sample_weight.float()[:, None]
    return (per_patch * m).sum() / m.sum().clamp(min=1.0)


def mlm_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Cross-entropy ``-mean_i log softmax(logits_i)[y_i]`` over targets ``y_i != -100``.

    ``logits`` ``(..., V)`` and ``targets`` ``(...)``; 0 when no position has a target.
    """
    logits, targets = logits.reshape(-1, logits.shape[-1]).float(), targets.reshape(-1)
    if not (targets != -100).any():
        return 0.0 * logits.sum()
    return F.cross_entropy(logits, targets, ignore_index=-100)


def contrastive_loss(image: torch.Tensor, text: torch.Tensor, logit_scale: torch.Tensor,
                     valid: torch.Tensor | None = None) -> torch.Tensor:
    """Symmetric CLIP InfoNCE over the ``valid`` samples (both modalities present).

    ``s_ij = scale * cos(image_i, text_j)``, ``L = (CE(s, diag) + CE(s^T, diag)) / 2``;
    ``logit_scale`` is the inverse temperature (already exponentiated).
    """
    if valid is not None:
        image, text = image[valid], text[valid]
    if image.shape[0] < 2:
        return 0.0 * (image.sum() + text.sum() + logit_scale)
    s = logit_scale.float() * F.normalize(image.float(), dim=-1) @ F.normalize(text.float(),
                                                                                dim=-1).T
    target = torch.arange(s.shape[0], device=s.device)
    return (F.cross_entropy(s, target) + F.cross_entropy(s.T, target)) / 2


def consistency_infonce(view_a: torch.Tensor, view_b: torch.Tensor, temperature: float,
                        labels: torch.Tensor | None = None) -> torch.Tensor:
    """InfoNCE between two style views of each study (multi-positive, SupCon-style).

    ``s_ij = cos(a_i, b_j) / tau``; positives ``P_i`` are ``j = i`` and, with ``labels``,
    every ``j`` whose label vector equals ``i``'s. ``L = -mean_i mean_{j in P_i}
    log softmax_j(s_i)``, symmetrised over ``a -> b`` and ``b -> a``.
    """
    s = F.normalize(view_a.float(), dim=-1) @ F.normalize(view_b.float(), dim=-1).T / temperature
    pos = torch.eye(s.shape[0], dtype=torch.bool, device=s.device)
    if labels is not None:
        pos = pos | (labels[:, None] == labels[None, :]).flatten(2).all(-1)
    w = pos.float() / pos.sum(1, keepdim=True)
    loss_ab = -(w * s.log_softmax(1)).sum(1).mean()
    loss_ba = -(w.T * s.T.log_softmax(1)).sum(1).mean()
    return (loss_ab + loss_ba) / 2


def consistency_cosine(view_a: torch.Tensor, view_b: torch.Tensor,
                       variance_weight: float = 1.0) -> torch.Tensor:
    """Cosine agreement with a VICReg variance hinge against collapse.

    ``L = mean_i (1 - cos(a_i, b_i)) + lambda * sum_{z in a, b} mean_d relu(1 - sqrt(var_i(z_d)
    + 1e-4))``; the hinge needs a batch of at least two.
    """
    a, b = view_a.float(), view_b.float()
    agree = (1 - F.cosine_similarity(a, b, dim=-1)).mean()
    if a.shape[0] < 2:
        return agree
    hinge = sum(F.relu(1 - (z.var(0) + 1e-4).sqrt()).mean() for z in (a, b))
    return agree + variance_weight * hinge


def resilience_loss(single: torch.Tensor, joint: torch.Tensor, kind: str = "cosine"
                    ) -> torch.Tensor:
    """Pull single-modality embeddings toward the stop-gradient two-modality ones.

    ``cosine``: ``mean_i 1 - cos(single_i, sg(joint_i))``; ``mse``: ``mean_i,d (single -
    sg(joint))^2``. Pass only the samples whose modality was dropped; 0 when there are none.
    """
    target = joint.detach().float()
    if single.shape[0] == 0:
        return 0.0 * single.sum()
    if kind == "mse":
        return F.mse_loss(single.float(), target)
    return (1 - F.cosine_similarity(single.float(), target, dim=-1)).mean()
