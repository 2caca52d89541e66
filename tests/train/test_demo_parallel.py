"""The demo's runs in parallel processes give the serial run's results, number for number."""

import json

import pytest

pytest.importorskip("tokenizers", reason="needs the train extra: pip install 'mmr[train]'")

from mmr_train.demo import QUICK, run_demo


def without_timings(results):
    meta = {k: v for k, v in results["meta"].items() if k not in ("timings_s", "wall_time_s")}
    return {**results, "meta": meta}


@pytest.mark.slow  # two quick demos; test_demo.py's quick run already takes the parallel path
def test_parallel_quick_demo_equals_serial(tmp_path):
    run_demo(tmp_path / "serial", seeds=1, size=QUICK, workers=1)
    parallel = run_demo(tmp_path / "parallel", seeds=1, size=QUICK, workers=2)
    serial = json.loads((tmp_path / "serial" / "results.json").read_text())
    assert without_timings(serial) == without_timings(
        json.loads((tmp_path / "parallel" / "results.json").read_text()))
    assert set(parallel["meta"]["timings_s"]) == set(serial["meta"]["timings_s"])
    assert (tmp_path / "parallel" / "ablation" / "no_consistency" / "seed0" / "checkpoints"
            / "latest").is_file()
