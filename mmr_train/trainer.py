"""The Robust-MMR trainer: data -> policy -> tokenizer + masking -> model -> losses -> AdamW.

One optimizer step = ``train.grad_accum`` micro-batches. Per micro-batch: the
:class:`~mmr_train.views.ViewPerturber` gives one ``PerturbedBatch`` per view (two with the
consistency term on), :func:`~mmr_train.model.prepare_inputs` tokenizes and masks them, the
model returns its per-term losses. Robust-MMR and the baseline run this same code; the config
selects the policy, the masking and the loss weights.

Every random choice has its own ``torch.Generator`` (data order: the sampler's epoch seed;
``policy``, ``views`` and ``masking``: one each, seeded from ``(train.seed, purpose, rank)``),
and ``torch.manual_seed`` fixes parameter init. A checkpoint holds every generator state of
every rank, the torch and CUDA states and the data position, so ``--resume`` continues the run
bit for bit (same world size; another world size reseeds with a warning).
"""

from __future__ import annotations

import contextlib
import time
import warnings
from pathlib import Path
from typing import Any

import torch
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import Dataset

from mmr_augment import PerturbedBatch
from mmr_augment.errors import ConfigError

from .batching import StudyBatch, batch_stream
from .build import TrainingParts, build_parts
from .checkpoint import CheckpointManager, load_checkpoint
from .config import LOSS_TERMS, FitConfig, check_resumable, save_config
from .distributed import DistContext, derive_seed
from .metrics import MetricsLog, progress_bar
from .model import ModelInputs, prepare_inputs
from .optim import Precision

#: Logged loss columns: every term of :data:`~mmr_train.config.LOSS_TERMS` and the total.
TERMS = (*LOSS_TERMS, "total")
PURPOSES = ("policy", "views", "masking")


