"""The parts a :class:`~mmr_train.trainer.Trainer` trains with, built from a fit config.

:func:`build_parts` builds, in this order (the order fixes the random streams): the dataset
(``data``), the tokenizer (trained on the dataset's reports unless ``train.tokenizer`` names
one, saved into the run's checkpoint folder), the model (initialised under the seed
``(train.seed, "init")``), AdamW and its warm-up cosine schedule, the perturbation policy and
the view perturber. Each step is also a function of its own for a custom loop.

Example:
    >>> from mmr_train.config import fit_config_from_dict
    >>> cfg = fit_config_from_dict({"method": "baseline", "data": {"n": 4, "size": 32},
    ...                             "model": {"image_size": 32, "vocab_size": 60}})
    >>> model = build_model(cfg, torch.device("cpu"))
    >>> model.config is cfg, build_policy(cfg).patch_size
    (True, 8)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from torch.utils.data import Dataset

from mmr_augment import MultiModalPolicy

from .config import FitConfig
from .distributed import DistContext, derive_seed
from .model import RobustMMR
from .optim import build_optimizer, build_scheduler
from .sources import build_dataset
from .tokenizer import TOKENIZER_FILE, ReportTokenizer
from .views import ViewPerturber, build_policy

__all__ = ["TrainingParts", "build_dataset", "build_model", "build_parts", "build_policy",
           "build_tokenizer", "training_corpus"]


@dataclass
class TrainingParts:
    """Everything a trainer needs besides the loop's own state."""

    dataset: Dataset
    tokenizer: ReportTokenizer
    model: RobustMMR
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LRScheduler
    policy: MultiModalPolicy
    views: ViewPerturber


def training_corpus(dataset: Dataset, limit: int) -> list[str]:
    """Up to ``limit`` report texts of ``dataset`` (its ``reports`` attribute when it has one)."""
    reports = getattr(dataset, "reports", None)
    if reports is None:
        reports = [dataset[i]["report"] for i in range(min(limit, len(dataset)))]
    return list(reports)[:limit]


def build_tokenizer(cfg: FitConfig, dataset: Dataset, folder: Path, ctx: DistContext,
                    resume: bool = False) -> ReportTokenizer:
    """The run's tokenizer, kept as ``folder/tokenizer.json``: the saved one when resuming,
    else ``train.tokenizer`` or one trained on the dataset's reports (by rank 0; every rank
    then loads the file)."""
    saved = folder / TOKENIZER_FILE
    if resume and saved.is_file():
        return ReportTokenizer.load(saved)
    if ctx.is_main:
        given = cfg.train.tokenizer
        tok = ReportTokenizer.load(given) if given else ReportTokenizer.train(
            training_corpus(dataset, cfg.train.tokenizer_corpus),
            vocab_size=cfg.model.vocab_size)
        folder.mkdir(parents=True, exist_ok=True)
        tok.save(saved.with_name(".tokenizer.tmp.json")).replace(saved)
    ctx.barrier()
    return ReportTokenizer.load(saved)


def build_model(cfg: FitConfig, device: torch.device) -> RobustMMR:
    """The model, initialised under the seed ``(train.seed, "init")``, on ``device``."""
    torch.manual_seed(derive_seed(cfg.train.seed, "init"))
    return RobustMMR(cfg).to(device)


def build_parts(cfg: FitConfig, checkpoint_folder: Path, ctx: DistContext, *,
                resume: bool = False, dataset: Dataset | None = None) -> TrainingParts:
    """Every part, in the order the module docstring gives; ``dataset`` replaces the one
    ``cfg.data`` names."""
    dataset = dataset if dataset is not None else build_dataset(cfg.data, cfg.model)
    tokenizer = build_tokenizer(cfg, dataset, checkpoint_folder, ctx, resume)
    model = build_model(cfg, ctx.device)
    optimizer = build_optimizer(model, cfg.train)
    scheduler = build_scheduler(optimizer, cfg.train)
    policy = build_policy(cfg)
    return TrainingParts(dataset, tokenizer, model, optimizer, scheduler, policy,
                         ViewPerturber(cfg, policy))
