"""The evaluation suite on one frozen model: cross-domain probe, corruptions, missing
modality and retrieval, as one :class:`~.results.EvaluationResult`.

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
- **MedMNIST-C's BE / rBE** (optional): every corruption's balanced error per severity is
  kept; :func:`with_reference` adds BE and rBE against a reference model's
  (:func:`reference_corruption`: the same probe protocol and corruption bank), MedMNIST-C's
  AlexNet being whichever model the user names (``mmr-train eval --reference-checkpoint``;
  the baseline in the demo).
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

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

import torch

from mmr_augment.errors import InputError

from .corruption import (
    SEVERITIES,
    CorruptionBank,
    balanced_error,
    defined_mean,
    medmnistc_scores,
    relative_error,
)
from .data import EvalSet
from .encoder import FrozenEncoder
from .missing import missing_modality
from .probe import LinearProbe, probe_metrics
from .results import (
    BalancedErrors,
    Corruption,
    CrossDomain,
    Degradation,
    Directions,
    DomainScores,
    DomainSplit,
    EvaluationResult,
    FamilyScores,
    MedMNISTCScores,
    MissingModality,
    ModalityMeans,
    ProbeScores,
    RankScores,
    Retrieval,
    Scores,
    SourceHeldOut,
    WithinDomain,
    from_plain,
)
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
                 test_emb: dict[str, torch.Tensor]) -> CrossDomain:
    """Per-domain probe metrics, the source / held-out means, for each embedding kind."""
    out: dict[str, DomainScores] = {}
    for kind in ("fused", "image", "text"):
        probe = LinearProbe.fit(train_emb[kind], train.labels)
        per_domain = {}
        for d, name in enumerate(test.domain_names):
            rows = (test.domains == d).nonzero().flatten()
            if len(rows):
                per_domain[name] = ProbeScores.from_json(probe_metrics(
                    probe.predict_proba(test_emb[kind][rows]), test.labels[rows],
                    test.observations))
        groups = DomainSplit([n for n in per_domain if n in train.domain_names],
                             [n for n in per_domain if n not in train.domain_names])
        out[kind] = DomainScores(per_domain,
                                 _mean_macro([per_domain[n] for n in groups.source]),
                                 _mean_macro([per_domain[n] for n in groups.held_out]), groups)
    return CrossDomain(out["fused"], {k: SourceHeldOut(v.source, v.held_out)
                                      for k, v in out.items()})


def _mean_macro(results: Sequence[ProbeScores]) -> Scores:
    if not results:
        return Scores(None, None)
    acc = [r.macro.accuracy for r in results if r.macro.accuracy is not None]
    auc = [r.macro.auc for r in results if r.macro.auc is not None]
    return Scores(sum(acc) / len(acc) if acc else None, sum(auc) / len(auc) if auc else None)


def corruption_suite(encoder: FrozenEncoder, probe: LinearProbe, bank: CorruptionBank,
                     labels: torch.Tensor, names: Sequence[str], clean: Scores,
                     severities: Sequence[int] = SEVERITIES,
                     progress: Progress | None = None,
                     retrieval: tuple[Directions[RankScores], int] | None = None,
                     clean_balanced_error: float | None = None) -> Corruption:
    """Probe accuracy / AUC per family and severity, and each family's relative error.

    ``retrieval``: ``(clean retrieval metrics, severity)``; each family then also gets its
    mean-rank degradation (``retrieval_degradation``, per direction) at that severity, from
    the same embeddings. ``clean_balanced_error``: the clean set's, kept in the result (the
    BE / rBE of :func:`medmnistc_against` need it).
    """
    families: dict[str, FamilyScores] = {}
    for family, fam in bank.families.items():
        acc, auc, balanced, moved = {}, {}, {}, None
        for s in severities:
            images, texts = bank.get(family, s)
            emb = encoder.embed(images, texts)
            probs = probe.predict_proba(emb["fused"])
            macro = probe_metrics(probs, labels, names)["macro"]
            acc[str(s)], auc[str(s)] = macro["accuracy"], macro["auc"]
            balanced[str(s)] = balanced_error(probs, labels)
            if retrieval is not None and s == retrieval[1]:
                got = _directions(cross_modal_retrieval(emb["image_contrast"],
                                                        emb["text_contrast"]))
                moved = Directions(*(_degradation(c, g).delta for c, g in
                                     _pairs(retrieval[0], got)))
        measurable = clean.accuracy is not None and None not in acc.values()
        families[family] = FamilyScores(fam.modality, moved, acc, auc,
                                        relative_error(clean.accuracy, list(acc.values()))
                                        if measurable else None, balanced)
        if progress:
            progress(family)
    mean_re = {}
    for kind in ("image", "text"):
        values = [f.relative_error for f in families.values()
                  if f.modality == kind and f.relative_error is not None]
        mean_re[kind] = sum(values) / len(values) if values else None
    every = [f.relative_error for f in families.values() if f.relative_error is not None]
    return Corruption(clean, list(severities), families,
                      ModalityMeans(**mean_re, all=sum(every) / len(every) if every else None),
                      clean_balanced_error)


def reference_corruption(encoder: FrozenEncoder, train: EvalSet, robust: EvalSet,
                         bank: CorruptionBank, severities: Sequence[int] = SEVERITIES
                         ) -> Corruption:
    """The corruption suite alone of a reference model: its own probe, fitted on ``train``
    like the evaluated model's, scored on ``bank`` (which holds ``robust``'s studies)."""
    probe = LinearProbe.fit(encoder.embed(train.images, train.reports)["fused"], train.labels)
    probs = probe.predict_proba(encoder.embed(bank.images, bank.texts)["fused"])
    clean = Scores.from_json(probe_metrics(probs, robust.labels, robust.observations)["macro"])
    return corruption_suite(encoder, probe, bank, robust.labels, robust.observations, clean,
                            severities, clean_balanced_error=balanced_error(probs, robust.labels))


def medmnistc_against(model: Corruption, reference: Corruption, name: str) -> MedMNISTCScores:
    """MedMNIST-C's BE and rBE of ``model`` with ``reference`` as the normalising model (its
    AlexNet), per family and as means; both suites must cover the same families and severities.

    Example:
        >>> fam = FamilyScores("image", None, {"1": 0.7}, {"1": None}, 0.1, {"1": 0.4})
        >>> ref = FamilyScores("image", None, {"1": 0.6}, {"1": None}, 0.2, {"1": 0.5})
        >>> mean = ModalityMeans(None, None, None)
        >>> got = medmnistc_against(Corruption(Scores(.8, None), [1], {"blur": fam}, mean, 0.2),
        ...                         Corruption(Scores(.8, None), [1], {"blur": ref}, mean, 0.25),
        ...                         "alexnet")
        >>> got.families["blur"], got.rbe.all
        (BalancedErrors(be=0.8, rbe=0.8), 0.8)
    """
    if model.severities != reference.severities or list(model.families) != list(
            reference.families):
        raise InputError("medmnistc_against: the reference was scored on other severities or "
                         "families; evaluate both with the same corruption set")
    clean = (model.clean_balanced_error, reference.clean_balanced_error)
    balanced = [f.balanced_error for c in (model, reference) for f in c.families.values()]
    if None in clean or None in balanced:
        raise InputError("medmnistc_against: a result without balanced errors (written before "
                         "they were recorded); evaluate it again")
    got = medmnistc_scores({n: list(f.balanced_error.values()) for n, f in model.families.items()},
                           model.clean_balanced_error,
                           {n: list(f.balanced_error.values())
                            for n, f in reference.families.items()},
                           reference.clean_balanced_error)
    per = {n: BalancedErrors(got["be_per_corruption"][n], got["rbe_per_corruption"][n])
           for n in model.families}
    means = {}
    for key in ("be", "rbe"):
        by_kind = {kind: defined_mean(getattr(v, key) for n, v in per.items()
                                      if model.families[n].modality == kind)
                   for kind in ("image", "text")}
        means[key] = ModalityMeans(**by_kind, all=got[key])
    return MedMNISTCScores(name, reference.clean_balanced_error, per, means["be"], means["rbe"])


def with_reference(result: EvaluationResult, reference: Corruption, name: str
                   ) -> EvaluationResult:
    """``result`` with its corruption suite's ``medmnistc`` BE / rBE against ``reference``."""
    scores = medmnistc_against(result.corruption, reference, name)
    return dataclasses.replace(result, corruption=dataclasses.replace(result.corruption,
                                                                      medmnistc=scores))


