"""mmr_train.data manifests and ManifestDataset: round trips, resizing, labels and every error."""

import csv
import json
import math
import os
import time
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image
from torch.utils.data import DataLoader

pytest.importorskip("tokenizers", reason="needs the train extra: pip install 'mmr[train]'")

from mmr_augment.errors import ConfigError, InputError
from mmr_augment.io import read_image
from mmr_augment.text import OBSERVATIONS
from mmr_train.data import ManifestDataset, load_manifest
from mmr_train.data.dataset import fit_image

EDEMA, EFFUSION = OBSERVATIONS.index("Edema"), OBSERVATIONS.index("Pleural Effusion")


def write_manifest(path, rows, columns=None):
    """Rows (dicts) as CSV (header = ``columns`` or the first row's keys) or JSONL."""
    if str(path).endswith(".jsonl"):
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
        return path
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=columns or list(rows[0]), restval="")
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture
def tree(tmp_path):
    """A data root with a grey 8-bit PNG, a 16-bit PNG, a wide RGB JPEG and a report file."""
    root = tmp_path / "root"
    (root / "img").mkdir(parents=True)
    Image.fromarray(np.full((8, 8), 128, np.uint8)).save(root / "img/grey.png")
    Image.fromarray(np.full((6, 6), 65535, np.uint16)).save(root / "img/white16.png")
    rgb = np.zeros((10, 20, 3), np.uint8)
    rgb[..., 0] = 255
    Image.fromarray(rgb).save(root / "img/red.jpg", quality=100)
    (root / "r.txt").write_text("FINDINGS: Small left effusion.\n")
    return root


def rows():
    return [
        {"id": "a", "image": "img/grey.png", "report": "No effusion.", "Edema": "1",
         "Pleural Effusion": "0", "domain": "siteB", "split": "train"},
        {"id": "b", "image": "img/white16.png", "report": "Line 1,\nline 2.", "Edema": "-1",
         "Pleural Effusion": "", "domain": "siteA", "split": "validation"},
        {"id": "c", "image": "img/red.jpg", "report": "Normal.", "Edema": "",
         "Pleural Effusion": "1", "domain": "siteB", "split": "test"},
    ]


@pytest.mark.parametrize("name", ["m.csv", "m.jsonl"])
def test_round_trip(tree, name):
    manifest = load_manifest(write_manifest(tree / name, rows()))
    assert [r.id for r in manifest] == ["a", "b", "c"]
    assert manifest.domains == {"siteB": 0, "siteA": 1} and manifest.num_domains == 2
    assert [r.domain for r in manifest] == [0, 1, 0]
    assert [r.split for r in manifest] == ["train", "val", "test"]
    assert manifest.label_columns == ("Edema", "Pleural Effusion")
    items = list(ManifestDataset(manifest, size=4))
    assert items[1]["report"] == "Line 1,\nline 2."
    assert torch.equal(items[0]["image"], torch.full((1, 4, 4), 128 / 255))
    assert torch.equal(items[1]["image"], torch.ones(1, 4, 4))
    assert items[2]["image"].shape == (1, 4, 4) and items[2]["image"].dtype == torch.float32
    assert items[2]["image"].sub(0.299).abs().max() < 0.01  # red -> ITU-R 601 grey
    assert items[0]["labels"][EDEMA] == 1 and items[0]["labels"][EFFUSION] == 0
    assert items[1]["labels"][EDEMA] == -1 and math.isnan(items[1]["labels"][EFFUSION])
    assert items[0]["label_mask"].tolist() == [o in ("Edema", "Pleural Effusion")
                                               for o in OBSERVATIONS]
    assert [i["domain"] for i in items] == [0, 1, 0] and items[2]["id"] == "c"
    batch = next(iter(DataLoader(ManifestDataset(manifest, size=4), batch_size=3)))
    assert batch["image"].shape == (3, 1, 4, 4) and batch["id"] == ["a", "b", "c"]
    assert manifest.split("val")[0].id == "b" and len(manifest.split("train")) == 1


def test_int_domains_kept_and_report_path(tree):
    path = write_manifest(tree / "m.jsonl", [
        {"id": 7, "image": "img/grey.png", "report_path": "r.txt", "domain": 2},
        {"id": 8, "image": "img/grey.png", "report": "Clear.", "domain": 0}])
    manifest = load_manifest(path)
    assert [r.domain for r in manifest] == [2, 0] and manifest.num_domains == 3
    item = ManifestDataset(manifest, size=8)[0]
    assert item["id"] == "7" and item["report"] == "FINDINGS: Small left effusion.\n"
    assert not item["label_mask"].any() and item["labels"].isnan().all()


