"""``mmr_augment.synthetic.write``: manifest.csv and images that read back."""

import csv

import numpy as np
import pytest
import torch
from PIL import Image

from mmr_augment import ConfigError, GaussianNoise, InputError
from mmr_augment.synthetic import OBSERVATIONS, generate, pixel_spacing_cm, write


def _manifest(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_png_manifest_and_images_read_back(tmp_path):
    manifest = write(tmp_path / "set", 5, size=64, seed=3)
    rows = _manifest(manifest)
    batch = generate(5, 64, seed=3)
    assert list(rows[0])[:5] == ["id", "image", "report", "domain", "split"]
    assert set(OBSERVATIONS) <= set(rows[0]) and "effusion_side" in rows[0]
    for i, row in enumerate(rows):
        assert int(row["id"]) == i and row["report"] == batch.reports[i]
        assert [int(row[o]) for o in OBSERVATIONS] == batch.labels[i].int().tolist()
        assert row["split"] in {"train", "val", "test"} and row["domain"] == "0"
        assert row["effusion_side"] == batch.laterality(i)["Pleural Effusion"]
        assert float(row["pixel_spacing_cm"]) == pytest.approx(pixel_spacing_cm(64))
        with Image.open(manifest.parent / row["image"]) as im:
            pixels = np.asarray(im).astype(np.float64) / 65535
        assert pixels.shape == (64, 64)
        assert np.abs(pixels - batch.images[i, 0].double().numpy()).max() <= 0.5 / 65535 + 1e-9


def test_domains_column_and_styles(tmp_path):
    rows = _manifest(write(tmp_path, 4, size=64, domains=[None, (GaussianNoise(std=0.1), None)]))
    assert [r["domain"] for r in rows] == ["0", "1", "0", "1"]
    with pytest.raises(ConfigError, match="not both"):
        write(tmp_path, 2, size=64, scanner_style=GaussianNoise(), domains=[None])
    with pytest.raises(InputError, match="format"):
        write(tmp_path, 2, size=64, format="jpeg")


def test_dicom_images_read_back(tmp_path):
    pydicom = pytest.importorskip("pydicom")
    rows = _manifest(write(tmp_path, 2, size=64, seed=1, format="dicom"))
    batch = generate(2, 64, seed=1)
    for i, row in enumerate(rows):
        ds = pydicom.dcmread(tmp_path / row["image"])
        assert float(ds.ImagerPixelSpacing[0]) == pytest.approx(pixel_spacing_cm(64) * 10)
        pixels = torch.from_numpy(ds.pixel_array.astype(np.float64) / 65535)
        assert torch.allclose(pixels, batch.images[i, 0].double(), atol=1 / 65535)
