"""``finetune_vqa``: answer classification on the fused embedding (the M3AE protocol).

Cross-entropy over the training answers, AdamW (backbone ``lr``, head ``lr *
head_lr_multiplier``), linear warm-up then cosine, one validation pass per epoch. The weights
of the epoch with the best validation overall accuracy go to ``best.pt`` (model selection on
the validation rows only, never on a test split). Each epoch ends with an atomic checkpoint;
``resume=True`` continues bit for bit (data order and augmentation are seeded from ``(seed,
epoch)``, so only the model, optimizer, schedule and torch RNG state need saving).

Example:
    >>> import tempfile
    >>> from mmr_train.vqa.toy import toy_vqa_rows
    >>> folder = tempfile.mkdtemp()
    >>> rows = toy_vqa_rows(folder, n_images=3)
    >>> run = finetune_vqa(rows, rows, f"{folder}/run", config={"epochs": 1, "image_size": 32})
    >>> sorted(p.name for p in run.iterdir())
    ['best.pt', 'checkpoints', 'metrics.jsonl', 'run.json', 'tokenizer.json']
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from mmr_augment.core import from_config
from mmr_augment.errors import ConfigError, InputError

from ..checkpoint import FORMAT, VERSION, CheckpointManager, atomic_save, load_checkpoint
from ..config import RobustMMRConfig, from_dict, preset
from ..data.vqa_rows import VQARow
from ..distributed import derive_seed
from ..metrics import MetricsLog
from ..model import RobustMMR
from ..optim import warmup_cosine
from ..tokenizer import TOKENIZER_FILE, ReportTokenizer
from .config import VQAConfig, load_vqa_config, vqa_config_from_dict
from .inputs import (
    QuestionSet,
    answer_logits,
    encode_images,
    encode_questions,
    predicted_answers,
    trim,
)
from .model import BEST_FILE, RUN_FILE, VQAModel, read_run_info
from .scoring import AnswerVocab, score


def _config(config: VQAConfig | dict[str, Any] | str | Path | None) -> VQAConfig:
    if isinstance(config, VQAConfig):
        return config
    if isinstance(config, dict):
        return vqa_config_from_dict(config)
    return load_vqa_config(config)


def _backbone(pretrained: str | Path | None, cfg: VQAConfig, questions: list[str]
              ) -> tuple[RobustMMR, ReportTokenizer]:
    if pretrained is not None:
        from ..evaluate.encoder import load_trained

        if cfg.image_size is not None:
            raise ConfigError("image_size cannot be set when fine-tuning a pretrained model: "
                              "it keeps the size it was trained at; remove image_size")
        model, tokenizer = load_trained(pretrained)
        return model.train(), tokenizer
    mcfg = preset(cfg.preset)
    if cfg.image_size is not None:
        mcfg = from_dict({"model": {"image_size": cfg.image_size}}, base=cfg.preset)
    tokenizer = ReportTokenizer.train(questions, vocab_size=mcfg.model.vocab_size)
    torch.manual_seed(derive_seed(cfg.seed, "init"))
    return RobustMMR(mcfg), tokenizer


def _optimizer(model: VQAModel, cfg: VQAConfig) -> torch.optim.AdamW:
    groups = []
    for part, lr in ((model.backbone, cfg.lr), (model.head, cfg.lr * cfg.head_lr_multiplier)):
        decay, quiet = [], []
        for name, p in part.named_parameters():
            no_wd = p.dim() < 2 or any(k in name for k in ("position", "mask_token", "missing"))
            (quiet if no_wd else decay).append(p)
        groups += [{"params": decay, "lr": lr, "weight_decay": cfg.weight_decay},
                   {"params": quiet, "lr": lr, "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, foreach=True)


def validate(model: VQAModel, data: QuestionSet, vocab: AnswerVocab, batch_size: int
             ) -> dict[str, Any]:
    """Clean accuracy breakdown of ``model`` on ``data`` (eval mode)."""
    model.eval()
    logits = answer_logits(model, encode_images(model, data.images, batch_size),
                           data.image_index, encode_questions(model, data.input_ids,
                                                              data.attention_mask, batch_size),
                           batch_size)
    rows = data.rows
    return score(predicted_answers(logits, vocab), [r.answer for r in rows],
                 [r.answer_type for r in rows], {}, vocab)


def _start(out: Path, cfg: VQAConfig, pretrained: str | Path | None,
           train_rows: list[VQARow]) -> tuple[VQAModel, ReportTokenizer, AnswerVocab]:
    backbone, tokenizer = _backbone(pretrained, cfg, [r.question for r in train_rows])
    vocab = AnswerVocab.from_answers(r.answer for r in train_rows)
    torch.manual_seed(derive_seed(cfg.seed, "head"))
    model = VQAModel(backbone, len(vocab))
    out.mkdir(parents=True, exist_ok=True)
    tokenizer.save(out / TOKENIZER_FILE)
    # A fit checkpoint's config is a FitConfig: keep its model part, which from_dict reads back.
    model_keys = {f.name for f in dataclasses.fields(RobustMMRConfig)}
    model_cfg = {k: v for k, v in backbone.config.to_dict().items() if k in model_keys}
    info = {"model": model_cfg, "answers": vocab.answers,
            "pretrained": None if pretrained is None else str(pretrained),
            "vqa": cfg.to_dict(), "train_questions": len(train_rows),
            "dataset": sorted({r.dataset for r in train_rows})}
    (out / RUN_FILE).write_text(json.dumps(info, indent=1), encoding="utf-8")
    return model, tokenizer, vocab


def _reopen(out: Path, cfg: VQAConfig, pretrained: str | Path | None
            ) -> tuple[VQAModel, ReportTokenizer, AnswerVocab]:
    info = read_run_info(out)
    given = None if pretrained is None else str(pretrained)
    if info["vqa"] != cfg.to_dict() or info["pretrained"] != given:
        raise ConfigError(f"cannot resume {out}: it was started with pretrained="
                          f"{info['pretrained']} and config {info['vqa']}; resume with the "
                          f"same --pretrained and --config")
    vocab = AnswerVocab(info["answers"])
    model = VQAModel(RobustMMR(from_dict(info["model"])), len(vocab))
    return model, ReportTokenizer.load(out / TOKENIZER_FILE), vocab


def finetune_vqa(train_rows: Sequence[VQARow], val_rows: Sequence[VQARow], out: str | Path, *,
                 pretrained: str | Path | None = None,
                 config: VQAConfig | dict[str, Any] | str | Path | None = None,
                 resume: bool = False, stop_after: int | None = None,
                 log: bool = False) -> Path:
    """Fine-tune a ``mmr-train fit`` run or checkpoint (``pretrained``; None: a from-scratch
    model of ``config.preset`` with a tokenizer trained on the training questions).

    Args:
        train_rows / val_rows: training and validation questions (never a test split).
        out: the run folder (see :mod:`mmr_train.vqa.model`).
        config: a :class:`VQAConfig`, a dict of its fields or a YAML path (None: defaults).
        resume: continue from ``out/checkpoints`` (a fresh start if there is none).
        stop_after: stop once this many epochs are done (the schedule still ends at
            ``config.epochs``; resume later to finish).
        log: print one line per epoch.

    Returns:
        ``out``.
    """
    cfg, out = _config(config), Path(out)
    train_rows, val_rows = list(train_rows), list(val_rows)
    if not train_rows or not val_rows:
        raise InputError(f"fine-tuning needs training and validation rows, got "
                         f"{len(train_rows)} and {len(val_rows)}; check the dataset root")
    if cfg.num_threads:
        torch.set_num_threads(cfg.num_threads)
    manager = CheckpointManager(out / "checkpoints", keep_last=2)
    latest = manager.latest()
    if latest is not None and not resume:
        raise ConfigError(f"{out} already holds checkpoints ({latest.name}); pass --resume to "
                          f"continue that run or choose another --out")
    restart = resume and latest is not None
    if restart:
        model, tokenizer, vocab = _reopen(out, cfg, pretrained)
    else:
        model, tokenizer, vocab = _start(out, cfg, pretrained, train_rows)
    device = torch.device(cfg.device)
    model.to(device)
    size, max_len = (model.backbone.config.model.image_size,
                     model.backbone.config.model.max_text_length)
    train = QuestionSet.build(train_rows, size, tokenizer, max_len, vocab)
    val = QuestionSet.build(val_rows, size, tokenizer, max_len, vocab)
    per_epoch = math.ceil(len(train) / cfg.batch_size)
    total = cfg.epochs * per_epoch
    optimizer = _optimizer(model, cfg)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, partial(
        warmup_cosine, warmup=max(1, round(cfg.warmup_fraction * total)), total=total,
        floor=cfg.min_lr_fraction))
    augment = from_config(cfg.augment) if cfg.augment is not None else None
    metrics, epoch, best = MetricsLog(out / "metrics.jsonl"), 0, -1.0
    if restart:
        state = load_checkpoint(latest, map_location=device)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        torch.set_rng_state(state["rng"])
        epoch, best = int(state["epoch"]), float(state["best_accuracy"])
        manager.remove_stale()
        metrics.truncate_after(epoch)
    else:
        metrics.path.unlink(missing_ok=True)
    end = cfg.epochs if stop_after is None else min(cfg.epochs, stop_after)
    while epoch < end:
        start = time.perf_counter()
        loss = _train_epoch(model, train, optimizer, scheduler, cfg, epoch, augment, device)
        result = validate(model, val, vocab, cfg.eval_batch_size)
        epoch += 1
        acc = result["overall"]["accuracy"]
        if acc > best:
            best = acc
            atomic_save({"format": FORMAT, "version": VERSION, "model": model.state_dict(),
                         "epoch": epoch, "val_accuracy": acc}, out / BEST_FILE)
        row = {"step": epoch, "epoch": epoch, "train_loss": loss, "val_overall": acc,
               "val_closed": result["closed"]["accuracy"],
               "val_open": result["open"]["accuracy"], "best_val_overall": best,
               "lr": scheduler.get_last_lr()[0], "epoch_time_s": time.perf_counter() - start}
        metrics.write(row)
        if log:
            print(f"epoch {epoch}/{cfg.epochs}: loss {loss:.4f}, val overall {acc:.4f} "
                  f"(best {best:.4f}), {row['epoch_time_s']:.1f}s")
        manager.save({"epoch": epoch, "best_accuracy": best, "model": model.state_dict(),
                      "optimizer": optimizer.state_dict(),
                      "scheduler": scheduler.state_dict(), "rng": torch.get_rng_state()},
                     epoch)
    return out


def _train_epoch(model: VQAModel, data: QuestionSet, optimizer: torch.optim.Optimizer,
                 scheduler: torch.optim.lr_scheduler.LambdaLR, cfg: VQAConfig, epoch: int,
                 augment: torch.nn.Module | None, device: torch.device) -> float:
    model.train()
    order = torch.randperm(len(data), generator=torch.Generator().manual_seed(
        derive_seed(cfg.seed, "order", epoch)))
    aug_gen = torch.Generator().manual_seed(derive_seed(cfg.seed, "augment", epoch))
    total, seen = 0.0, 0
    for s in range(0, len(data), cfg.batch_size):
        idx = order[s:s + cfg.batch_size]
        images = data.images[data.image_index[idx]]
        if augment is not None:
            images = augment(images, generator=aug_gen)
        ids, mask = trim(data.input_ids[idx], data.attention_mask[idx])
        logits = model(images.to(device), ids.to(device), mask.to(device))
        loss = F.cross_entropy(logits, data.targets[idx].to(device))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if cfg.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
        optimizer.step()
        scheduler.step()
        total, seen = total + float(loss.detach()) * len(idx), seen + len(idx)
    return total / seen