@pytest.mark.parametrize("policy, value, known", [("keep", -1.0, True), ("ones", 1.0, True),
                                                  ("zeros", 0.0, True), ("ignore", None, False)])
def test_uncertain_policies(tree, policy, value, known):
    manifest = load_manifest(write_manifest(tree / "m.csv", rows()))
    item = ManifestDataset(manifest, size=4, uncertain=policy)[1]
    assert bool(item["label_mask"][EDEMA]) is known
    assert math.isnan(item["labels"][EDEMA]) if value is None else item["labels"][EDEMA] == value


def test_fit_image_crop_stretch_and_channels():
    x = torch.rand(1, 4, 8, generator=torch.Generator().manual_seed(0))
    assert torch.equal(fit_image(x, 4, 1), x[:, :, 2:6])
    stretched = F.interpolate(x[None], size=(4, 4), mode="bilinear", antialias=True)[0]
    assert torch.allclose(fit_image(x, 4, 1, "stretch"), stretched.clamp(0, 1))
    assert torch.equal(fit_image(x, 4, 3), x[:, :, 2:6].expand(3, -1, -1))
    assert fit_image(torch.rand(3, 30, 20), 10, 1).shape == (1, 10, 10)


def test_synthetic_writer_manifest_loads(tmp_path):
    from mmr_augment.synthetic import OBSERVATIONS as SYNTHETIC
    from mmr_augment.synthetic import write

    path = write(tmp_path, 4, 64)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # its detail columns are known: no warning
        manifest = load_manifest(path)
    assert manifest.label_columns == SYNTHETIC and [r.domain for r in manifest] == [0] * 4
    with open(path, encoding="utf-8") as f:
        written = list(csv.DictReader(f))
    item = ManifestDataset(manifest, size=64)[3]
    assert torch.equal(item["image"], read_image(tmp_path / written[3]["image"]))
    assert item["report"] == written[3]["report"] and item["id"] == "3"
    for name in SYNTHETIC:
        assert item["labels"][OBSERVATIONS.index(name)] == float(written[3][name])
    dicom = load_manifest(write(tmp_path / "dcm", 2, 64, format="dicom"))
    assert ManifestDataset(dicom, size=32)[1]["image"].shape == (1, 32, 32)


def test_huge_manifest_streams_linearly(tmp_path):
    n = 50_000
    path = tmp_path / "big.csv"
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "image", "report", "domain", "Edema"])
        w.writerows([i, f"img/{i}.png", "Clear.", f"site{i % 7}", i % 2] for i in range(n))
    start = time.perf_counter()
    manifest = load_manifest(path, check_files=False)
    assert time.perf_counter() - start < 10  # ~1 s here; quadratic work would take minutes
    assert len(manifest) == n and manifest.num_domains == 7 and manifest[-1].domain == (n - 1) % 7


def expect(tree, bad_rows, match, name="m.csv", **kwargs):
    path = write_manifest(tree / name, bad_rows)
    with pytest.raises(InputError, match=match):
        load_manifest(path, **kwargs)


def test_path_escapes(tree, tmp_path):
    base = {"id": "x", "report": "Clear."}
    expect(tree, [rows()[0], {**base, "image": "../outside.png"}],
           r"row 2 \(id 'x'\).*outside the data root")
    expect(tree, [{**base, "image": "/etc/hostname"}], r"row 1 \(id 'x'\).*outside")
    assert len(load_manifest(write_manifest(tree / "m.csv",
                                            [{**base, "image": str(tree / "img/grey.png")}])))
    (tmp_path / "secret.png").write_bytes((tree / "img/grey.png").read_bytes())
    os.symlink(tmp_path / "secret.png", tree / "img/link.png")
    expect(tree, [{**base, "image": "img/link.png"}], r"row 1 \(id 'x'\).*symlink.*outside")
    lazy = load_manifest(tree / "m.csv", check_files=False)
    with pytest.raises(InputError, match=r"row 1 \(id 'x'\).*symlink"):
        ManifestDataset(lazy, size=4)[0]
    expect(tree, [{**base, "image": "img/grey.png", "report": "", "report_path": "../r.txt"}],
           r"row 1 \(id 'x'\).*report_path.*outside")


