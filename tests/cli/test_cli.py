"""mmr-augment CLI, called in-process: list, preview, describe, lexicon mine, errors."""

import json

import pytest
import torch
from PIL import Image

import mmr_augment as ma
from mmr_augment import style
from mmr_augment.cli import main
from mmr_augment.extras import missing
from mmr_augment.io import write_dicom

needs_preview = pytest.mark.skipif(bool(missing("matplotlib", "tqdm")),
                                   reason="needs the preview extra: pip install 'mmr[preview]'")
needs_text = pytest.mark.skipif(bool(missing("spacy", "scispacy", "nltk")),
                                reason="needs the text extra: pip install 'mmr[text]'")

REPORT = ("FINDINGS: Mild cardiomegaly. Small left pleural effusion. No pneumothorax.\n"
          "IMPRESSION: Possible right lower lobe pneumonia.")
TEXT_OPS = sorted(n for n, c in ma.REGISTRY.items() if c.modality == "text" and c.severity_table)


def run(capsys, *argv):
    rc = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


def test_list_json_has_every_op(capsys):
    rc, out, _ = run(capsys, "list", "--json")
    assert rc == 0 and {r["name"] for r in json.loads(out)} == set(ma.REGISTRY)


@needs_preview
def test_preview_synthetic_grid_is_one_png(capsys, tmp_path):
    out = tmp_path / "grid.png"
    rc, stdout, _ = run(capsys, "preview", "synthetic", "--size", 48, "--ops", "GaussianNoise",
                        "Pixelate", "--out", out)
    assert rc == 0 and stdout.strip() == f"wrote {out}"
    with Image.open(out) as im:
        assert im.format == "PNG" and im.width > im.height  # 6 columns x 2 rows


@needs_preview
def test_preview_dicom_with_scanner_styles(capsys, tmp_path):
    dcm, out = tmp_path / "x.dcm", tmp_path / "styles.png"
    write_dicom(dcm, torch.linspace(0, 1, 40 * 40).view(1, 40, 40), seed=0)
    rc, _, _ = run(capsys, "preview", dcm, "--styles", "--ops", "cr", "low_dose", "--out", out)
    assert rc == 0 and out.stat().st_size > 0


@needs_preview
@needs_text
def test_preview_report_html_and_markdown(capsys, tmp_path):
    page = tmp_path / "diff.html"
    rc, _, _ = run(capsys, "preview", REPORT, "--out", page, "--severity", 5)
    text = page.read_text()
    assert rc == 0 and text.startswith("<!DOCTYPE html>")
    assert all(name in text for name in TEXT_OPS) and "<ins>" in text
    report = tmp_path / "report.txt"
    report.write_text(REPORT)
    md = tmp_path / "diff.md"
    rc, _, _ = run(capsys, "preview", report, "--ops", "Typo", "SentenceDeletion", "--out", md)
    lines = md.read_text().splitlines()
    assert rc == 0 and sum(line.startswith("## ") for line in lines) == 2
    assert lines.count("| original | perturbed |") == 2


@needs_preview
@needs_text
def test_preview_report_styles(capsys, tmp_path):
    rc, _, err = run(capsys, "preview", REPORT, "--styles", "--out", tmp_path / "s.html")
    if hasattr(style, "ReportStyle"):
        assert rc == 0
    else:  # ReportStyle has not landed: a clear one-line error
        assert rc == 2 and "ReportStyle" in err


@needs_text
def test_describe_policy(capsys, tmp_path):
    policy = ma.MultiModalPolicy(image=ma.Sequential([ma.GaussianNoise(), ma.Cutout()]),
                                 text=ma.text.Typo(rate=0.3), modes={"image": 1, "both": 1},
                                 drop={"text": 0.25}, severity=(1, 5), patch_size=8)
    path = tmp_path / "policy.yaml"
    ma.save_config(policy, path)
    rc, out, _ = run(capsys, "describe", path, "--samples", 8, "--size", 32)
    assert rc == 0 and "Cutout(" in out and "sample run (8 synthetic studies" in out
    rc, out, _ = run(capsys, "describe", path, "--samples", 8, "--size", 32, "--json")
    info = json.loads(out)
    assert info["modes"] == {"none": 0.0, "image": 0.5, "text": 0.0, "both": 0.5}
    assert sum(info["sample_run"]["mode_counts"].values()) == 8
    assert set(info["sample_run"]["mode_counts"]) <= {"image", "both"}


@needs_text
def test_lexicon_mine_writes_the_pairs(capsys, tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("Known chronic obstructive pulmonary disease (COPD).\n\n"
                      "Endotracheal tube (ETT) in place. COPD exacerbation.\n")
    out = tmp_path / "abbreviations.tsv"
    rc, stdout, _ = run(capsys, "lexicon", "mine", corpus, "--out", out)
    rows = [line for line in out.read_text().splitlines() if not line.startswith("#")]
    assert rc == 0 and "2 abbreviation pairs from 2 reports" in stdout
    assert rows == ["COPD\tchronic obstructive pulmonary disease", "ETT\tendotracheal tube"]
    rc, _, _ = run(capsys, "lexicon", "mine", corpus, "--out", out, "--min-count", 2)
    assert rc == 0 and not [r for r in out.read_text().splitlines() if not r.startswith("#")]


@pytest.mark.parametrize("argv, needle", [
    (["describe", "missing.yaml"], "not found"),
    pytest.param(["preview", "missing.png"], "not found", marks=needs_preview),
    pytest.param(["preview", "missing.dcm"], "not found", marks=needs_preview),
    pytest.param(["lexicon", "mine", "missing.txt", "--out", "x.tsv"], "not found",
                 marks=needs_text),
    pytest.param(["preview", "synthetic", "--ops", "GausianNoise"], "did you mean GaussianNoise",
                 marks=needs_preview),
    pytest.param(["preview", REPORT, "--ops", "Invert"], "not a registered text op",
                 marks=[needs_preview, needs_text]),
    pytest.param(["preview", "synthetic"], "pip install 'mmr[preview]'",
                 marks=pytest.mark.skipif(not missing("matplotlib"), reason="preview installed")),
])
def test_errors_are_one_line_with_exit_code_2(capsys, tmp_path, monkeypatch, argv, needle):
    monkeypatch.chdir(tmp_path)
    rc, _, err = run(capsys, *argv)
    assert rc == 2 and needle in err and err.count("\n") == 1 and err.startswith("mmr-augment:")


@pytest.mark.parametrize("content", ["type: Nope\n", "image: {type: GaussianNoise}\n",
                                     "type: GaussianNoise\nstd: [1, 2, 3]\n", "a: [\n"])
def test_bad_configs_exit_2(capsys, tmp_path, content):
    path = tmp_path / "bad.yaml"
    path.write_text(content)
    rc, _, err = run(capsys, "describe", path, "--samples", 0)
    assert rc == 2 and err.count("\n") == 1
