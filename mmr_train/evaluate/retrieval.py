"""Image <-> report retrieval metrics: recall at K and mean rank, clean and perturbed.

Study ``i``'s image matches study ``i``'s report, so the ground truth is the diagonal of the
``(N, N)`` similarity matrix (rows: queries, columns: gallery). The rank of the true match is
``1 + #(gallery items scoring higher) + 0.5 * #(other items scoring the same)``: ties count
half, so a constant similarity matrix ranks every match in the middle instead of first.

**Within-domain** retrieval (``groups``: each study's domain) ranks each query against the
gallery items of its own domain only. Set beside the whole-gallery figures, it separates
retrieving *content* from recognising the *domain*: a model that matches a scanner's look to a
report style ranks the other domains' items last without reading the findings, and loses that
cue when a corruption changes the look. :func:`domain_match` gives the share of queries whose
top-ranked item is from their own domain.

**Degradation** under perturbation is the *additive* change in mean rank,
``perturbed mean rank - clean mean rank`` (the figure quoted for ROCO, "from over 16 to
4.1"); :func:`degradation` also gives the ratio ``perturbed / clean``.

Example:
    >>> sim = torch.tensor([[0.9, 0.1, 0.0], [0.2, 0.1, 0.8], [0.0, 0.3, 0.7]])
    >>> match_ranks(sim).tolist()
    [1.0, 3.0, 1.0]
    >>> retrieval_metrics(sim, ks=(1, 2))
    {'R@1': 0.666..., 'R@2': 0.666..., 'mean_rank': 1.666..., 'median_rank': 1.0}
    >>> groups = torch.tensor([0, 0, 1])
    >>> match_ranks(within_groups(sim, groups)).tolist(), domain_match(sim, groups)
    ([1.0, 2.0, 1.0], 0.666...)
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


def _groups_on(similarity: torch.Tensor, groups: torch.Tensor) -> torch.Tensor:
    """``groups`` checked against the square ``similarity`` and moved to its device."""
    groups = torch.as_tensor(groups)
    if groups.shape != similarity.shape[:1] or similarity.ndim != 2:
        raise InputError(f"groups {tuple(groups.shape)} must give one group per row of the "
                         f"(N, N) similarity {tuple(similarity.shape)}")
    return groups.to(similarity.device)


def within_groups(similarity: torch.Tensor, groups: torch.Tensor) -> torch.Tensor:
    """``similarity`` with every gallery item outside the query's group set to ``-inf``
    (square matrix; ``groups[i]`` is the group of query ``i`` and of gallery item ``i``)."""
    groups = _groups_on(similarity, groups)
    return similarity.masked_fill(groups[:, None] != groups[None, :], float("-inf"))


def domain_match(similarity: torch.Tensor, groups: torch.Tensor) -> float:
    """Share of queries whose top-ranked gallery item is in the query's own group."""
    groups = _groups_on(similarity, groups)
    return float((groups[similarity.argmax(1)] == groups).double().mean())


def retrieval_metrics(similarity: torch.Tensor, ks: Sequence[int] = KS) -> dict[str, float]:
    """``R@K`` for each ``k`` (fraction of queries whose match ranks ``<= k``), mean and median
    rank, for row queries against column gallery items."""
    ranks = match_ranks(similarity)
    out = {f"R@{k}": float((ranks <= k).double().mean()) for k in ks}
    out["mean_rank"] = float(ranks.mean())
    out["median_rank"] = float(ranks.median())
    return out


def cross_modal_retrieval(image_emb: torch.Tensor, text_emb: torch.Tensor,
                          ks: Sequence[int] = KS, groups: torch.Tensor | None = None
                          ) -> dict[str, dict[str, float]]:
    """Both directions from paired embeddings (cosine similarity).

    ``groups``: ``(N,)`` domain of each study; each query is then ranked against its own
    domain's gallery items only (within-domain retrieval), and each direction also gets
    ``domain_match`` (:func:`domain_match` of the whole-gallery similarity).

    Returns:
        ``{"image_to_report": metrics, "report_to_image": metrics}``.
    """
    if image_emb.shape != text_emb.shape:
        raise InputError(f"image {tuple(image_emb.shape)} and report {tuple(text_emb.shape)} "
                         "embeddings must be paired row by row")
    sim = F.normalize(image_emb.double(), dim=1) @ F.normalize(text_emb.double(), dim=1).T
    out = {}
    for direction, s in (("image_to_report", sim), ("report_to_image", sim.T)):
        if groups is None:
            out[direction] = retrieval_metrics(s, ks)
        else:
            out[direction] = {**retrieval_metrics(within_groups(s, groups), ks),
                              "domain_match": domain_match(s, groups)}
    return out


def degradation(clean: dict[str, float], perturbed: dict[str, float]) -> dict[str, float]:
    """Mean-rank degradation: ``delta`` (perturbed - clean) and ``ratio`` (perturbed / clean).

    Example:
        >>> degradation({"mean_rank": 2.0}, {"mean_rank": 6.0})
        {'delta': 4.0, 'ratio': 3.0}
    """
    return {"delta": perturbed["mean_rank"] - clean["mean_rank"],
            "ratio": perturbed["mean_rank"] / clean["mean_rank"]}
