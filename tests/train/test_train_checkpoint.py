"""Checkpoints: atomic writes, clear load errors, and exact resume after SIGKILL."""

from __future__ import annotations

import errno
import signal

import pytest
import torch
from train_fit_cases import run_fit, write_config

pytest.importorskip("tokenizers", reason="needs the train extra: pip install 'mmr[train]'")

from mmr_train import checkpoint as ckpt
from mmr_train.checkpoint import CheckpointError, CheckpointManager, load_checkpoint
from mmr_train.metrics import MetricsLog


def _weights(path):
    return load_checkpoint(path)["model"]


class Opaque:
    """Any class: pickled by reference, so weights_only loading must refuse it."""


# ---------------------------------------------------------------- unit behaviour
def test_keeps_last_k_and_latest_pointer(tmp_path):
    manager = CheckpointManager(tmp_path, keep_last=2)
    for step in (1, 2, 3, 4):
        manager.save({"step": step, "w": torch.full((3,), float(step))}, step)
    assert [p.name for p in manager.checkpoints()] == ["step_00000003.pt", "step_00000004.pt"]
    assert (tmp_path / "latest").read_text() == "step_00000004.pt"
    state = load_checkpoint(manager.latest())
    assert state["format"] == ckpt.FORMAT and state["version"] == ckpt.VERSION
    assert torch.equal(state["w"], torch.full((3,), 4.0))


def test_full_disk_keeps_previous_checkpoint_and_removes_temp(tmp_path, monkeypatch):
    manager = CheckpointManager(tmp_path, keep_last=3)
    manager.save({"w": torch.ones(4)}, 1)

    def full_disk(obj, stream):
        stream.write(b"PK\x03\x04 partial")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(ckpt, "_serialize", full_disk)
    with pytest.raises(CheckpointError, match="no space left") as info:
        manager.save({"w": torch.zeros(4)}, 2)
    assert info.value.errno == errno.ENOSPC
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest", "step_00000001.pt"]
    assert torch.equal(load_checkpoint(manager.latest())["w"], torch.ones(4))


def test_truncated_file_is_a_clear_error(tmp_path):
    path = CheckpointManager(tmp_path).save({"w": torch.arange(1000.0)}, 1)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="truncated or corrupt"):
        load_checkpoint(path)


def test_wrong_version_and_foreign_files_are_refused(tmp_path):
    path = tmp_path / "old.pt"
    torch.save({"format": ckpt.FORMAT, "version": ckpt.VERSION + 1}, path)
    with pytest.raises(CheckpointError, match=f"version {ckpt.VERSION + 1}"):
        load_checkpoint(path)
    torch.save({"weights": torch.ones(1)}, path)
    with pytest.raises(CheckpointError, match="not an mmr_train checkpoint"):
        load_checkpoint(path)
    with pytest.raises(CheckpointError, match="not found"):
        load_checkpoint(tmp_path / "missing.pt")


def test_pickle_payload_is_refused(tmp_path):
    path = tmp_path / "evil.pt"
    torch.save({"format": ckpt.FORMAT, "version": ckpt.VERSION, "obj": Opaque()}, path)
    with pytest.raises(CheckpointError, match="pickled Python objects"):
        load_checkpoint(path)


def test_stale_temp_files_are_removed(tmp_path):
    manager = CheckpointManager(tmp_path)
    manager.save({"w": torch.ones(1)}, 1)
    (tmp_path / ".step_00000002.pt.tmp-123").write_bytes(b"half")
    manager.remove_stale()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest", "step_00000001.pt"]


# ---------------------------------------------------------------- SIGKILL and resume
def test_sigkill_after_and_during_checkpoint_then_resume_is_bit_identical(tmp_path):
    config = write_config(tmp_path / "cfg", train={"max_steps": 4, "grad_accum": 2})
    straight = run_fit(config, tmp_path / "straight", background=True)

    run = tmp_path / "crashed"
    first = run_fit(config, run, fault="kill_after_checkpoint:2")
    assert first.returncode == -signal.SIGKILL, first.stdout + first.stderr
    assert [p.name for p in CheckpointManager(run / "checkpoints").checkpoints()] == [
        "step_00000002.pt"]

    second = run_fit(config, run, "--resume", fault="kill_during_checkpoint:4")
    assert second.returncode == -signal.SIGKILL, second.stdout + second.stderr
    folder = run / "checkpoints"
    assert (folder / "latest").read_text() == "step_00000002.pt"
    assert not (folder / "step_00000004.pt").exists()
    assert list(folder.glob(".step_00000004.pt.tmp-*"))        # the half-written file
    assert load_checkpoint(folder / "step_00000002.pt")["step"] == 2

    third = run_fit(config, run, "--resume")
    assert third.returncode == 0, third.stdout + third.stderr
    assert not list(folder.glob(".*.tmp-*"))
    assert straight.wait(timeout=300) == 0, straight.stdout.read()

    a = _weights(tmp_path / "straight" / "checkpoints" / "step_00000004.pt")
    b = _weights(folder / "step_00000004.pt")
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)
    losses = [[(r["step"], r["total"]) for r in MetricsLog(d / "metrics.jsonl").read()]
              for d in (tmp_path / "straight", run)]
    assert losses[0] == losses[1] and len(losses[1]) == 4      # stale rows were dropped
