"""``mmr-augment corrupt``: manifests per cell, replayable params, keyed seeds, resume."""

from __future__ import annotations

import hashlib
import json

import pytest
import torch

pytest.importorskip("tokenizers", reason="needs the train extra: pip install 'mmr[train]'")
pytest.importorskip("webdataset", reason="needs the scale extra: pip install 'mmr[scale]'")

from mmr_augment import replay
from mmr_augment.cli import main
from mmr_augment.corrupt import build as build_module
from mmr_augment.corrupt import build_corruptions, sample_seed
from mmr_augment.errors import InputError
from mmr_augment.io import read_image
from mmr_augment.synthetic import write
from mmr_train.data import load_manifest

FAMILIES = ["gaussian_noise", "jpeg", "typo"]


def file_hashes(folder):
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    return write(tmp_path_factory.mktemp("src"), 5, 32)


def test_cells_hold_manifest_params_that_replay_and_labels(source, tmp_path):
    out = tmp_path / "c"
    summary = build_corruptions(source, out, FAMILIES, (1, 4), chunk_size=2, workers=1,
                                progress=False)
    assert summary.built == ["clean", "gaussian_noise-s1", "gaussian_noise-s4", "jpeg-s1",
                             "jpeg-s4", "typo-s1", "typo-s4"]
    clean = load_manifest(out / "clean.csv")
    noisy = load_manifest(out / "gaussian_noise-s4.csv")
    typo = load_manifest(out / "typo-s4.csv")
    original = load_manifest(source)
    assert [r.labels for r in noisy] == [r.labels for r in original]  # labels carried over
    assert [r.image for r in typo] == [r.image for r in clean]        # text cells: clean images
    logs = [json.loads(line) for line in (out / "gaussian_noise/s4/params.jsonl").open()]
    assert [e["id"] for e in logs] == [r.id for r in original]
    for entry, row, clean_row in zip(logs, noisy, clean):
        x = read_image(out / clean_row.image)[None]
        expected = (replay(entry["log"], x).clamp(0, 1) * 65535).round() / 65535
        assert (read_image(out / row.image)[None] - expected).abs().max() <= 1.01 / 65535
        assert not torch.equal(read_image(out / row.image), x[0])
    text_logs = [json.loads(line) for line in (out / "typo/s4/params.jsonl").open()]
    for entry, row, src_row in zip(text_logs, typo, original):
        assert replay(entry["log"], [src_row.report]).texts == [row.report]
    # Typo never edits words that carry a finding's polarity, so short reports may stay as they are.
    assert sum(r.report != s.report for r, s in zip(typo, original)) >= 2


def test_params_depend_on_sample_not_on_chunks_or_workers(source, tmp_path):
    build_corruptions(source, tmp_path / "a", ["gaussian_noise", "jpeg"], (2,), chunk_size=2,
                      workers=1, progress=False)
    build_corruptions(source, tmp_path / "b", ["gaussian_noise", "jpeg"], (2,), chunk_size=5,
                      workers=2, progress=False)
    assert file_hashes(tmp_path / "a") == file_hashes(tmp_path / "b")
    assert sample_seed(0, "jpeg", 2, "3") != sample_seed(1, "jpeg", 2, "3")


def test_interrupted_run_resumes_to_the_same_bytes(source, tmp_path, monkeypatch):
    build_corruptions(source, tmp_path / "whole", ["jpeg", "typo"], (1, 2), chunk_size=2,
                      workers=1, progress=False)
    real, calls = build_module.run_local, []

    def dies_after_four_chunks(job, chunks, workers):
        for done in real(job, chunks, workers):
            calls.append(done)
            if len(calls) == 4:
                raise KeyboardInterrupt
            yield done

    monkeypatch.setattr(build_module, "run_local", dies_after_four_chunks)
    with pytest.raises(KeyboardInterrupt):
        build_corruptions(source, tmp_path / "cut", ["jpeg", "typo"], (1, 2), chunk_size=2,
                          workers=1, progress=False)
    monkeypatch.setattr(build_module, "run_local", real)
    again = build_corruptions(source, tmp_path / "cut", ["jpeg", "typo"], (1, 2),
                              chunk_size=2, workers=1, progress=False)
    assert again.skipped == ["clean"] and len(again.built) == 4
    assert file_hashes(tmp_path / "cut") == file_hashes(tmp_path / "whole")


def test_rerun_skips_verified_cells_and_rebuilds_damaged_ones(source, tmp_path):
    out = tmp_path / "c"
    build_corruptions(source, out, ["jpeg"], (1, 2), workers=1, progress=False)
    before = file_hashes(out)
    (out / "jpeg/s2/images/000003.png").write_bytes(b"truncated")
    (out / "jpeg/s1/params.jsonl").unlink()
    again = build_corruptions(source, out, ["jpeg"], (1, 2), workers=1, progress=False)
    assert again.skipped == ["clean"] and again.built == ["jpeg-s1", "jpeg-s2"]
    assert file_hashes(out) == before
    reseeded = build_corruptions(source, out, ["jpeg"], (1,), seed=1, workers=1,
                                 progress=False)
    assert reseeded.built == ["clean", "jpeg-s1"]                 # other seed: not reused


def test_cli_builds_and_refuses_bad_input(source, tmp_path, capsys):
    args = ["corrupt", str(source), "--out", str(tmp_path / "c"), "--families", "pixelate",
            "--severities", "1,5", "--workers", "1", "--no-progress"]
    assert main(args) == 0
    assert "built 3 cells, 0 already complete" in capsys.readouterr().out
    assert (tmp_path / "c" / "pixelate-s5.csv").is_file()
    assert main([*args[:5], "pixlate", *args[6:]]) == 2
    assert "did you mean pixelate" in capsys.readouterr().err
    assert main([*args[:7], "0-6", *args[8:]]) == 2
    assert "severities must lie in 1..5" in capsys.readouterr().err
    with pytest.raises(InputError, match="outside the manifest's folder"):
        bad = tmp_path / "bad.csv"
        bad.write_text("id,image,report\na,../x.png,No effusion.\n")
        build_corruptions(bad, tmp_path / "d", ["jpeg"], (1,), workers=1, progress=False)


@pytest.mark.slow  # ~60 s here (a local Ray instance starts); ray is not in the dev extra
def test_ray_engine_writes_the_same_bytes(source, tmp_path):
    ray = pytest.importorskip("ray")
    build_corruptions(source, tmp_path / "local", ["gaussian_noise", "typo"], (3,),
                      chunk_size=2, workers=1, progress=False)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        build_corruptions(source, tmp_path / "ray", ["gaussian_noise", "typo"], (3,),
                          chunk_size=2, engine="ray", progress=False)
    finally:
        ray.shutdown()
    assert file_hashes(tmp_path / "ray") == file_hashes(tmp_path / "local")
