"""Image <-> report retrieval metrics: recall at K and mean rank, clean and perturbed.

Study ``i``'s image matches study ``i``'s report, so the ground truth is the diagonal of the
``(N, N)`` similarity matrix (rows: queries, columns: gallery). The rank of the true match is
``1 + #(gallery items scoring higher) + 0.5 * #(other items scoring the same)``: ties count
half, so a constant similarity matrix ranks every match in the middle instead of first.

**Degradation** under perturbation is the *additive* change in mean rank,
``perturbed mean rank - clean mean rank`` (the figure quoted for ROCO, "from over 16 to
4.1"); :func:`degradation` also gives the ratio ``perturbed / clean``.

Example:
    >>> sim = torch.tensor([[0.9, 0.1, 0.0], [0.2, 0.1, 0.8], [0.0, 0.3, 0.7]])
    >>> match_ranks(sim).tolist()
    [1.0, 3.0, 1.0]
    >>> retrieval_metrics(sim, ks=(1, 2))
    {'R@1': 0.666..., 'R@2': 0.666..., 'mean_rank': 1.666..., 'median_rank': 1.0}
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F

from mmr_augment.errors import InputError

KS = (1, 5, 10)


def match_ranks(similarity: torch.Tensor) -> torch.Tensor:
    """1-based rank of the diagonal entry in each row (ties count half)."""
    if similarity.ndim != 2 or similarity.shape[0] != similarity.shape[1]:
        raise InputError(f"similarity must be square (N, N), got {tuple(similarity.shape)}")
    s = similarity.detach().double()
    true = s.diagonal()[:, None]
    higher = (s > true).sum(1).double()
    ties = (s == true).sum(1).double() - 1.0
    return 1.0 + higher + 0.5 * ties


def retrieval_metrics(similarity: torch.Tensor, ks: Sequence[int] = KS) -> dict[str, float]:
    """``R@K`` for each ``k`` (fraction of queries whose match ranks ``<= k``), mean and median
    rank, for row queries against column gallery items."""
    ranks = match_ranks(similarity)
    out = {f"R@{k}": float((ranks <= k).double().mean()) for k in ks}
    out["mean_rank"] = float(ranks.mean())
    out["median_rank"] = float(ranks.median())
    return out


def cross_modal_retrieval(image_emb: torch.Tensor, text_emb: torch.Tensor,
                          ks: Sequence[int] = KS) -> dict[str, dict[str, float]]:
    """Both directions from paired embeddings (cosine similarity).

    Returns:
        ``{"image_to_report": metrics, "report_to_image": metrics}``.
    """
    if image_emb.shape != text_emb.shape:
        raise InputError(f"image {tuple(image_emb.shape)} and report {tuple(text_emb.shape)} "
                         "embeddings must be paired row by row")
    sim = F.normalize(image_emb.double(), dim=1) @ F.normalize(text_emb.double(), dim=1).T
    return {"image_to_report": retrieval_metrics(sim, ks),
            "report_to_image": retrieval_metrics(sim.T, ks)}


def degradation(clean: dict[str, float], perturbed: dict[str, float]) -> dict[str, float]:
    """Mean-rank degradation: ``delta`` (perturbed - clean) and ``ratio`` (perturbed / clean).

    Example:
        >>> degradation({"mean_rank": 2.0}, {"mean_rank": 6.0})
        {'delta': 4.0, 'ratio': 3.0}
    """
    return {"delta": perturbed["mean_rank"] - clean["mean_rank"],
            "ratio": perturbed["mean_rank"] / clean["mean_rank"]}
