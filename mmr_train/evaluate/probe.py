"""Linear probe on frozen embeddings: one L2-regularised logistic regression per observation.

All observations are fitted together as one ``(D, K)`` linear layer with a binary
cross-entropy per column (identical to K independent logistic regressions), full batch, with
``torch.optim.LBFGS``. Features are standardised with the training set's mean and standard
deviation. The regularisation strength is fixed (``l2``), never tuned on evaluation data.

Metrics per observation: accuracy at probability 0.5 and ROC AUC (rank formula, ties count
half). An observation whose test column has a single class (no positive case, or no negative
case) is not measurable: a probe that always says "absent" scores accuracy 1.0 on a column
with no positive case, so both its metrics are ``None``, ``note`` says why, and ``macro``
averages over the measurable observations only (``None`` when there are none).

Example:
    >>> x = torch.tensor([[-2.0], [-1.0], [1.0], [2.0]])
    >>> y = torch.tensor([[0.0], [0.0], [1.0], [1.0]])
    >>> probe = LinearProbe.fit(x, y)
    >>> probe_metrics(probe.predict_proba(x), y, ["Effusion"])["macro"]
    {'accuracy': 1.0, 'auc': 1.0}
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch

from mmr_augment.errors import InputError


@dataclass
class LinearProbe:
    """A fitted multi-label logistic-regression probe (weights act on standardised features)."""

    mean: torch.Tensor
    std: torch.Tensor
    weight: torch.Tensor
    bias: torch.Tensor

    @classmethod
    def fit(cls, features: torch.Tensor, labels: torch.Tensor, l2: float = 1e-3,
            max_iter: int = 200) -> LinearProbe:
        """Fit on ``features`` ``(N, D)`` and 0/1 ``labels`` ``(N, K)``.

        Args:
            features: frozen embeddings of the training studies.
            labels: binary targets, one column per observation.
            l2: weight of ``0.5 * ||W||^2`` added to the mean cross-entropy.
            max_iter: LBFGS iterations (strong-Wolfe line search).
        """
        x, y = _check(features, labels)
        mean, std = x.mean(0), x.std(0, unbiased=False).clamp_min(1e-6)
        z = (x - mean) / std
        weight = torch.zeros(x.shape[1], y.shape[1], dtype=torch.float64, requires_grad=True)
        bias = torch.zeros(y.shape[1], dtype=torch.float64, requires_grad=True)
        opt = torch.optim.LBFGS([weight, bias], lr=1.0, max_iter=max_iter,
                                tolerance_grad=1e-9, tolerance_change=1e-12,
                                line_search_fn="strong_wolfe")

        def closure() -> torch.Tensor:
            opt.zero_grad()
            loss = torch.nn.functional.binary_cross_entropy_with_logits(z @ weight + bias, y)
            loss = loss + 0.5 * l2 * weight.pow(2).sum()
            loss.backward()
            return loss

        opt.step(closure)
        return cls(mean, std, weight.detach(), bias.detach())

    def logits(self, features: torch.Tensor) -> torch.Tensor:
        """``(N, K)`` logits."""
        x = features.detach().to(torch.float64).cpu()
        if x.ndim != 2 or x.shape[1] != self.weight.shape[0]:
            raise InputError(f"features must be (N, {self.weight.shape[0]}), got "
                             f"{tuple(x.shape)}; embed with the model the probe was fitted on")
        return ((x - self.mean) / self.std) @ self.weight + self.bias

    def predict_proba(self, features: torch.Tensor) -> torch.Tensor:
        """``(N, K)`` probabilities."""
        return torch.sigmoid(self.logits(features))


def _check(features: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    if not isinstance(features, torch.Tensor) or features.ndim != 2:
        raise InputError("features must be an (N, D) tensor")
    if not isinstance(labels, torch.Tensor) or labels.ndim != 2 or len(labels) != len(features):
        raise InputError(f"labels must be (N, K) with N = {len(features)} rows")
    if len(features) < 2:
        raise InputError("a probe needs at least 2 training studies")
    return features.detach().double().cpu(), labels.detach().double().cpu()


def binary_auc(scores: torch.Tensor, targets: torch.Tensor) -> float:
    """ROC AUC of one column (Mann-Whitney U; ties count half); NaN with a single class.

    Example:
        >>> binary_auc(torch.tensor([0.1, 0.4, 0.35, 0.8]), torch.tensor([0, 0, 1, 1]))
        0.75
    """
    s, t = scores.double().flatten(), targets.flatten().bool()
    pos, neg = s[t], s[~t]
    if len(pos) == 0 or len(neg) == 0:
        return math.nan
    diff = pos[:, None] - neg[None, :]
    return float(((diff > 0).double() + 0.5 * (diff == 0).double()).mean())


def unmeasurable_reason(targets: torch.Tensor) -> str | None:
    """Why a 0/1 test column cannot score a probe (one class only), or None.

    Example:
        >>> unmeasurable_reason(torch.tensor([0, 0, 0]))
        'no positive case in the test studies'
    """
    t = targets.flatten().bool()
    if len(t) == 0:
        return "no test studies"
    if not bool(t.any()):
        return "no positive case in the test studies"
    if bool(t.all()):
        return "no negative case in the test studies"
    return None


def probe_metrics(probs: torch.Tensor, labels: torch.Tensor, names: Sequence[str]
                  ) -> dict[str, Any]:
    """Accuracy and AUC per observation plus their ``macro`` means over the measurable ones.

    Returns:
        ``{"per_observation": {name: {"accuracy", "auc"[, "note"]}}, "macro": {"accuracy",
        "auc"}}``; an observation with one class in ``labels`` has both metrics ``None`` and a
        ``note`` with the reason, and is left out of the macro means.

    Example:
        >>> probs = torch.tensor([[0.9, 0.1], [0.2, 0.3], [0.6, 0.2]])
        >>> labels = torch.tensor([[1.0, 0.0], [0.0, 0.0], [0.0, 0.0]])
        >>> m = probe_metrics(probs, labels, ["Effusion", "Nodule"])
        >>> m["per_observation"]["Nodule"]
        {'accuracy': None, 'auc': None, 'note': 'no positive case in the test studies'}
        >>> round(m["macro"]["accuracy"], 4), m["macro"]["auc"]
        (0.6667, 1.0)
    """
    if probs.shape != labels.shape or probs.shape[1] != len(names):
        raise InputError(f"probs {tuple(probs.shape)} and labels {tuple(labels.shape)} must "
                         f"match, with one column per name ({len(names)})")
    y = labels.bool()
    acc = ((probs >= 0.5) == y).double().mean(0).tolist()
    per: dict[str, dict[str, Any]] = {}
    for k, name in enumerate(names):
        reason = unmeasurable_reason(y[:, k])
        per[name] = ({"accuracy": None, "auc": None, "note": reason} if reason else
                     {"accuracy": acc[k], "auc": binary_auc(probs[:, k], y[:, k])})
    accs = [v["accuracy"] for v in per.values() if v["accuracy"] is not None]
    aucs = [v["auc"] for v in per.values() if v["auc"] is not None]
    return {"per_observation": per,
            "macro": {"accuracy": sum(accs) / len(accs) if accs else None,
                      "auc": sum(aucs) / len(aucs) if aucs else None}}
