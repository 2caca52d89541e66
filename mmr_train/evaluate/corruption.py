"""Corruption suite: every registered image and text family at severities 1-5.

:func:`corruption_families` reads the op registry: one op per family, modality ``image`` or
``text``, with a severity table. Left out: compositions, the multimodal policy, the domain
style simulators (``ScannerStyle`` / ``ReportStyle``: those are *domains*, scored by the
cross-domain probe), meaning-changing text ops (they change the labels), and ops without a
severity table (``Invert``: a single strength).

Relative error follows MedMNIST-C / ImageNet-C without the baseline normalisation: the error
above clean, averaged over severities, ``mean_s (err_s - err_clean)`` with ``err = 1 - acc``
(so it is ``clean_acc - mean_s acc_s``). The report also gives each model's value divided by the
baseline's (the normalised form).

Example:
    >>> fams = corruption_families()
    >>> fams["gaussian_noise"].op_name, fams["typo"].modality
    ('GaussianNoise', 'text')
    >>> "negation_flip" in fams or "scanner_style" in fams
    False
    >>> relative_error(0.9, [0.9, 0.8, 0.7])
    0.1
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

import mmr_augment
import mmr_augment.text  # noqa: F401  (registers the text ops)
from mmr_augment.core import REGISTRY
from mmr_augment.errors import InputError

SEVERITIES = (1, 2, 3, 4, 5)
_STYLE_FAMILIES = {"scanner_style", "report_style"}
_CHUNK = 256


@dataclass(frozen=True)
class CorruptionFamily:
    """One evaluated family: its name, the op class that implements it and its modality."""

    family: str
    op_name: str
    modality: str

    def op(self, severity: int) -> mmr_augment.Perturbation:
        """The op at a fixed evaluation ``severity`` (1-5), always applied (``p=1``)."""
        return REGISTRY[self.op_name](severity=severity, p=1.0)


def corruption_families(modality: str | None = None) -> dict[str, CorruptionFamily]:
    """Evaluated families by name (registry order within each modality, image first)."""
    if modality not in (None, "image", "text"):
        raise InputError(f"modality must be 'image', 'text' or None, got {modality!r}")
    out: dict[str, CorruptionFamily] = {}
    for kind in ("image", "text"):
        for name, cls in REGISTRY.items():
            if (cls.modality != kind or cls.family in _STYLE_FAMILIES or cls.family in out
                    or not cls.severity_table
                    or getattr(cls, "effect", "") == "meaning_changing"):
                continue
            if modality in (None, kind):
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
