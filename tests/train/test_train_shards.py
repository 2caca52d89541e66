"""WebDataset shards: writing, key-based perturbation seeds, stateful mid-epoch resume."""

from __future__ import annotations

import json

import pytest
import torch
from torch.utils.data import DataLoader
from train_fit_cases import write_config

pytest.importorskip("tokenizers", reason="needs the train extra: pip install 'mmr[train]'")
pytest.importorskip("webdataset", reason="needs the scale extra: pip install 'mmr[scale]'")

from mmr_augment.synthetic import write
from mmr_train.batching import collate_studies
from mmr_train.cli import main
from mmr_train.config import fit_config_from_dict, load_fit_config
from mmr_train.data import ManifestDataset, load_manifest
from mmr_train.data.shards import ShardedStudies
from mmr_train.distributed import DistContext
from mmr_train.trainer import Trainer
from mmr_train.views import ViewPerturber, build_policy

N, SHARD = 10, 3


@pytest.fixture(scope="module")
def shards(tmp_path_factory):
    root = tmp_path_factory.mktemp("shards")
    manifest = write(root / "src", N, 48)
    assert main(["shard", str(manifest), "--out", str(root / "tars"), "--shard-size",
                 str(SHARD), "--size", "32"]) == 0
    return manifest, json.loads((root / "tars" / "shards.json").read_text())["pattern"]


def _items(dataset, workers=0):
    loader = DataLoader(dataset, batch_size=None, num_workers=workers)
    return {item["id"]: item for item in loader}


def test_shards_hold_the_manifest_samples(shards):
    manifest, pattern = shards
    dataset = ShardedStudies(pattern)
    assert len(dataset.urls) == -(-N // SHARD)
    items = _items(dataset)
    reference = ManifestDataset(load_manifest(manifest), size=32, uncertain="zeros")
    for i in range(N):
        want, got = reference[i], items[reference[i]["id"]]
        assert got["report"] == want["report"] and got["domain"] == want["domain"]
        assert (got["image"] - want["image"]).abs().max() <= 0.5 / 65535 + 1e-7
        assert torch.equal(got["labels"].isnan(), want["labels"].isnan())
        known = ~want["labels"].isnan()
        assert torch.equal(got["labels"][known], want["labels"][known])


def test_perturbation_of_a_key_ignores_workers_shard_order_and_ranks(shards, monkeypatch):
    _, pattern = shards
    dataset = ShardedStudies(pattern, seed=7)
    one, two = _items(dataset), _items(dataset, workers=2)
    shuffled = _items(ShardedStudies(list(reversed(dataset.urls)), seed=7))
    ranks = []
    for rank in (0, 1):
        monkeypatch.setenv("RANK", str(rank))
        monkeypatch.setenv("WORLD_SIZE", "2")
        ranks.append(_items(ShardedStudies(pattern, seed=7)))
    monkeypatch.delenv("RANK")
    monkeypatch.delenv("WORLD_SIZE")
    assert not set(ranks[0]) & set(ranks[1]) and len(ranks[0]) + len(ranks[1]) == N
    assert list(one) != list(shuffled)                     # another order, same keys
    cfg = fit_config_from_dict({"preset": "tiny", "model": {"image_size": 32,
                                                            "patch_size": 8}})
    views = ViewPerturber(cfg, build_policy(cfg))
    out = {}
    for name, items in (("one", one), ("two", two), ("shuffled", shuffled),
                        ("ranks", {**ranks[1], **ranks[0]})):
        batch = collate_studies(list(items.values()), 32, 1)
        first, second = views(batch, torch.Generator(), torch.Generator())
        out[name] = {key: (first.images[i], first.texts[i], second.texts[i], first.mode[i])
                     for i, key in enumerate(items)}
    for name in ("two", "shuffled", "ranks"):
        for key, (image, text, text2, mode) in out["one"].items():
            other = out[name][key]
            assert torch.equal(other[0], image) and other[1:] == (text, text2, mode), name
    modes = torch.stack([v[3] for v in out["one"].values()])
    assert len(set(modes.tolist())) > 1                  # the policy did perturb
    dataset.set_epoch(1)
    assert [i["perturb_seed"] for i in _items(dataset).values()] != \
        [i["perturb_seed"] for i in one.values()]


def test_stateful_dataloader_resumes_mid_epoch(shards):
    stateful = pytest.importorskip("torchdata.stateful_dataloader")
    _, pattern = shards
    loader = stateful.StatefulDataLoader(ShardedStudies(pattern), batch_size=None,
                                         num_workers=2)
    stream = iter(loader)
    seen = [next(stream)["id"] for _ in range(4)]
    state = loader.state_dict()
    rest = [item["id"] for item in stream]
    again = stateful.StatefulDataLoader(ShardedStudies(pattern), batch_size=None,
                                        num_workers=2)
    again.load_state_dict(state)
    assert [item["id"] for item in again] == rest
    assert sorted(seen + rest) == sorted(str(i) for i in range(N))


def test_trainer_resumes_mid_epoch_on_shards_bit_identically(shards, tmp_path):
    _, pattern = shards
    data = {"kind": "webdataset", "path": pattern, "num_workers": 2}
    train = {"max_steps": 3, "checkpoint_every": 1, "batch_size": 4}
    config = write_config(tmp_path / "cfg", data=data, train=train)
    ctx = DistContext.single(torch.device("cpu"))
    whole = Trainer(load_fit_config(config), tmp_path / "whole", progress=False, ctx=ctx)
    whole.fit()
    assert whole.stream.position() == (1, 1)             # 2 batches an epoch: crossed one
    cut = Trainer(load_fit_config(config), tmp_path / "cut", progress=False, ctx=ctx)
    cut.train_step()                                     # stopped after one step
    cut.save_checkpoint()
    del cut
    resumed = Trainer(load_fit_config(config), tmp_path / "cut", resume=True, progress=False,
                      ctx=ctx)
    assert resumed.step == 1 and resumed.stream.state_dict()["consumed"] == {0: 2, 1: 2}
    resumed.fit()
    a, b = whole.model.state_dict(), resumed.model.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    with pytest.warns(UserWarning, match="restarts from its beginning"):
        resumed.stream.load_state_dict({**resumed.stream.state_dict(), "workers": 1})
    assert resumed.stream.state_dict()["consumed"] == {}


def test_missing_shards_and_path_are_clear(tmp_path):
    with pytest.raises(Exception, match="shards not found"):
        ShardedStudies(str(tmp_path / "shard-{000000..000001}.tar"))
    cfg = write_config(tmp_path / "cfg", data={"kind": "webdataset"})
    with pytest.raises(Exception, match="needs data.path"):
        Trainer(load_fit_config(cfg), tmp_path / "run", progress=False,
                ctx=DistContext.single(torch.device("cpu")))