def _directions(metrics: dict[str, dict[str, float]]) -> Directions[RankScores]:
    return from_plain(Directions[RankScores], metrics)


def _pairs(a: Directions[Any], b: Directions[Any]) -> list[tuple[Any, Any]]:
    return [(a.image_to_report, b.image_to_report), (a.report_to_image, b.report_to_image)]


def _degradation(clean: RankScores, perturbed: RankScores) -> Degradation:
    return Degradation(**degradation({"mean_rank": clean.mean_rank},
                                     {"mean_rank": perturbed.mean_rank}))


def _degradations(clean: Directions[RankScores], perturbed: Directions[RankScores]
                  ) -> Directions[Degradation]:
    return Directions(*(_degradation(c, p) for c, p in _pairs(clean, perturbed)))


def retrieval_suite(encoder: FrozenEncoder, bank: CorruptionBank,
                    clean_emb: dict[str, torch.Tensor], severity: int,
                    domains: torch.Tensor | None = None) -> Retrieval:
    """Clean (``clean_emb``: the encoder's embeddings of the bank's clean studies) and
    perturbed retrieval and the mean-rank degradation per direction.

    ``domains``: each bank study's domain; when there are several, ``within_domain`` holds
    the same three entries with each query ranked against its own domain's items only (and
    the share of top-1 items from the query's domain, ``domain_match``).
    """
    images, texts = bank.mixed(severity)
    emb = encoder.embed(images, texts)
    clean = _directions(cross_modal_retrieval(clean_emb["image_contrast"],
                                              clean_emb["text_contrast"]))
    perturbed = _directions(cross_modal_retrieval(emb["image_contrast"], emb["text_contrast"]))
    within = None
    if domains is not None and len(domains.unique()) > 1:
        c, p = (_directions(cross_modal_retrieval(e["image_contrast"], e["text_contrast"],
                                                  groups=domains)) for e in (clean_emb, emb))
        within = WithinDomain(c, p, _degradations(c, p))
    return Retrieval(len(texts), severity, clean, perturbed, _degradations(clean, perturbed),
                     within)


