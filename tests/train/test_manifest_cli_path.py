"""Issue 20: from a folder of PNGs and a reports CSV to ``fit`` and ``eval`` without writing
YAML, through ``mmr-train manifest``; config keys ``data.root`` / ``data.drop_empty``; paths
relative to the config file; preset names for ``--config``; ``--version``."""

from __future__ import annotations

import csv
import json

import pytest
import torch
import yaml

pytest.importorskip("tokenizers", reason="needs the train extra: pip install 'mmr[train]'")

from mmr_augment.errors import ConfigError
from mmr_augment.io import write_png
from mmr_augment.synthetic import Domain, render_studies
from mmr_train.cli import main
from mmr_train.config import load_fit_config
from mmr_train.make_manifest import build_manifest


def write_folder(tmp, n=16):
    """``tmp/images/*.png`` and ``tmp/reports.csv`` (id = file stem) from synthetic studies,
    plus one image without a report, one empty report and one report without an image."""
    studies = render_studies(torch.arange(n), 32, 0, Domain())
    (tmp / "images").mkdir()
    for i in range(n):
        write_png(tmp / "images" / f"s{i:02d}.png", studies.images[i])
    write_png(tmp / "images" / "orphan.png", studies.images[0])
    (tmp / "images" / "broken.png").write_bytes(b"not a png")
    with (tmp / "reports.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "report"])
        w.writerows([[f"s{i:02d}", studies.reports[i]] for i in range(n)])
        w.writerows([["broken", "No effusion."], ["blank", " "], ["ghost", "No effusion."]])
    return studies


def test_manifest_command_labels_checks_every_row_and_summarises_drops(tmp_path, capsys):
    write_folder(tmp_path, n=4)
    code = main(["manifest", "--images", str(tmp_path / "images"), "--reports",
                 str(tmp_path / "reports.csv"), "--no-progress"])
    out = capsys.readouterr().out
    assert code == 0 and "wrote" in out and ": 4 row(s)" in out
    assert "dropped 1: no report for this image (orphan)" in out
    assert "dropped 1: unreadable image" in out and "(broken)" in out
    assert "dropped 2: report without an image (blank, ghost)" in out
    rows = list(csv.DictReader((tmp_path / "images" / "manifest.csv").open()))
    assert [r["id"] for r in rows] == ["s00", "s01", "s02", "s03"]
    assert rows[0]["image"] == "s00.png" and {r["No Finding"] for r in rows} <= {"1", "0", ""}


def test_a_manifest_outside_the_image_folder_needs_and_names_the_root(tmp_path):
    write_folder(tmp_path, n=2)
    summary = build_manifest(tmp_path / "images", tmp_path / "reports.csv",
                             tmp_path / "elsewhere" / "m.csv", progress=False)
    assert summary.root == str((tmp_path / "images").resolve())
    assert f"--root {summary.root}" in str(summary)


def test_config_keys_root_and_drop_empty_and_paths_relative_to_the_config(tmp_path):
    config = tmp_path / "cfg" / "fit.yaml"
    config.parent.mkdir()
    config.write_text(yaml.safe_dump({"data": {"kind": "manifest", "path": "../m.csv",
                                               "root": "../images", "drop_empty": True}}))
    cfg = load_fit_config(config)
    assert cfg.data.path == str(tmp_path / "m.csv") and cfg.data.drop_empty is True
    assert cfg.data.root == str(tmp_path / "images")
    assert load_fit_config("tiny").model.image_size == 64
    with pytest.raises(ConfigError, match="or a preset name"):
        load_fit_config("tinyy")


def test_version_flags(capsys):
    from mmr_augment.cli import main as augment_main
    for entry, name in ((main, "mmr-train"), (augment_main, "mmr-augment")):
        with pytest.raises(SystemExit) as exit_info:
            entry(["--version"])
        assert exit_info.value.code == 0
        assert capsys.readouterr().out.startswith(f"{name} 0.")


@pytest.mark.slow
def test_pngs_and_a_reports_csv_to_fit_and_eval_without_yaml(tmp_path, capsys):
    write_folder(tmp_path, n=16)
    manifest = tmp_path / "images" / "manifest.csv"
    assert main(["manifest", "--images", str(tmp_path / "images"), "--reports",
                 str(tmp_path / "reports.csv"), "--no-progress"]) == 0
    torch.set_num_threads(1)
    assert main(["fit", "--config", "tiny", "--manifest", str(manifest), "--out",
                 str(tmp_path / "run"), "--max-steps", "1", "--no-progress",
                 "--device", "cpu"]) == 0
    saved = yaml.safe_load((tmp_path / "run" / "config.yaml").read_text())
    assert saved["data"]["kind"] == "manifest" and saved["data"]["path"] == str(manifest)
    assert main(["eval", "--checkpoint", str(tmp_path / "run"), "--train-manifest",
                 str(manifest), "--test-manifest", str(manifest), "--out",
                 str(tmp_path / "eval"), "--robustness-n", "4", "--severities", "1"]) == 0
    result = json.loads((tmp_path / "eval" / "results.json").read_text())
    assert result["n_train"] == 16 and result["n_test"] == 16
    report = (tmp_path / "eval" / "report.md").read_text()
    assert f"Labels probed: {', '.join(result['observations'])}." in report
    assert 'Held-out metrics show "-": every test domain is also a training domain' in report


def test_fit_refuses_a_manifest_with_empty_reports_unless_drop_empty(tmp_path, capsys):
    (tmp_path / "a.png").write_bytes(b"")
    (tmp_path / "m.csv").write_text("id,image,report\na,a.png, \n")
    code = main(["fit", "--config", "tiny", "--manifest", str(tmp_path / "m.csv"), "--out",
                 str(tmp_path / "run"), "--max-steps", "1", "--no-progress"])
    assert code == 2 and "drop_empty" in capsys.readouterr().err
