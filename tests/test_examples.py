"""Smoke-run every example at a small size, in-process (runpy, registry isolated)."""

import runpy
from pathlib import Path

import pytest
import torch

import mmr_augment as ma
from mmr_augment.extras import missing
from mmr_augment.testing import isolated_registry

needs_text = pytest.mark.skipif(bool(missing("spacy", "scispacy", "nltk")),
                                reason="needs the text extra: pip install 'mmr[text]'")
needs_monai = pytest.mark.skipif(bool(missing("monai")),
                                 reason="needs the monai extra: pip install 'mmr[monai]'")
needs_preview = pytest.mark.skipif(bool(missing("matplotlib", "tqdm")),
                                   reason="needs the preview extra: pip install 'mmr[preview]'")

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SMALL = {
    "custom_op": dict(size=16),
    "gpu_training_step": dict(size=32, steps=2, batch_size=4),
    "monai_pipeline": dict(size=32, n=4, workers=2, batch_size=2),
    "preview_styles": dict(size=32, presets=["cr", "portable_ap"]),
}


def run_example(name, **kwargs):
    with isolated_registry():
        namespace = runpy.run_path(str(EXAMPLES / f"{name}.py"), run_name=f"example_{name}")
        return namespace["main"](**kwargs)


def test_every_example_is_smoke_tested():
    assert sorted(p.stem for p in EXAMPLES.glob("*.py")) == sorted(SMALL)


def test_custom_op_example_passes_and_catches():
    good, bad = run_example("custom_op", **SMALL["custom_op"])
    assert good.ok and {"p0_identity", "global_rng_untouched"} <= set(bad.failed)
    assert "Vignette" not in ma.REGISTRY  # the example's ops did not leak


@needs_text
def test_gpu_training_step_example_learns():
    losses = run_example("gpu_training_step", **SMALL["gpu_training_step"])
    assert len(losses) == 2 and all(torch.isfinite(torch.tensor(losses)))


@needs_monai
def test_monai_pipeline_example():
    batch = run_example("monai_pipeline", **SMALL["monai_pipeline"])
    assert batch["image"].shape == (2, 1, 32, 32) and batch["study_id"].tolist() == [2, 3]
    assert batch["mmr"]["mode"].shape == (2,)


@needs_preview
def test_preview_styles_example_writes_a_png(tmp_path):
    out = run_example("preview_styles", out=str(tmp_path / "s.png"), **SMALL["preview_styles"])
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.cuda
def test_gpu_training_step_example_on_cuda(capsys):
    run_example("gpu_training_step", **SMALL["gpu_training_step"])
    assert capsys.readouterr().out.startswith("cuda:")