def evaluate_encoder(encoder: FrozenEncoder, train: EvalSet, test: EvalSet, *,
                     bank: CorruptionBank | None = None, robustness_n: int = 128,
                     severities: Sequence[int] = SEVERITIES, retrieval_severity: int = 3,
                     progress: Progress | None = None) -> EvaluationResult:
    """Every evaluation of one model (see the module docstring); ``bank`` may be shared
    between models (it must hold :func:`robustness_set` of the same sets)."""
    if train.observations != test.observations:
        raise InputError(f"train and test observations differ: {train.observations} vs "
                         f"{test.observations}")
    train_emb = encoder.embed(train.images, train.reports)
    test_emb = encoder.embed(test.images, test.reports)
    domains = cross_domain(train, test, train_emb, test_emb)
    if progress:
        progress("cross-domain")
    probe = LinearProbe.fit(train_emb["fused"], train.labels)
    robust = robustness_set(train, test, robustness_n)
    if bank is None:
        bank = CorruptionBank(robust.images, robust.reports)
    missing = MissingModality.from_json(missing_modality(encoder, probe, robust))
    clean_emb = encoder.embed(bank.images, bank.texts)
    retrieval = retrieval_suite(encoder, bank, clean_emb, retrieval_severity, robust.domains)
    corruption = corruption_suite(encoder, probe, bank, robust.labels, robust.observations,
                                  missing.both, severities, progress,
                                  retrieval=(retrieval.clean, retrieval_severity),
                                  clean_balanced_error=balanced_error(
                                      probe.predict_proba(clean_emb["fused"]), robust.labels))
    if progress:
        progress("retrieval")
    return EvaluationResult(list(test.observations), len(train), len(test), domains, missing,
                            corruption, retrieval)
