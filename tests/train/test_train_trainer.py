"""Trainer behaviour on a tiny config: views, baseline vs Robust-MMR, logs, config errors."""

from __future__ import annotations

import json

import pytest
import torch
import yaml
from train_fit_cases import write_config

pytest.importorskip("tokenizers", reason="needs the train extra: pip install 'mmr[train]'")

from mmr_augment.errors import ConfigError, InputError, InputTypeError
from mmr_train.batching import BatchStream, collate_studies, fit_images
from mmr_train.config import load_fit_config
from mmr_train.distributed import DistContext
from mmr_train.optim import warmup_cosine
from mmr_train.sources import RenderedStudies
from mmr_train.trainer import TERMS, Trainer


@pytest.fixture(autouse=True)
def one_thread(torch_threads):
    torch_threads(1)  # 2 shared cores: more threads only add contention


def _trainer(tmp_path, dataset=None, **kwargs):
    cfg = load_fit_config(write_config(tmp_path / "cfg", **kwargs))
    return Trainer(cfg, tmp_path / "run", progress=False,
                   ctx=DistContext.single(torch.device("cpu")), dataset=dataset)


def _studies(n=8, size=32):
    g = torch.Generator().manual_seed(0)
    reports = [f"FINDINGS: No pleural effusion. Heart size is normal. Case {i}." for i in range(n)]
    return RenderedStudies(torch.rand(n, 1, size, size, generator=g), reports)


def test_robust_mmr_fit_logs_every_term_and_learns(tmp_path):
    trainer = _trainer(tmp_path, train={"max_steps": 8, "checkpoint_every": 8, "lr": 3e-3})
    trainer.fit()
    rows = trainer.metrics.read()
    assert [r["step"] for r in rows] == list(range(1, 9))
    assert set(TERMS) | {"lr", "grad_norm", "samples_per_s", "epoch"} <= set(rows[0])
    assert all(r["consistency"] > 0 for r in rows)
    first, last = rows[0]["total"], rows[-1]["total"]
    assert last < first
    expected_lr = [3e-3 * warmup_cosine(s, 1, 8, 1e-5 / 3e-3) for s in range(8)]
    assert [r["lr"] for r in rows] == pytest.approx(expected_lr)
    assert (tmp_path / "run" / "checkpoints" / "tokenizer.json").is_file()
    saved = yaml.safe_load((tmp_path / "run" / "config.yaml").read_text())
    assert saved["train"]["max_steps"] == 8 and saved["method"] == "robust_mmr"


def test_baseline_perturbs_nothing_and_uses_one_view(tmp_path):
    trainer = _trainer(tmp_path, method="baseline")
    batch = trainer.stream.next()
    views = trainer.perturb(batch)
    assert len(views) == 1
    assert torch.equal(views[0].images, batch.images) and views[0].texts == batch.reports
    assert views[0].mode.tolist() == [0, 0]
    terms, _ = trainer.train_step()
    named = dict(zip(TERMS, terms.tolist()))
    assert named["consistency"] == 0.0 and named["resilience"] == 0.0


def test_second_view_comes_from_the_dataset_when_it_has_one(tmp_path):
    trainer = _trainer(tmp_path, policy="none")
    batch = trainer.stream.next()
    assert batch.view2_images is not None
    views = trainer.perturb(batch)
    assert len(views) == 2
    assert torch.equal(views[1].clean_images, batch.view2_images)
    assert views[1].clean_texts == batch.view2_reports


def test_second_view_is_restyled_when_the_dataset_has_none(tmp_path):
    trainer = _trainer(tmp_path, dataset=_studies(), policy="none",
                       views={"scanner": ["dr_flat_panel"], "report": []},
                       data={"second_view": "style"})
    batch = trainer.stream.next()
    first, second = trainer.perturb(batch)
    assert torch.equal(first.clean_images, batch.images)
    assert not torch.equal(second.clean_images, batch.images)      # scanner style applied
    again = trainer.views.second_view(batch, torch.Generator().manual_seed(1))
    assert again[0].shape == batch.images.shape


def test_dataset_second_view_required_but_missing_is_an_error(tmp_path):
    trainer = _trainer(tmp_path, dataset=_studies(), data={"second_view": "dataset"})
    with pytest.raises(InputError, match="view2_image"):
        trainer.perturb(trainer.stream.next())


def test_grad_accum_consumes_micro_batches_and_position_is_saved(tmp_path):
    trainer = _trainer(tmp_path, train={"grad_accum": 3, "batch_size": 2})
    trainer.train_step()
    assert trainer.stream.position() == (0, 3)
    trainer.train_step()                                      # 4 batches per epoch
    assert trainer.stream.position() == (1, 2)
    path = trainer.save_checkpoint()
    state = torch.load(path, weights_only=True)
    assert (state["step"], state["epoch"], state["batch_index"]) == (2, 1, 2)
    assert set(state["rng"][0]) == {"torch", "policy", "views", "masking"}


