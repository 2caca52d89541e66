"""Faults during long runs: a crashing DataLoader worker, and determinism across processes.

Already covered (referenced in SECURITY.md, not repeated): SIGKILL during and after a checkpoint
write with a bit-identical resume, and a simulated full disk
(tests/train/test_train_checkpoint.py); the same batches for 0 and 2 DataLoader workers
(tests/integrations/test_integrations_torch.py::
test_collate_same_seed_same_batches_for_0_and_2_workers and
::test_dataset_item_depends_on_index_not_on_workers_or_order).
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import textwrap

import pytest
import torch
from torch.utils.data import DataLoader

pytest.importorskip("tokenizers", reason="needs the train extra: pip install 'mmr[train]'")

from mmr_augment.errors import InputError
from mmr_augment.io import write_png
from mmr_train.data import ManifestDataset, load_manifest

#: One policy call, hashed; run here and in a fresh interpreter.
POLICY_SCRIPT = textwrap.dedent("""
    import hashlib, json, torch, mmr_augment as ma, mmr_augment.text as mt
    policy = ma.MultiModalPolicy(
        image=ma.Sequential([ma.GaussianNoise(), ma.Cutout(), ma.ScannerStyle.preset(
            ma.ScannerStyle.presets()[0])]),
        text=ma.OneOf([mt.Typo(), mt.SentenceDeletion(), mt.SynonymSwap()]),
        severity=(1, 5), drop={"image": 0.1, "text": 0.1}, patch_size=8)
    g = torch.Generator().manual_seed(1234)
    images = torch.rand(6, 1, 32, 32, generator=g)
    texts = ["FINDINGS: No pleural effusion. Mild cardiomegaly. Left lower lobe opacity."] * 6
    out = policy(images, texts, generator=20240601)
    h = hashlib.sha256(out.images.numpy().tobytes())
    h.update(json.dumps([out.texts, out.text_edits, out.mode.tolist()]).encode())
    print(h.hexdigest())
""")


def policy_hash_in_subprocess(threads: int) -> str:
    env_prefix = f"import torch; torch.set_num_threads({threads})\n"
    result = subprocess.run([sys.executable, "-c", env_prefix + POLICY_SCRIPT],
                            capture_output=True, text=True, timeout=300, check=True)
    return result.stdout.strip().splitlines()[-1]


def test_same_seed_same_policy_output_across_processes():
    namespace: dict = {}
    import contextlib
    import io

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        exec(POLICY_SCRIPT, namespace)  # noqa: S102 - our own constant script
    here = buffer.getvalue().strip()
    assert len(here) == 64
    assert policy_hash_in_subprocess(threads=1) == here
    assert policy_hash_in_subprocess(threads=2) == here


@pytest.fixture
def manifest_tree(tmp_path):
    for i in range(6):
        write_png(tmp_path / f"img{i}.png", torch.full((1, 8, 8), i / 6))
    lines = ["id,image,report"] + [f"s{i},img{i}.png,No effusion {i}." for i in range(6)]
    (tmp_path / "m.csv").write_text("\n".join(lines) + "\n")
    return tmp_path


@pytest.mark.parametrize("workers", [0, 2])
def test_worker_crash_names_the_sample(manifest_tree, workers):
    dataset = ManifestDataset(load_manifest(manifest_tree / "m.csv"), size=8)
    (manifest_tree / "img4.png").unlink()  # deleted after the manifest was checked
    loader = DataLoader(dataset, batch_size=2, num_workers=workers)
    with pytest.raises(InputError, match=r"row 5 \(id 's4'\).*img4.png does not exist"):
        for _ in loader:
            pass


@pytest.mark.parametrize("workers", [0, 2])
def test_corrupt_file_in_a_worker_names_the_sample(manifest_tree, workers):
    dataset = ManifestDataset(load_manifest(manifest_tree / "m.csv"), size=8)
    (manifest_tree / "img1.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    loader = DataLoader(dataset, batch_size=3, num_workers=workers)
    with pytest.raises(InputError, match=r"row 2 \(id 's1'\): cannot read image .*img1.png"):
        list(loader)


def test_a_nan_item_in_a_perturbed_dataset_is_refused_in_the_worker():
    from mmr_augment import GaussianNoise
    from mmr_augment.integrations import PerturbedDataset

    items = [{"image": torch.full((1, 4, 4), 0.5), "report": "Clear."} for _ in range(4)]
    items[3]["image"][0, 0, 0] = float("nan")
    dataset = PerturbedDataset(items, GaussianNoise(), keys=["image"], seed=0)
    loader = DataLoader(dataset, batch_size=2, num_workers=2)
    with pytest.raises(InputError, match="NaN or Inf"):
        list(loader)
    digest = hashlib.sha256(dataset[0]["image"].numpy().tobytes()).hexdigest()
    assert digest == hashlib.sha256(dataset[0]["image"].numpy().tobytes()).hexdigest()
