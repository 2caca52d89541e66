"""Evaluation of Robust-MMR / baseline checkpoints on frozen embeddings.

:func:`evaluate` fits a linear probe on one set of studies (``train_data``) and scores
another (``test_data``): cross-domain accuracy / AUC per domain, corruption robustness (every
image and text family at severities 1-5, MedMNIST-C relative error, and its BE / rBE against
a reference model when one is given), missing-modality accuracy, and image <-> report
retrieval clean and perturbed. The protocol is in :mod:`mmr_train.evaluate.suite`;
``mmr-train eval`` is the command line.

Example:
    >>> from mmr_train.evaluate import corruption_families, relative_error
    >>> len(corruption_families("text")) > 5, relative_error(0.8, [0.7, 0.6])
    (True, 0.15)
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch

from mmr_augment.errors import InputError

from .corruption import (
    SEVERITIES,
    CorruptionBank,
    CorruptionFamily,
    corrupt_images,
    corrupt_texts,
    corruption_families,
    relative_error,
)
from .data import EvalSet, domain_name
from .encoder import FrozenEncoder, load_trained
from .missing import missing_modality
from .probe import LinearProbe, binary_auc, probe_metrics
from .results import EvaluationResult
from .retrieval import (
    cross_modal_retrieval,
    degradation,
    domain_match,
    match_ranks,
    retrieval_metrics,
    within_groups,
)
from .suite import (
    evaluate_encoder,
    medmnistc_against,
    reference_corruption,
    retrieval_suite,
    robustness_set,
    with_reference,
)

__all__ = [
    "SEVERITIES", "CorruptionBank", "CorruptionFamily", "EvalSet", "EvaluationResult",
    "FrozenEncoder", "LinearProbe", "binary_auc", "corrupt_images", "corrupt_texts",
    "corruption_families", "cross_modal_retrieval", "degradation", "domain_match",
    "domain_name", "evaluate", "evaluate_encoder", "load_trained", "match_ranks",
    "medmnistc_against", "missing_modality", "probe_metrics", "reference_corruption",
    "relative_error", "retrieval_metrics", "retrieval_suite", "robustness_set",
    "with_reference", "within_groups",
]


def evaluate(checkpoint: str | Path | FrozenEncoder, train_data: str | Path | EvalSet,
             test_data: str | Path | EvalSet, *, out: str | Path | None = None,
             robustness_n: int = 128, severities: Sequence[int] = SEVERITIES,
             retrieval_severity: int = 3, device: str | torch.device = "cpu",
             progress: bool = False, reference: str | Path | FrozenEncoder | None = None,
             reference_name: str | None = None) -> EvaluationResult:
    """Evaluate one checkpoint: probe fitted on ``train_data``, scored on ``test_data``.

    Args:
        checkpoint: a ``mmr-train fit`` checkpoint file or run folder, or a ``FrozenEncoder``.
        train_data / test_data: manifest paths (CSV / JSONL with labels) or ``EvalSet`` s.
        out: folder for ``results.json``, ``report.md`` and ``figures/`` (nothing written
            when None).
        robustness_n: studies used by the corruption, missing-modality and retrieval parts.
        severities: corruption severities.
        retrieval_severity: severity of the perturbed retrieval.
        device: where the model runs.
        progress: print one line per finished part.
        reference: a checkpoint (or ``FrozenEncoder``) to normalise MedMNIST-C's BE / rBE by
            (its AlexNet): scored with its own probe on the same corrupted studies; the
            result's ``corruption.medmnistc`` then holds BE / rBE per family and their means.
            None: no BE / rBE (the balanced errors are still recorded).
        reference_name: how the result names the reference (default: its path, or
            ``"reference"`` for an encoder).

    Returns:
        The :class:`~mmr_train.evaluate.results.EvaluationResult` (``to_json()``: the
        ``results.json`` dict).
    """
    encoder = (checkpoint if isinstance(checkpoint, FrozenEncoder)
               else FrozenEncoder.from_checkpoint(checkpoint, device))
    size, channels = encoder.image_size, encoder.model.config.model.channels
    train = (train_data if isinstance(train_data, EvalSet)
             else EvalSet.from_manifest(train_data, size, channels))
    test = (test_data if isinstance(test_data, EvalSet)
            else EvalSet.from_manifest(test_data, size, channels))
    report = (lambda part: print(f"  evaluated {part}", flush=True)) if progress else None
    robust = robustness_set(train, test, robustness_n)
    bank = CorruptionBank(robust.images, robust.reports)
    result = evaluate_encoder(encoder, train, test, bank=bank, robustness_n=robustness_n,
                              severities=severities, retrieval_severity=retrieval_severity,
                              progress=report)
    if reference is not None:
        ref = (reference if isinstance(reference, FrozenEncoder)
               else FrozenEncoder.from_checkpoint(reference, device))
        if (ref.image_size, ref.model.config.model.channels) != (size, channels):
            raise InputError(f"the reference takes {ref.image_size} px images with "
                             f"{ref.model.config.model.channels} channel(s), the model "
                             f"{size} px with {channels}: BE / rBE need the same images")
        name = reference_name or ("reference" if isinstance(reference, FrozenEncoder)
                                  else str(reference))
        result = with_reference(result, reference_corruption(ref, train, robust, bank,
                                                             severities), name)
        if progress:
            print(f"  evaluated the reference {name}", flush=True)
    if out is not None:
        from .report import write_eval_report

        write_eval_report(result, out)
    return result