def test_existing_run_needs_resume_and_the_same_config(tmp_path):
    trainer = _trainer(tmp_path, train={"max_steps": 2})
    trainer.fit()
    with pytest.raises(ConfigError, match="--resume"):
        _trainer(tmp_path, train={"max_steps": 2})
    cfg = load_fit_config(write_config(tmp_path / "cfg", train={"max_steps": 2, "lr": 0.5}))
    with pytest.raises(ConfigError, match="train.lr"):
        Trainer(cfg, tmp_path / "run", resume=True, progress=False,
                ctx=DistContext.single(torch.device("cpu")))


def test_config_errors_are_clear(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("train: [1, 2\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_fit_config(bad)
    bad.write_text(yaml.safe_dump({"data": {"kind": "parquet"}}))
    with pytest.raises(ConfigError, match="unknown data.kind 'parquet'"):
        _trainer(tmp_path, data={"kind": "parquet"})
    with pytest.raises(ConfigError, match="fp16 needs CUDA"):
        _trainer(tmp_path, train={"precision": "fp16"})
    with pytest.raises(ConfigError, match="train.batch_size must be >= 1"):
        load_fit_config(write_config(tmp_path / "c2", train={"batch_size": 0}))
    with pytest.raises(ConfigError, match="policy must be"):
        load_fit_config(write_config(tmp_path / "c3", policy=3))


def test_collate_resizes_converts_channels_and_refuses_integers():
    items = [{"image": torch.rand(3, 40, 48), "report": "a", "label_vector": torch.ones(2)},
             {"image": torch.rand(1, 32, 32), "report": "b", "label_vector": torch.zeros(2)}]
    batch = collate_studies(items, image_size=32, channels=1)
    assert batch.images.shape == (2, 1, 32, 32) and batch.labels.tolist() == [[1, 1], [0, 0]]
    assert torch.equal(batch.images[1], items[1]["image"]) and batch.view2_images is None
    assert fit_images([torch.rand(1, 8, 8)], 8, 3).shape == (1, 3, 8, 8)
    with pytest.raises(InputTypeError, match="integer images"):
        fit_images([torch.zeros(1, 8, 8, dtype=torch.uint8)], 8, 1)


def test_stream_seek_replays_the_uninterrupted_order():
    items = [{"image": torch.zeros(1, 4, 4), "report": str(i)} for i in range(10)]
    full = BatchStream(items, 3, seed=5, image_size=4, channels=1)
    order = [full.next().reports for _ in range(7)]
    resumed = BatchStream(items, 3, seed=5, image_size=4, channels=1)
    resumed.seek(1, 1)                                       # 3 batches per epoch: batch 4
    assert [resumed.next().reports for _ in range(3)] == order[4:]
    ranks = [BatchStream(items, 2, 5, 4, 1, rank=r, world_size=2).next().reports
             for r in (0, 1)]
    assert not set(ranks[0]) & set(ranks[1])


def test_metrics_rows_are_json(tmp_path):
    trainer = _trainer(tmp_path, train={"max_steps": 1})
    trainer.fit()
    line = (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()[0]
    assert json.loads(line)["step"] == 1


def test_fit_on_a_manifest_written_to_disk(tmp_path):
    from mmr_augment.synthetic import write

    manifest = write(tmp_path / "data", 6, 32, scanner_style="cr", seed=3)
    trainer = _trainer(tmp_path, data={"kind": "manifest", "path": str(manifest),
                                       "second_view": "style"},
                       train={"max_steps": 2, "checkpoint_every": 2})
    assert len(trainer.dataset) == 6 and trainer.dataset[0]["image"].shape == (1, 32, 32)
    trainer.fit()
    rows = trainer.metrics.read()
    assert [r["step"] for r in rows] == [1, 2] and all(r["total"] > 0 for r in rows)


def test_shipped_real_data_config_parses_to_base_on_a_manifest():
    from importlib import resources

    cfg = load_fit_config(resources.files("mmr_train") / "configs" / "base_manifest.yaml")
    assert cfg.data.kind == "manifest" and cfg.data.second_view == "style"
    assert cfg.model.width == 768 and cfg.model.image_size == 224


def test_optimizer_is_fused_adamw_and_steps_like_the_per_tensor_loop():
    from mmr_train.config import TrainSettings
    from mmr_train.optim import build_optimizer

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(6, 5), torch.nn.LayerNorm(5))
    loop_model = __import__("copy").deepcopy(model)
    fused = build_optimizer(model, TrainSettings(lr=0.01))
    loop = build_optimizer(loop_model, TrainSettings(lr=0.01))
    assert [g["fused"] for g in fused.param_groups] == [True, True]  # torch 2.13 on CPU
    for group in loop.param_groups:  # the same groups, stepped by the per-tensor loop
        group["fused"], group["foreach"] = None, False
    x = torch.randn(4, 6)
    for _ in range(5):
        for m, opt in ((model, fused), (loop_model, loop)):
            opt.zero_grad()
            m(x).square().sum().backward()
            opt.step()
    # float32 rounding differences only (a missing weight decay alone moves 2.5e-4 a step)
    for a, b in zip(model.parameters(), loop_model.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-5)
