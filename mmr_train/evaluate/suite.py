"""The evaluation suite on one frozen model: cross-domain probe, corruptions, missing
modality and retrieval, as one JSON-ready dict.

Protocol (fixed; nothing is tuned on evaluation data):

- A linear probe (:class:`~.probe.LinearProbe`) is fitted on the *training* set's fused
  embeddings (both modalities present) and labels.
- **Cross-domain**: the probe scores every domain of the test set. A test domain whose name
  is also a training domain is a *source* domain, any other is *held-out*; ``source`` and
  ``held_out`` average the macro metrics over those domains. Probes on the image-encoder and
  text-encoder embeddings are reported beside the fused one (``by_features``).
- **Corruption**, **missing modality** and **retrieval** use the *robustness set*: the test
  studies from source domains (all test studies when none are), at most ``robustness_n``,
  evenly spaced, so corruption effects are not mixed with domain shift.
- **Missing modality**: the same probe (fitted with both modalities) scores the fused
  embedding with the report absent (``image_only``), the image absent (``text_only``) or
  neither (``both``).
- **Retrieval**: image-to-report and report-to-image on the contrastive projections, clean
  and with both sides corrupted at ``retrieval_severity`` (:meth:`CorruptionBank.mixed`);
  with several domains in the robustness set, also within each domain (the gallery
  restricted to the query's domain), which separates content from domain recognition.

Example:
    >>> train = EvalSet.synthetic(2, 32, [("cr", None)])
    >>> test = EvalSet.synthetic(4, 32, [("cr", None), ("low_dose", None)], start=2)
    >>> robustness_set(train, test, 8).domain_names, len(robustness_set(train, test, 8))
    (['cr', 'low_dose'], 2)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch

from mmr_augment.errors import InputError

from .corruption import SEVERITIES, CorruptionBank, balanced_error, relative_error
from .data import EvalSet
from .encoder import FrozenEncoder
from .missing import missing_modality
from .probe import LinearProbe, probe_metrics
from .retrieval import cross_modal_retrieval, degradation

Progress = Callable[[str], None]


def robustness_set(train: EvalSet, test: EvalSet, n: int) -> EvalSet:
    """The test studies of source domains (else all), at most ``n``, evenly spaced."""
    names = [test.domain_names[d] for d in test.domains.tolist()]
    source = torch.tensor([nm in train.domain_names for nm in names], dtype=torch.bool)
    rows = source.nonzero().flatten() if bool(source.any()) else torch.arange(len(test))
    if len(rows) > n:
        rows = rows[torch.linspace(0, len(rows) - 1, n).round().long()]
    return test.subset(rows)


def cross_domain(train: EvalSet, test: EvalSet, train_emb: dict[str, torch.Tensor],
                 test_emb: dict[str, torch.Tensor]) -> dict[str, Any]:
    """Per-domain probe metrics, the source / held-out means, for each embedding kind."""
    out: dict[str, Any] = {}
    for kind in ("fused", "image", "text"):
        probe = LinearProbe.fit(train_emb[kind], train.labels)
        per_domain = {}
        for d, name in enumerate(test.domain_names):
            rows = (test.domains == d).nonzero().flatten()
            if len(rows):
                per_domain[name] = probe_metrics(probe.predict_proba(test_emb[kind][rows]),
                                                 test.labels[rows], test.observations)
        groups = {"source": [n for n in per_domain if n in train.domain_names],
                  "held_out": [n for n in per_domain if n not in train.domain_names]}
        out[kind] = {"per_domain": per_domain,
                     **{g: _mean_macro([per_domain[n] for n in names])
                        for g, names in groups.items()},
                     "domains": groups}
    return {"fused": out["fused"], "by_features": {k: {g: out[k][g] for g in
                                                       ("source", "held_out")}
                                                   for k in out}}


def _mean_macro(results: Sequence[dict[str, Any]]) -> dict[str, float | None]:
    if not results:
        return {"accuracy": None, "auc": None}
    acc = [r["macro"]["accuracy"] for r in results]
    auc = [r["macro"]["auc"] for r in results if r["macro"]["auc"] is not None]
    return {"accuracy": sum(acc) / len(acc), "auc": sum(auc) / len(auc) if auc else None}


def corruption_suite(encoder: FrozenEncoder, probe: LinearProbe, bank: CorruptionBank,
                     labels: torch.Tensor, names: Sequence[str], clean: dict[str, Any],
                     severities: Sequence[int] = SEVERITIES,
                     progress: Progress | None = None,
                     retrieval: tuple[dict[str, Any], int] | None = None) -> dict[str, Any]:
    """Probe accuracy / AUC per family and severity, and each family's relative error.

    ``retrieval``: ``(clean retrieval metrics, severity)``; each family then also gets its
    mean-rank degradation (``retrieval_degradation``, per direction) at that severity, from
    the same embeddings.
    """
    families: dict[str, Any] = {}
    for family, fam in bank.families.items():
        acc, auc, balanced, entry = {}, {}, {}, {"modality": fam.modality}
        for s in severities:
            images, texts = bank.get(family, s)
            emb = encoder.embed(images, texts)
            probs = probe.predict_proba(emb["fused"])
            macro = probe_metrics(probs, labels, names)["macro"]
            acc[str(s)], auc[str(s)] = macro["accuracy"], macro["auc"]
            balanced[str(s)] = balanced_error(probs, labels)
            if retrieval is not None and s == retrieval[1]:
                got = cross_modal_retrieval(emb["image_contrast"], emb["text_contrast"])
                entry["retrieval_degradation"] = {
                    d: degradation(retrieval[0][d], got[d])["delta"] for d in got}
        families[family] = {**entry, "accuracy": acc, "auc": auc, "balanced_error": balanced,
                            "relative_error": relative_error(clean["accuracy"],
                                                             list(acc.values()))}
        if progress:
            progress(family)
    mean_re = {}
    for kind in ("image", "text"):
        values = [f["relative_error"] for f in families.values() if f["modality"] == kind]
        mean_re[kind] = sum(values) / len(values) if values else None
    every = [f["relative_error"] for f in families.values()]
    mean_re["all"] = sum(every) / len(every) if every else None
    return {"clean": clean, "severities": list(severities), "families": families,
            "mean_relative_error": mean_re}


def retrieval_suite(encoder: FrozenEncoder, bank: CorruptionBank,
                    clean_emb: dict[str, torch.Tensor], severity: int,
                    domains: torch.Tensor | None = None) -> dict[str, Any]:
    """Clean (``clean_emb``: the encoder's embeddings of the bank's clean studies) and
    perturbed retrieval and the mean-rank degradation per direction.

    ``domains``: each bank study's domain; when there are several, ``within_domain`` holds
    the same three entries with each query ranked against its own domain's items only (and
    the share of top-1 items from the query's domain, ``domain_match``).
    """
    images, texts = bank.mixed(severity)
    emb = encoder.embed(images, texts)
    clean = cross_modal_retrieval(clean_emb["image_contrast"], clean_emb["text_contrast"])
    perturbed = cross_modal_retrieval(emb["image_contrast"], emb["text_contrast"])
    out = {"gallery_size": len(texts), "severity": severity, "clean": clean,
           "perturbed": perturbed,
           "degradation": {d: degradation(clean[d], perturbed[d]) for d in clean}}
    if domains is not None and len(domains.unique()) > 1:
        within = {tag: cross_modal_retrieval(e["image_contrast"], e["text_contrast"],
                                             groups=domains)
                  for tag, e in (("clean", clean_emb), ("perturbed", emb))}
        within["degradation"] = {d: degradation(within["clean"][d], within["perturbed"][d])
                                 for d in clean}
        out["within_domain"] = within
    return out


def evaluate_encoder(encoder: FrozenEncoder, train: EvalSet, test: EvalSet, *,
                     bank: CorruptionBank | None = None, robustness_n: int = 128,
                     severities: Sequence[int] = SEVERITIES, retrieval_severity: int = 3,
                     progress: Progress | None = None) -> dict[str, Any]:
    """Every evaluation of one model (see the module docstring); ``bank`` may be shared
    between models (it must hold :func:`robustness_set` of the same sets)."""
    if train.observations != test.observations:
        raise InputError(f"train and test observations differ: {train.observations} vs "
                         f"{test.observations}")
    train_emb = encoder.embed(train.images, train.reports)
    test_emb = encoder.embed(test.images, test.reports)
    result: dict[str, Any] = {"observations": list(test.observations),
                              "n_train": len(train), "n_test": len(test)}
    result["cross_domain"] = cross_domain(train, test, train_emb, test_emb)
    if progress:
        progress("cross-domain")
    probe = LinearProbe.fit(train_emb["fused"], train.labels)
    robust = robustness_set(train, test, robustness_n)
    if bank is None:
        bank = CorruptionBank(robust.images, robust.reports)
    result["missing_modality"] = missing_modality(encoder, probe, robust)
    clean = result["missing_modality"]["both"]
    retrieval = retrieval_suite(encoder, bank, encoder.embed(bank.images, bank.texts),
                                retrieval_severity, robust.domains)
    result["corruption"] = corruption_suite(encoder, probe, bank, robust.labels,
                                            robust.observations, clean, severities, progress,
                                            retrieval=(retrieval["clean"], retrieval_severity))
    result["retrieval"] = retrieval
    if progress:
        progress("retrieval")
    return result