class Trainer:
    """Trains the parts :func:`~mmr_train.build.build_parts` builds from a
    :class:`~mmr_train.config.FitConfig`.

    Args:
        cfg: the fit config.
        out: run folder: ``checkpoints/`` (with ``tokenizer.json``), ``metrics.jsonl`` and
            ``config.yaml`` (the full fit config, :func:`~mmr_train.config.load_fit_config`
            reads it back).
        resume: continue from ``out/checkpoints/latest`` (a fresh start if there is none).
        progress: show a progress bar (rank 0, TTY only).
        ctx: process context (default: from the ``torchrun`` environment).
        dataset: a dataset to use instead of the one ``cfg.data`` names.
        parts: parts built already (default: :func:`~mmr_train.build.build_parts`).
    """

    def __init__(self, cfg: FitConfig, out: str | Path, *, resume: bool = False,
                 progress: bool = True, ctx: DistContext | None = None,
                 dataset: Dataset | None = None, parts: TrainingParts | None = None) -> None:
        self.cfg, self.out, self.progress = cfg, Path(out), progress
        self.ctx = ctx or DistContext.from_env()
        self.device, t = self.ctx.device, cfg.train
        self.checkpoints = CheckpointManager(self.out / "checkpoints", t.keep_last)
        self.metrics = MetricsLog(self.out / "metrics.jsonl")
        latest = self.checkpoints.latest()
        if latest is not None and not resume:
            raise ConfigError(f"{self.out} already holds checkpoints ({latest.name}); pass "
                              f"--resume to continue that run or choose another --out")
        self.precision = Precision.of(t.precision, self.device)
        parts = parts or build_parts(cfg, self.checkpoints.folder, self.ctx, resume=resume,
                                     dataset=dataset)
        self.dataset, self.tokenizer, self.model = parts.dataset, parts.tokenizer, parts.model
        self.optimizer, self.scheduler = parts.optimizer, parts.scheduler
        self.policy, self.views = parts.policy, parts.views
        # Without the consistency term its projection head gets no gradient.
        self.net = self.model if not self.ctx.distributed else DistributedDataParallel(
            self.model, device_ids=[self.device.index] if self.device.type == "cuda" else None,
            find_unused_parameters=cfg.loss_weights()["consistency"] == 0)
        self.scaler = torch.amp.GradScaler(self.device.type) if self.precision.scaler else None
        self.generators = {p: torch.Generator() for p in PURPOSES}
        self._seed_generators(0)
        self.stream = batch_stream(self.dataset, t.batch_size, t.seed, cfg.model.image_size,
                                   cfg.model.channels, self.ctx.rank, self.ctx.world_size,
                                   cfg.data.num_workers)
        self.step = 0
        if resume and latest is not None:
            self._restore(latest)
        elif self.ctx.is_main:
            self.out.mkdir(parents=True, exist_ok=True)
            self.metrics.path.unlink(missing_ok=True)
            save_config(cfg, self.out / "config.yaml")

    def _seed_generators(self, step: int) -> None:
        for purpose, g in self.generators.items():
            g.manual_seed(derive_seed(self.cfg.train.seed, purpose, self.ctx.rank, step))

    # ------------------------------------------------------------------ step stages
    def perturb(self, batch: StudyBatch) -> list[PerturbedBatch]:
        """Policy stage: one perturbed batch per view (images on the training device)."""
        return self.views(batch, self.generators["policy"], self.generators["views"],
                          self.device)

    def prepare(self, views: list[PerturbedBatch], labels: torch.Tensor | None
                ) -> list[ModelInputs]:
        """Tokenizer + masking stage: model inputs per view, on the training device."""
        labels = labels if self.cfg.loss.supervised_consistency else None
        return [prepare_inputs(v, self.tokenizer, self.cfg, self.generators["masking"],
                               labels).to(self.device) for v in views]

    def forward(self, inputs: list[ModelInputs]) -> dict[str, torch.Tensor]:
        """Model stage: per-term losses and their weighted total (autocast)."""
        with self.precision.autocast(self.device):
            return self.net(inputs[0], inputs[1] if len(inputs) > 1 else None)

    def backward(self, loss: torch.Tensor) -> None:
        """Backward stage (scaled when float16 needs a ``GradScaler``)."""
        (self.scaler.scale(loss) if self.scaler is not None else loss).backward()

    def train_step(self) -> tuple[torch.Tensor, torch.Tensor]:
        """One optimizer step; returns the micro-batch mean of :data:`TERMS` and the grad norm."""
        accum = self.cfg.train.grad_accum
        self.policy.set_step(self.step)
        sums = torch.zeros(len(TERMS), device=self.device)
        for micro in range(accum):
            batch = self.stream.next()
            inputs = self.prepare(self.perturb(batch), batch.labels)
            last = micro == accum - 1
            sync = contextlib.nullcontext() if last or not self.ctx.distributed \
                else self.net.no_sync()
            with sync:
                losses = self.forward(inputs)
                self.backward(losses["total"] / accum)
            sums += torch.stack([losses[k].detach().float() for k in TERMS])
        if self.scaler is not None:
            self.scaler.unscale_(self.optimizer)
        clip = self.cfg.train.grad_clip
        norm = torch.nn.utils.clip_grad_norm_(self.model.parameters(),
                                              clip if clip > 0 else float("inf"))
        if self.scaler is not None:
            self.scaler.step(self.optimizer)
            self.scaler.update()
        else:
            self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        self.scheduler.step()
        self.step += 1
        return sums / accum, norm.detach()

    # ------------------------------------------------------------------ loop
    def fit(self) -> dict[str, Any]:
        """Train to ``train.max_steps``; returns the last logged metrics row."""
        t = self.cfg.train
        row: dict[str, Any] = {}
        bar = progress_bar(t.max_steps, self.step, self.progress and self.ctx.is_main)
        while self.step < t.max_steps:
            start = time.perf_counter()
            lr = self.scheduler.get_last_lr()[0]
            terms, norm = self.train_step()
            if self.step % t.log_every == 0 or self.step == t.max_steps:
                values = self.ctx.mean(torch.cat([terms, norm.float().view(1)])).tolist()
                elapsed = time.perf_counter() - start
                row = {"step": self.step, "epoch": self.stream.epoch, "lr": lr,
                       **dict(zip(TERMS, values)), "grad_norm": values[-1],
                       "step_time_s": elapsed, "samples_per_s": t.batch_size * t.grad_accum
                       * self.ctx.world_size / elapsed}
                if self.ctx.is_main:
                    self.metrics.write(row)
                bar.set_postfix(loss=f"{row['total']:.4f}")
            if self.step % t.checkpoint_every == 0 or self.step == t.max_steps:
                self.save_checkpoint()
            bar.update(1)
        bar.close()
        return row

    # ------------------------------------------------------------------ checkpoints
    def save_checkpoint(self) -> Path | None:
        """Write the checkpoint of the current step (rank 0; every rank must call this)."""
        rng = {"torch": torch.get_rng_state(),
               **{p: g.get_state() for p, g in self.generators.items()}}
        if self.device.type == "cuda":
            rng["cuda"] = torch.cuda.get_rng_state(self.device)
        every_rank = self.ctx.gather(rng)
        data_states = self.ctx.gather(self.stream.state_dict())
        path = None
        if self.ctx.is_main:
            epoch, index = self.stream.position()
            path = self.checkpoints.save({
                "step": self.step, "epoch": epoch, "batch_index": index,
                "world_size": self.ctx.world_size, "model": self.model.state_dict(),
                "optimizer": self.optimizer.state_dict(),
                "scheduler": self.scheduler.state_dict(),
                "scaler": self.scaler.state_dict() if self.scaler is not None else {},
                "rng": every_rank, "data": data_states, "config": self.cfg.to_dict()},
                self.step)
        self.ctx.barrier()
        return path

    def _restore(self, path: Path) -> None:
        state = load_checkpoint(path)
        check_resumable(state["config"], self.cfg.to_dict(), path)
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        if self.scaler is not None and state["scaler"]:
            self.scaler.load_state_dict(state["scaler"])
        self.step = int(state["step"])
        if len(state.get("data", ())) == self.ctx.world_size:
            self.stream.load_state_dict(state["data"][self.ctx.rank])
        else:
            self.stream.seek(state["epoch"], state["batch_index"])
        if len(state["rng"]) == self.ctx.world_size:
            rng = state["rng"][self.ctx.rank]
            torch.set_rng_state(rng["torch"])
            for purpose, g in self.generators.items():
                g.set_state(rng[purpose])
            if "cuda" in rng and self.device.type == "cuda":
                torch.cuda.set_rng_state(rng["cuda"], self.device)
        else:
            warnings.warn(f"{path} was written by {len(state['rng'])} ranks, this run has "
                          f"{self.ctx.world_size}: random streams are reseeded, so the run "
                          f"continues but not bit-identically", stacklevel=2)
            self._seed_generators(self.step)
        if self.ctx.is_main:
            self.checkpoints.remove_stale()
            self.metrics.truncate_after(self.step)

