"""Evaluation of Robust-MMR / baseline checkpoints on frozen embeddings.

:func:`evaluate` fits a linear probe on one set of studies (``train_data``) and scores
another (``test_data``): cross-domain accuracy / AUC per domain, corruption robustness (every
image and text family at severities 1-5, MedMNIST-C relative error), missing-modality
accuracy, and image <-> report retrieval clean and perturbed. The protocol is in
:mod:`mmr_train.evaluate.suite`; ``mmr-train eval`` is the command line.

Example:
    >>> from mmr_train.evaluate import corruption_families, relative_error
    >>> len(corruption_families("text")) > 5, relative_error(0.8, [0.7, 0.6])
    (True, 0.15)
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch

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
from .suite import evaluate_encoder, retrieval_suite, robustness_set

__all__ = [
    "SEVERITIES", "CorruptionBank", "CorruptionFamily", "EvalSet", "EvaluationResult",
    "FrozenEncoder", "LinearProbe", "binary_auc", "corrupt_images", "corrupt_texts",
    "corruption_families", "cross_modal_retrieval", "degradation", "domain_match",
    "domain_name", "evaluate", "evaluate_encoder", "load_trained", "match_ranks",
    "missing_modality", "probe_metrics", "relative_error", "retrieval_metrics",
    "retrieval_suite", "robustness_set", "within_groups",
]


def evaluate(checkpoint: str | Path | FrozenEncoder, train_data: str | Path | EvalSet,
             test_data: str | Path | EvalSet, *, out: str | Path | None = None,
             robustness_n: int = 128, severities: Sequence[int] = SEVERITIES,
             retrieval_severity: int = 3, device: str | torch.device = "cpu",
             progress: bool = False) -> EvaluationResult:
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
    result = evaluate_encoder(encoder, train, test, robustness_n=robustness_n,
                              severities=severities, retrieval_severity=retrieval_severity,
                              progress=report)
    if out is not None:
        from .report import write_eval_report

        write_eval_report(result, out)
    return result
