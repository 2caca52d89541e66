"""Corruption suite: every registered image and text family at severities 1-5.

:func:`corruption_families` reads the op registry: one op per family, modality ``image`` or
``text``, with a severity table. Left out: compositions, the multimodal policy, the domain
style simulators (``ScannerStyle`` / ``ReportStyle``: those are *domains*, scored by the
cross-domain probe), meaning-changing text ops (they change the labels), and ops without a
severity table (``Invert``: a single strength). A family whose op has one severity table per
direction (``Brightness``, ``Contrast``, ``Gamma``: MedMNIST-C's up / down rows) is scored in
every direction, as ``brightness_up``, ``brightness_down``, ...

Relative error follows MedMNIST-C / ImageNet-C without the baseline normalisation: the error
above clean, averaged over severities, ``mean_s (err_s - err_clean)`` with ``err = 1 - acc``
(so it is ``clean_acc - mean_s acc_s``). The report also gives each model's value divided by the
baseline's (the normalised form).

MedMNIST-C's own figures are here too: :func:`balanced_error` (1 - balanced accuracy; for
multi-label the mean over labels of each label's balanced accuracy) and :func:`medmnistc_scores`,
BE and rBE per corruption normalised by a reference model's errors (MedMNIST-C uses AlexNet;
pass whichever model is the reference, the baseline by default).

Example:
    >>> fams = corruption_families()
    >>> fams["gaussian_noise"].op_name, fams["typo"].modality
    ('GaussianNoise', 'text')
    >>> fams["gamma_down"].direction, "gamma" in fams
    ('down', False)
    >>> "negation_flip" in fams or "scanner_style" in fams
    False
    >>> relative_error(0.9, [0.9, 0.8, 0.7])
    0.1
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import torch

import mmr_augment
import mmr_augment.text  # noqa: F401  (registers the text ops)
from mmr_augment.core import REGISTRY
from mmr_augment.corrupt import corruption_ops
from mmr_augment.errors import InputError

SEVERITIES = (1, 2, 3, 4, 5)
_CHUNK = 256


@dataclass(frozen=True)
class CorruptionFamily:
    """One evaluated family: its name, the op class that implements it and its modality."""

    family: str
    op_name: str
    modality: str
    direction: str | None = None

    def op(self, severity: int) -> mmr_augment.Perturbation:
        """The op at a fixed evaluation ``severity`` (1-5), always applied (``p=1``)."""
        extra = {"direction": self.direction} if self.direction else {}
        return REGISTRY[self.op_name](severity=severity, p=1.0, **extra)


def corruption_families(modality: str | None = None) -> dict[str, CorruptionFamily]:
    """Evaluated families by name (registry order within each modality, image first): the
    families of :func:`mmr_augment.corrupt.corruption_ops`, split by direction."""
    if modality not in (None, "image", "text"):
        raise InputError(f"modality must be 'image', 'text' or None, got {modality!r}")
    out: dict[str, CorruptionFamily] = {}
    for kind in ("image", "text"):
        if modality not in (None, kind):
            continue
        for name, cls in corruption_ops(kind):
            directions = getattr(cls, "severity_tables", None) or {}
            if len(directions) > 1:
                for d in directions:
                    out[f"{cls.family}_{d}"] = CorruptionFamily(f"{cls.family}_{d}", name, kind, d)
            else:
                out[cls.family] = CorruptionFamily(cls.family, name, kind)
    return out


def corrupt_images(images: torch.Tensor, family: CorruptionFamily, severity: int,
                   seed: int = 0) -> torch.Tensor:
    """``images`` ``(N, C, H, W)`` in ``[0, 1]`` corrupted by ``family`` at ``severity``.

    The params for all ``N`` images come from one generator seeded with ``seed``, so the
    corrupted set is identical for every model being compared.
    """
    op = family.op(severity)
    params = op.sample(len(images), torch.Generator().manual_seed(seed))
    parts = [op.apply(images[s:s + _CHUNK], mmr_augment.slice_params(
        params, torch.arange(s, min(s + _CHUNK, len(images))))) for s in range(0, len(images),
                                                                               _CHUNK)]
    return torch.cat(parts)


def corrupt_texts(texts: Sequence[str], family: CorruptionFamily, severity: int,
                  seed: int = 0) -> list[str]:
    """``texts`` corrupted by the text ``family`` at ``severity`` (seeded like images)."""
    out = family.op(severity)(list(texts), generator=torch.Generator().manual_seed(seed))
    return list(out.texts)


def relative_error(clean_accuracy: float, accuracies: Sequence[float]) -> float:
    """Error above clean averaged over severities: ``mean_s ((1 - acc_s) - (1 - clean))``."""
    if not accuracies:
        raise InputError("relative_error needs at least one corrupted accuracy")
    value = sum((1.0 - a) - (1.0 - clean_accuracy) for a in accuracies) / len(accuracies)
    return round(value, 12)


def balanced_error(probs: torch.Tensor, labels: torch.Tensor, threshold: float = 0.5) -> float:
    """MedMNIST-C's balanced error: 1 - balanced accuracy of ``probs > threshold``.

    ``probs`` and ``labels`` are ``(N, L)`` (multi-label: the mean over the ``L`` labels of each
    label's balanced accuracy, the mean of its sensitivity and specificity) or ``(N,)``. A label
    whose test column has one class only scores that class's recall, as scikit-learn does.

    Example:
        >>> labels = torch.tensor([[1, 0], [0, 0], [0, 1], [0, 0]])
        >>> probs = torch.tensor([[.9, .2], [.6, .1], [.3, .4], [.2, .3]])
        >>> round(balanced_error(probs, labels), 4)  # label 1: (2/3 + 1) / 2; label 2: 1/2
        0.3333
    """
    if probs.shape != labels.shape or probs.numel() == 0:
        raise InputError(f"balanced_error: probs {tuple(probs.shape)} and labels "
                         f"{tuple(labels.shape)} must have the same, non-empty shape")
    pred = (probs > threshold).reshape(len(probs), -1)
    truth = labels.reshape(len(labels), -1).bool()
    scores = []
    for j in range(truth.shape[1]):
        recalls = [(pred[truth[:, j] == c, j] == c).double().mean().item()
                   for c in (False, True) if bool((truth[:, j] == c).any())]
        scores.append(sum(recalls) / len(recalls))
    return round(1.0 - sum(scores) / len(scores), 12)


def medmnistc_scores(errors: dict[str, Sequence[float]], clean_error: float,
                     reference_errors: dict[str, Sequence[float]],
                     reference_clean_error: float) -> dict[str, Any]:
    """BE and rBE per corruption and their means, MedMNIST-C's way (its ``Evaluator``).

    ``errors[c]`` holds the model's balanced errors at each severity of corruption ``c``;
    ``reference_*`` the reference model's. ``BE_c = mean_s err_s / mean_s ref_s`` and
    ``rBE_c = (mean_s err_s - clean) / (mean_s ref_s - ref_clean)``; 1 is the reference's
    level, lower is more robust. Where the reference cannot normalise (its mean error is 0 for
    BE, or equals its clean error for rBE) the value is None, and the means ``be`` / ``rbe``
    are over the corruptions where it is defined (None when it is nowhere).

    Example:
        >>> got = medmnistc_scores({"blur": [0.2, 0.4]}, 0.1, {"blur": [0.3, 0.5]}, 0.2)
        >>> got["be"], got["rbe"]
        (0.75, 1.0)
        >>> medmnistc_scores({"blur": [0.2]}, 0.1, {"blur": [0.2]}, 0.2)["rbe_per_corruption"]
        {'blur': None}
    """
    be: dict[str, float | None] = {}
    rbe: dict[str, float | None] = {}
    for name, errs in errors.items():
        if name not in reference_errors or not errs or not reference_errors[name]:
            raise InputError(f"medmnistc_scores: no errors for {name!r} in both the model and "
                             f"the reference; score them with the same corruption set")
        mean = sum(errs) / len(errs)
        ref = sum(reference_errors[name]) / len(reference_errors[name])
        be[name] = round(mean / ref, 12) if ref > 0 else None
        rise = ref - reference_clean_error
        rbe[name] = round((mean - clean_error) / rise, 12) if abs(rise) > 1e-12 else None
    return {"be_per_corruption": be, "rbe_per_corruption": rbe,
            "be": defined_mean(be.values()), "rbe": defined_mean(rbe.values())}


def defined_mean(values: Iterable[float | None]) -> float | None:
    """The mean of the values that are not None (None when there are none).

    Example:
        >>> defined_mean([1.0, None, 2.0]), defined_mean([None])
        (1.5, None)
    """
    kept = [v for v in values if v is not None]
    return round(sum(kept) / len(kept), 12) if kept else None


class CorruptionBank:
    """Corrupted copies of one evaluation set, made once and shared by every model compared.

    Args:
        images: ``(N, C, H, W)`` clean images.
        texts: ``N`` clean reports.
        families: the families to use (default: :func:`corruption_families`).
        seed: seed of every corruption's params (one per family and severity, fixed).
    """

    def __init__(self, images: torch.Tensor, texts: Sequence[str],
                 families: dict[str, CorruptionFamily] | None = None, seed: int = 0) -> None:
        self.images, self.texts, self.seed = images, list(texts), seed
        self.families = families if families is not None else corruption_families()
        self._cache: dict[tuple[str, int], torch.Tensor | list[str]] = {}

    def get(self, family: str, severity: int) -> tuple[torch.Tensor, list[str]]:
        """``(images, texts)`` with ``family`` applied at ``severity`` to its modality only."""
        fam = self.families[family]
        key = (family, severity)
        if key not in self._cache:
            seed = self.seed * 1000 + list(self.families).index(family) * 10 + severity
            self._cache[key] = (corrupt_images(self.images, fam, severity, seed)
                                if fam.modality == "image"
                                else corrupt_texts(self.texts, fam, severity, seed))
        out = self._cache[key]
        return (out, self.texts) if fam.modality == "image" else (self.images, out)

    def mixed(self, severity: int) -> tuple[torch.Tensor, list[str]]:
        """Both modalities corrupted at ``severity``: study ``i`` gets the ``i``-th image family
        and the ``i``-th text family in turn (round robin, so every family is used)."""
        images, texts = self.images.clone(), list(self.texts)
        for kind in ("image", "text"):
            names = [n for n, f in self.families.items() if f.modality == kind]
            for j, name in enumerate(names[:len(texts)]):
                rows = torch.arange(j, len(texts), len(names))
                got = self.get(name, severity)
                if kind == "image":
                    images[rows] = got[0][rows]
                else:
                    for r in rows.tolist():
                        texts[r] = got[1][r]
        return images, texts
