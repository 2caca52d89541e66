"""Objectives: zero at the optimum, equal to a reference written differently, correct grads."""

import math

import pytest
import torch
import torch.nn.functional as F

pytest.importorskip("tokenizers", reason="needs the train extra: pip install 'mmr[train]'")

from mmr_train.losses import (
    consistency_cosine,
    consistency_infonce,
    contrastive_loss,
    mim_loss,
    mlm_loss,
    patchify,
    resilience_loss,
)


def rand(*shape, seed=0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


def test_patchify_matches_unfold_and_conv_token_order():
    x = rand(2, 3, 16, 24)
    ref = F.unfold(x, 8, stride=8).transpose(1, 2)            # (B, N, C*p*p), (c, dy, dx)
    ref = ref.reshape(2, 6, 3, 64).transpose(2, 3).reshape(2, 6, 192)  # -> (dy, dx, c)
    assert torch.equal(patchify(x, 8), ref)
    # row-major patch order, as a strided conv + flatten(2) gives it
    probe = torch.zeros(1, 1, 16, 24)
    probe[0, 0, 8, 16] = 1.0                                    # patch row 1, column 2
    assert patchify(probe, 8).sum(-1).nonzero().tolist() == [[0, 5]]


def _norm_target(x, p):
    t = patchify(x, p)
    return (t - t.mean(-1, keepdim=True)) / (t.var(-1, keepdim=True) + 1e-6).sqrt()


def test_mim_zero_at_target_and_reference_value():
    clean = rand(2, 1, 16, 16)
    mask = torch.tensor([[True, False, True, False], [False, False, False, True]])
    assert mim_loss(_norm_target(clean, 8), clean, mask, 8).item() == pytest.approx(0, abs=1e-10)
    pred = rand(2, 4, 64, seed=1)
    # reference: loop over masked patches, normalise each with statistics.stdev-like formula
    errs = []
    for b, n in mask.nonzero().tolist():
        r, c = divmod(n, 2)
        patch = clean[b, 0, r * 8:(r + 1) * 8, c * 8:(c + 1) * 8].flatten()
        patch = (patch - patch.mean()) / math.sqrt(patch.var().item() + 1e-6)
        errs.append(((pred[b, n] - patch) ** 2).mean())
    assert mim_loss(pred, clean, mask, 8).item() == pytest.approx(torch.stack(errs).mean().item(),
                                                                  rel=1e-5)
    raw = mim_loss(patchify(clean, 8), clean, mask, 8, norm_pix=False)
    assert raw.item() == pytest.approx(0, abs=1e-12)


def test_mim_gradient_only_from_masked_patches_of_weighted_samples():
    clean = rand(2, 1, 16, 16)
    mask = torch.tensor([[True, False, True, False], [True, True, False, False]])
    pred = rand(2, 4, 64, seed=1).requires_grad_()
    mim_loss(pred, clean, mask, 8, sample_weight=torch.tensor([True, False])).backward()
    has_grad = pred.grad.abs().sum(-1) > 0
    assert has_grad.tolist() == [[True, False, True, False], [False, False, False, False]]


def test_mlm_matches_log_softmax_reference_and_ignores_minus_100():
    logits = rand(5, 11)
    targets = torch.tensor([3, -100, 7, -100, 0])
    ref = -sum(logits[i].log_softmax(-1)[t] for i, t in ((0, 3), (2, 7), (4, 0))) / 3
    assert mlm_loss(logits, targets).item() == pytest.approx(ref.item(), rel=1e-6)
    peaked = F.one_hot(targets.clamp(min=0), 11).float() * 50
    assert mlm_loss(peaked, targets).item() < 1e-10
    empty = rand(2, 11).requires_grad_()
    out = mlm_loss(empty, torch.tensor([-100, -100]))
    out.backward()
    assert out.item() == 0 and torch.equal(empty.grad, torch.zeros(2, 11))


def test_contrastive_reference_and_learnable_temperature():
    img, txt = rand(4, 8), rand(4, 8, seed=1)
    scale = torch.tensor(10.0, requires_grad=True)
    loss = contrastive_loss(img, txt, scale)
    sim = [[10 * F.cosine_similarity(img[i], txt[j], dim=0) for j in range(4)] for i in range(4)]
    row = [-(sim[i][i] - torch.logsumexp(torch.stack(sim[i]), 0)) for i in range(4)]
    col = [-(sim[i][i] - torch.logsumexp(torch.stack([sim[j][i] for j in range(4)]), 0))
           for i in range(4)]
    assert loss.item() == pytest.approx(((sum(row) + sum(col)) / 8).item(), rel=1e-5)
    loss.backward()
    assert scale.grad is not None and scale.grad.abs() > 0
    eye = torch.eye(4)
    assert contrastive_loss(eye, eye, torch.tensor(100.0)).item() < 1e-6
    valid = torch.tensor([True, False, True, True])
    assert contrastive_loss(img, txt, scale, valid).item() == pytest.approx(
        contrastive_loss(img[valid], txt[valid], scale).item())


def test_consistency_infonce_reference_and_supervised_positives():
    a, b = rand(4, 6), rand(4, 6, seed=1)
    s = F.normalize(a, dim=1) @ F.normalize(b, dim=1).T / 0.5
    ref = -(s.diag() - s.logsumexp(1)).mean() / 2 - (s.diag() - s.logsumexp(0)).mean() / 2
    assert consistency_infonce(a, b, 0.5).item() == pytest.approx(ref.item(), rel=1e-5)
    labels = torch.tensor([[1, 0], [1, 0], [0, 1], [0, 0]])
    # studies 0 and 1 share labels: both count as positives for each other
    sup = consistency_infonce(a, b, 0.5, labels)
    ls = s.log_softmax(1)
    ls_t = s.T.log_softmax(1)
    pos = [[0, 1], [0, 1], [2], [3]]
    ref_ab = -sum(ls[i, p].mean() for i, p in enumerate(pos)) / 4
    ref_ba = -sum(ls_t[i, p].mean() for i, p in enumerate(pos)) / 4
    assert sup.item() == pytest.approx(((ref_ab + ref_ba) / 2).item(), rel=1e-5)
    eye = torch.eye(4)
    assert consistency_infonce(eye, eye, 0.01).item() < 1e-6


def test_consistency_cosine_variance_hinge():
    spread = torch.eye(4) * 3
    assert consistency_cosine(spread, spread).item() == pytest.approx(0, abs=1e-6)
    collapsed = torch.ones(4, 4)
    # perfect agreement but zero variance: hinge = 2 * (1 - sqrt(1e-4)) with weight 1
    assert consistency_cosine(collapsed, collapsed).item() == pytest.approx(2 * 0.99, rel=1e-5)
    assert consistency_cosine(collapsed, collapsed, variance_weight=0).item() == pytest.approx(
        0, abs=1e-6)


def test_resilience_stop_gradient_and_variants():
    single = rand(3, 5).requires_grad_()
    joint = rand(3, 5, seed=1).requires_grad_()
    loss = resilience_loss(single, joint)
    ref = (1 - F.cosine_similarity(single, joint, dim=1)).mean()
    assert loss.item() == pytest.approx(ref.item(), rel=1e-6)
    loss.backward()
    assert joint.grad is None and single.grad.abs().sum() > 0
    mse = resilience_loss(single, joint, kind="mse")
    assert mse.item() == pytest.approx(((single - joint) ** 2).mean().item(), rel=1e-6)
    assert resilience_loss(joint, joint).item() == pytest.approx(0, abs=1e-6)
    assert resilience_loss(single[:0], joint[:0]).item() == 0
