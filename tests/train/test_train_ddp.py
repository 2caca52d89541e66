"""Two CPU ranks (gloo): distinct data and perturbation seeds, identical weights, falling loss,
and only rank 0 writing checkpoints and logs."""

from __future__ import annotations

import pytest
import torch
import torch.multiprocessing as mp
from train_fit_cases import free_port, rank_trainer, write_config

pytest.importorskip("tokenizers", reason="needs the train extra: pip install 'mmr[train]'")

from mmr_train.metrics import MetricsLog

STEPS = 6


def _rank_main(rank: int, world: int, port: int, config: str, out: str) -> None:
    trainer, ctx = rank_trainer(rank, world, port, config, out)
    seeds = {p: g.initial_seed() for p, g in trainer.generators.items()}
    first_batch = trainer.stream.next().reports
    trainer.stream.seek(0, 0)
    trainer.fit()
    torch.save({"model": trainer.model.state_dict(), "seeds": seeds, "first": first_batch},
               f"{out}/rank{rank}.pt")
    ctx.close()


def test_two_cpu_ranks_agree_and_learn(tmp_path):
    config = write_config(tmp_path / "cfg", data={"n": 16},
                          train={"max_steps": STEPS, "lr": 3e-3, "checkpoint_every": 3})
    out = tmp_path / "run"
    mp.spawn(_rank_main, args=(2, free_port(), str(config), str(out)), nprocs=2, join=True)
    r0, r1 = (torch.load(out / f"rank{r}.pt", weights_only=True) for r in (0, 1))
    assert all(torch.equal(r0["model"][k], r1["model"][k]) for k in r0["model"])
    assert all(r0["seeds"][p] != r1["seeds"][p] for p in r0["seeds"])
    assert not set(r0["first"]) & set(r1["first"])            # DistributedSampler shards
    totals = [row["total"] for row in MetricsLog(out / "metrics.jsonl").read()]
    assert len(totals) == STEPS                                # rank 0 alone logs
    assert sum(totals[-2:]) < sum(totals[:2])
    names = sorted(p.name for p in (out / "checkpoints").iterdir())
    assert names == ["latest", "step_00000003.pt", "step_00000006.pt", "tokenizer.json"]
    state = torch.load(out / "checkpoints" / "step_00000006.pt", weights_only=True)
    assert len(state["rng"]) == 2 and state["world_size"] == 2
