"""Two CPU ranks (gloo) on WebDataset shards: each rank reads its own shards, weights agree."""

from __future__ import annotations

import pytest
import torch
import torch.multiprocessing as mp
from train_fit_cases import free_port, rank_trainer, write_config

pytest.importorskip("tokenizers", reason="needs the train extra: pip install 'mmr[train]'")
pytest.importorskip("webdataset", reason="needs the scale extra: pip install 'mmr[scale]'")

from mmr_augment.synthetic import write
from mmr_train.data.shards import write_shards


def _rank_main(rank: int, world: int, port: int, config: str, out: str) -> None:
    trainer, ctx = rank_trainer(rank, world, port, config, out)
    first = trainer.stream.next()
    trainer.stream.seek(0, 0)
    trainer.fit()
    torch.save({"model": trainer.model.state_dict(), "first": first.reports,
                "seeds": first.sample_seeds}, f"{out}/rank{rank}.pt")
    ctx.close()


def test_two_ranks_read_their_own_shards_and_agree(tmp_path):
    pattern = write_shards(write(tmp_path / "src", 8, 32), tmp_path / "tars", 2, size=32)
    config = write_config(tmp_path / "cfg", data={"kind": "webdataset", "path": pattern},
                          train={"max_steps": 2, "checkpoint_every": 2})
    out = tmp_path / "run"
    mp.spawn(_rank_main, args=(2, free_port(), str(config), str(out)), nprocs=2, join=True)
    r0, r1 = (torch.load(out / f"rank{r}.pt", weights_only=True) for r in (0, 1))
    assert all(torch.equal(r0["model"][k], r1["model"][k]) for k in r0["model"])
    assert not set(r0["seeds"]) & set(r1["seeds"])       # disjoint studies, own seeds
    state = torch.load(out / "checkpoints" / "step_00000002.pt", weights_only=True)
    assert [s["index"] for s in state["data"]] == [2, 2]  # every rank's stream position