def test_missing_and_unreadable_files(tree):
    base = {"id": "x", "report": "Clear."}
    expect(tree, [rows()[0], {**base, "image": "img/none.png"}],
           r"row 2 \(id 'x'\).*img/none.png does not exist")
    expect(tree, [{**base, "image": "img"}], r"row 1 .*not a regular file")
    (tree / "img/bad.png").write_bytes(b"not an image")
    manifest = load_manifest(write_manifest(tree / "m.csv", [{**base, "image": "img/bad.png"}]))
    with pytest.raises(InputError, match=r"row 1 \(id 'x'\): cannot read image .*bad.png"):
        ManifestDataset(manifest, size=4)[0]
    manifest = load_manifest(write_manifest(tree / "m.csv", rows()))
    (tree / "img/red.jpg").unlink()
    with pytest.raises(InputError, match=r"row 3 \(id 'c'\).*red.jpg does not exist"):
        ManifestDataset(manifest, size=4)[2]
    (tree / "empty.txt").write_text(" \n")
    path = write_manifest(tree / "m.csv", [{**base, "image": "img/grey.png", "report": "",
                                            "report_path": "empty.txt"}])
    with pytest.raises(InputError, match="row 1.*report is empty"):
        load_manifest(path)
    with pytest.raises(InputError, match=r"row 1 \(id 'x'\): report file .*empty"):
        ManifestDataset(load_manifest(path, check_files=False), size=4)[0]


def test_duplicate_ids_listed(tree):
    r = rows()
    expect(tree, r + [{**r[0]}, {**r[2]}, {**r[0]}],
           r"duplicate ids 'a' \(rows 1, 4, 6\), 'c' \(rows 3, 5\)")


@pytest.mark.parametrize("name", ["m.csv", "m.jsonl"])
def test_empty_reports_raise_or_drop(tree, name):
    r = rows()
    r[1]["report"] = "  "
    expect(tree, r, r"row 2 \(id 'b'\): the report is empty", name)
    with pytest.warns(UserWarning, match=r"dropped 1 row\(s\) with an empty report: 'b'"):
        assert [x.id for x in load_manifest(tree / name, drop_empty=True)] == ["a", "c"]


def test_unknown_columns_warn_once(tree):
    path = write_manifest(tree / "m.csv", [{**r, "scanner": "GE", "age": 3} for r in rows()])
    with pytest.warns(UserWarning, match=r"ignoring unknown column\(s\) \['age', 'scanner'\]"):
        assert len(load_manifest(path)) == 3


@pytest.mark.parametrize("cell, column, match", [
    ({"Edema": "yes"}, "Edema", r"row 2 \(id 'b'\): column 'Edema' has label value 'yes'"),
    ({"Edema": 2}, "Edema", r"row 2 \(id 'b'\): column 'Edema' has label value '?2"),
    ({"split": "dev"}, "split", r"row 2 \(id 'b'\): split 'dev'"),
    ({"domain": ""}, "domain", r"row 2 \(id 'b'\): domain '' is empty"),
    ({"id": ""}, "id", r"row 2: id is empty"),
    ({"image": ""}, "image", r"row 2 \(id 'b'\): column 'image' is empty"),
])
@pytest.mark.parametrize("name", ["m.csv", "m.jsonl"])
def test_bad_cells_name_row_and_column(tree, name, cell, column, match):
    r = rows()
    r[1].update(cell)
    expect(tree, r, match, name)


def test_structural_errors(tree):
    expect(tree, [{"id": "a", "image": "img/grey.png"}], r"missing column\(s\) \['report'\]")
    expect(tree, [{"id": "a", "image": "img/grey.png", "report": "x"}, {"id": "b"}],
           r"row 2: missing column\(s\) \['image', 'report'\]", "m.jsonl")
    (tree / "m.csv").write_text("id,image,report\na,img/grey.png,ok\nb,img/grey.png,x,extra\n")
    with pytest.raises(InputError, match="row 2: 4 cells but the header has 3"):
        load_manifest(tree / "m.csv")
    (tree / "m.jsonl").write_text(json.dumps(rows()[0]) + "\n[1]\n")
    with pytest.raises(InputError, match="row 2: expected a JSON object"):
        load_manifest(tree / "m.jsonl")
    (tree / "m.jsonl").write_text("{oops\n")
    with pytest.raises(InputError, match="row 1: not valid JSON"):
        load_manifest(tree / "m.jsonl")
    (tree / "m.txt").write_text("id,image,report\n")
    with pytest.raises(InputError, match="unknown format"):
        load_manifest(tree / "m.txt")
    with pytest.raises(InputError, match="data root .* is not a folder"):
        load_manifest(write_manifest(tree / "m.csv", rows()), root=tree / "nope")


def test_dataset_arguments_checked(tree):
    manifest = load_manifest(write_manifest(tree / "m.csv", rows()))
    for kwargs in ({"size": 0}, {"channels": 2}, {"resize": "pad"}, {"uncertain": "maybe"}):
        with pytest.raises(ConfigError):
            ManifestDataset(manifest, **kwargs)
    with pytest.raises(InputError, match="takes a Manifest"):
        ManifestDataset(rows())
