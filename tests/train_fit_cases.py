"""Tiny fit configs shared by the trainer, checkpoint and DDP tests (32 px, one layer each)."""

from __future__ import annotations

import functools
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]

TINY_MODEL = {"image_size": 32, "patch_size": 8, "width": 32, "heads": 2, "image_depth": 1,
              "text_depth": 1, "fusion_depth": 1, "decoder_width": 32, "decoder_depth": 1,
              "decoder_heads": 2, "vocab_size": 400, "max_text_length": 48, "proj_dim": 16}


@functools.lru_cache(maxsize=1)
def tiny_tokenizer_json() -> str:
    """A tokenizer trained once on a few synthetic reports, as JSON text (the WordPiece
    trainer is not deterministic across processes, so runs that must match share one)."""
    import torch

    from mmr_augment.synthetic import Domain, render_studies
    from mmr_train.tokenizer import ReportTokenizer

    reports = render_studies(torch.arange(16), 32, 0, Domain()).reports
    return ReportTokenizer.train(reports, vocab_size=400).tokenizer.to_str()


def write_config(folder: Path, *, method: str = "robust_mmr", data: dict | None = None,
                 train: dict | None = None, **extra: Any) -> Path:
    """A tiny fit config YAML in ``folder`` (with the shared tokenizer); returns its path."""
    folder.mkdir(parents=True, exist_ok=True)
    tok = folder / "tokenizer.json"
    tok.write_text(tiny_tokenizer_json(), encoding="utf-8")
    cfg = {"preset": "tiny", "method": method, "model": TINY_MODEL,
           "data": {"n": 8, "size": 32, **(data or {})},
           "train": {"max_steps": 4, "batch_size": 2, "warmup_steps": 1, "lr": 1e-3,
                     "checkpoint_every": 2, "keep_last": 2, "tokenizer": str(tok),
                     **(train or {})},
           **extra}
    path = folder / f"{method}.yaml"
    path.write_text(yaml.safe_dump(cfg), encoding="utf-8")
    return path


def fit_command(config: Path, out: Path, *extra: str) -> list[str]:
    """``python -m mmr_train.cli fit ...`` for a subprocess."""
    return [sys.executable, "-m", "mmr_train.cli", "fit", "--config", str(config), "--out",
            str(out), "--no-progress", "--device", "cpu", *extra]


def run_fit(config: Path, out: Path, *extra: str, fault: str | None = None,
            background: bool = False) -> Any:
    """Run ``fit`` in a subprocess (``fault``: the ``MMR_TRAIN_FAULT`` hook)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}  # 2 shared cores
    env.pop("MMR_TRAIN_FAULT", None)
    if fault:
        env["MMR_TRAIN_FAULT"] = fault
    cmd = fit_command(config, out, *extra)
    if background:
        return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def free_port() -> int:
    """A free TCP port on 127.0.0.1 for a gloo rendezvous (the DDP tests)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rank_trainer(rank: int, world: int, port: int, config: str, out: str) -> tuple[Any, Any]:
    """In a DDP test's spawned process: join a gloo group of ``world`` CPU ranks on ``port``
    and build the trainer of ``config`` writing to ``out``; returns it and its ``DistContext``
    (close that at the end)."""
    import torch
    import torch.distributed as dist

    from mmr_train.config import load_fit_config
    from mmr_train.distributed import DistContext
    from mmr_train.trainer import Trainer

    torch.set_num_threads(1)
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=world)
    ctx = DistContext(rank, world, rank, torch.device("cpu"))
    return Trainer(load_fit_config(config), out, progress=False, ctx=ctx), ctx
