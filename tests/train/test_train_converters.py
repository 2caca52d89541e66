"""Manifest converters on tiny fake MIMIC-CXR-JPG, IU X-ray and ROCO trees."""

import csv
import gzip
import zipfile

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("tokenizers", reason="needs the train extra: pip install 'mmr[train]'")

from mmr_augment.errors import ConfigError, InputError
from mmr_augment.text import OBSERVATIONS
from mmr_train.data import (
    CONVERTERS,
    ManifestDataset,
    build_iu_xray_manifest,
    build_mimic_cxr_manifest,
    build_roco_manifest,
    build_slake_manifest,
    build_vqa_rad_manifest,
    load_manifest,
)


def picture(path, value=100, size=(12, 10)):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full(size[::-1], value, np.uint8)).save(path)


def read_rows(path):
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def gz_csv(path, header, rows):
    with gzip.open(path, "wt", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)


MIMIC_REPORT = """                                 FINAL REPORT
 EXAMINATION:  CHEST (PA AND LAT)
 INDICATION:  ___F with cough
 FINDINGS:
 There is no focal consolidation or pleural
 effusion.
 IMPRESSION:
 No acute cardiopulmonary process.
"""


@pytest.fixture
def mimic(tmp_path):
    """2 subjects, 3 studies, 5 images (one lateral, one missing), one report without FINDINGS
    or IMPRESSION, one study without a report."""
    root = tmp_path / "mimic-cxr-jpg"
    images = [("d1", "10000032", "50000001", "PA"), ("d2", "10000032", "50000001", "LATERAL"),
              ("d3", "10000032", "50000002", "AP"), ("d4", "11000011", "50000003", "PA"),
              ("d5", "11000011", "50000003", "AP"), ("d6", "11000011", "50000004", "PA")]
    for dicom, subject, study, _ in images:
        if dicom != "d5":
            picture(root / f"files/p{subject[:2]}/p{subject}/s{study}/{dicom}.jpg")
    root.mkdir(exist_ok=True)
    gz_csv(root / "mimic-cxr-2.0.0-metadata.csv.gz", ["dicom_id", "subject_id", "study_id",
           "ViewPosition", "Rows"], [[d, s, t, v, 10] for d, s, t, v in images])
    gz_csv(root / "mimic-cxr-2.0.0-split.csv.gz", ["dicom_id", "study_id", "subject_id", "split"],
           [[d, t, s, "validate" if d == "d3" else "train"] for d, s, t, _ in images])
    labels = [["10000032", "50000001"] + [""] * 14, ["10000032", "50000002"] + [""] * 14]
    labels[0][2 + OBSERVATIONS.index("Edema")] = "1.0"
    labels[0][2 + OBSERVATIONS.index("Pneumonia")] = "-1.0"
    labels[1][2 + OBSERVATIONS.index("No Finding")] = "1.0"
    gz_csv(root / "mimic-cxr-2.0.0-chexpert.csv.gz", ["subject_id", "study_id", *OBSERVATIONS],
           labels)
    with zipfile.ZipFile(root / "mimic-cxr-reports.zip", "w") as z:
        z.writestr("files/p10/p10000032/s50000001.txt", MIMIC_REPORT)
        z.writestr("files/p10/p10000032/s50000002.txt", "IMPRESSION: Mild edema.\n")
        z.writestr("files/p11/p11000011/s50000003.txt", "INDICATION: pain.\nNothing else.\n")
    return root


def test_mimic_frontal_views_sections_labels_split(mimic, tmp_path):
    with pytest.warns(UserWarning) as caught:
        n = build_mimic_cxr_manifest(mimic, mimic / "manifest.csv")
    messages = " | ".join(str(w.message) for w in caught)
    assert "image file missing: files/p11/p11000011/s50000003/d5.jpg" in messages
    assert "report without FINDINGS/IMPRESSION text: s50000003" in messages
    assert "no report for the study: s50000004" in messages
    rows = read_rows(mimic / "manifest.csv")
    assert n == 2 and [r["id"] for r in rows] == ["d1", "d3"]  # d2 is lateral
    assert rows[0]["report"] == ("FINDINGS: There is no focal consolidation or pleural effusion."
                                 "\n\nIMPRESSION: No acute cardiopulmonary process.")
    assert rows[1]["report"] == "IMPRESSION: Mild edema."
    assert [r["split"] for r in rows] == ["train", "val"]
    assert (rows[0]["Edema"], rows[0]["Pneumonia"], rows[0]["Cardiomegaly"]) == ("1", "-1", "")
    assert rows[0]["image"] == "files/p10/p10000032/s50000001/d1.jpg"
    assert rows[0]["view"] == "PA" and rows[0]["domain"] == "mimic-cxr"
    manifest = load_manifest(mimic / "manifest.csv")
    item = ManifestDataset(manifest, size=8)[0]
    assert item["labels"][OBSERVATIONS.index("Pneumonia")] == -1 and item["image"].shape == (
        1, 8, 8)
    elsewhere = tmp_path / "out" / "all.csv"
    with pytest.warns(UserWarning):
        assert build_mimic_cxr_manifest(mimic, elsewhere, views=None, sections=None) == 4
    assert read_rows(elsewhere)[1]["report"].startswith("FINAL REPORT EXAMINATION:")
    assert len(load_manifest(elsewhere, root=mimic)) == 4


def test_mimic_reports_folder_and_errors(mimic, tmp_path):
    folder = tmp_path / "reports"
    with zipfile.ZipFile(mimic / "mimic-cxr-reports.zip") as z:
        z.extractall(folder)
    (mimic / "mimic-cxr-reports.zip").unlink()
    with pytest.raises(InputError, match="no reports in .*pass reports="):
        build_mimic_cxr_manifest(mimic, tmp_path / "m.csv")
    with pytest.warns(UserWarning):
        assert build_mimic_cxr_manifest(mimic, tmp_path / "m.csv", reports=folder) == 2
    (mimic / "mimic-cxr-2.0.0-split.csv.gz").unlink()
    with pytest.raises(InputError, match="split table not found.*split.csv.gz"):
        build_mimic_cxr_manifest(mimic, tmp_path / "m.csv", reports=folder)


def iu_report(uid, findings, impression, images):
    parents = "".join(f'<parentImage id="{i}"><caption>Xray Chest PA and Lateral</caption>'
                      f"</parentImage>" for i in images)
    return (f'<?xml version="1.0"?><eCitation><uId id="{uid}"/><MedlineCitation><Article>'
            f'<Abstract><AbstractText Label="COMPARISON">None.</AbstractText>'
            f'<AbstractText Label="INDICATION">cough</AbstractText>'
            f'<AbstractText Label="FINDINGS">{findings}</AbstractText>'
            f'<AbstractText Label="IMPRESSION">{impression}</AbstractText></Abstract>'
            f"</Article></MedlineCitation>{parents}</eCitation>")


@pytest.fixture
def iu(tmp_path):
    root = tmp_path / "iu"
    (root / "ecgen-radiology").mkdir(parents=True)
    (root / "ecgen-radiology/1.xml").write_text(iu_report(
        "CXR1", "The heart is normal in size.  No pleural effusion.", "Normal chest.",
        ["CXR1_1_IM-0001-3001", "CXR1_1_IM-0001-4001"]))
    (root / "ecgen-radiology/2.xml").write_text(iu_report(
        "CXR2", "", "Large right pleural effusion.", ["CXR2_IM-0652-1001", "CXR2_IM-0652-2001"]))
    (root / "ecgen-radiology/10.xml").write_text(iu_report("CXR10", "", "", ["CXR10_IM-0002"]))
    for name in ("CXR1_1_IM-0001-3001", "CXR1_1_IM-0001-4001", "CXR2_IM-0652-1001"):
        picture(root / f"NLMCXR_png/{name}.png")
    return root


def test_iu_xray_reports_images_labels_split(iu):
    with pytest.warns(UserWarning) as caught:
        n = build_iu_xray_manifest(iu, iu / "m.csv", label_reports=True, split=(0, 1, 0))
    messages = " | ".join(str(w.message) for w in caught)
    assert "image file missing: NLMCXR_png/CXR2_IM-0652-2001.png" in messages
    assert "without FINDINGS / IMPRESSION text: 10.xml" in messages
    rows = read_rows(iu / "m.csv")
    assert n == 3 and [r["id"] for r in rows] == ["CXR1_1_IM-0001-3001", "CXR1_1_IM-0001-4001",
                                                  "CXR2_IM-0652-1001"]
    assert rows[0]["report"] == ("FINDINGS: The heart is normal in size. No pleural effusion."
                                 "\n\nIMPRESSION: Normal chest.")
    assert rows[2]["report"] == "IMPRESSION: Large right pleural effusion."
    assert (rows[0]["Pleural Effusion"], rows[2]["Pleural Effusion"]) == ("0", "1")
    assert rows[0]["No Finding"] == "1" and rows[2]["No Finding"] == ""
    assert {r["split"] for r in rows} == {"val"} and rows[1]["study_id"] == "CXR1"
    manifest = load_manifest(iu / "m.csv")
    assert manifest.domains == {"iu-xray": 0} and len(ManifestDataset(manifest, 8)) == 3


def test_iu_xray_split_by_study_and_errors(iu, tmp_path):
    with pytest.warns(UserWarning):
        build_iu_xray_manifest(iu, iu / "m.csv")
    rows = read_rows(iu / "m.csv")
    assert rows[0]["split"] == rows[1]["split"] and all(r["Edema"] == "" for r in rows)
    with pytest.raises(ConfigError, match="three non-negative shares"):
        build_iu_xray_manifest(iu, iu / "m.csv", split=(0.5, 0.5))
    with pytest.raises(InputError, match="no ecgen-radiology/ folder"):
        build_iu_xray_manifest(tmp_path, tmp_path / "m.csv")
    (iu / "ecgen-radiology/3.xml").write_text("<eCitation>")
    with pytest.raises(InputError, match="3.xml is not valid XML"):
        build_iu_xray_manifest(iu, iu / "m.csv")


@pytest.fixture
def roco(tmp_path):
    data = tmp_path / "roco-dataset" / "data"
    train, val = data / "train/radiology", data / "validation/radiology"
    train.mkdir(parents=True)
    val.mkdir(parents=True)
    (train / "captions.txt").write_text(
        "ROCO_00001\t Chest radiograph showing a right pleural effusion.\n"
        "ROCO_00002\t Axial CT of the abdomen.\nROCO_00003\t Missing image.\n")
    (train / "dlinks.txt").write_text(
        "ROCO_00002\twget -r ftp://x/oa_package/69/93/PMC3498864.tar.gz -P /path/to/Dir\t"
        "fig2.jpg\n")
    picture(train / "images/ROCO_00001.jpg")
    picture(train / "images/PMC3498864_fig2.jpg", 200)
    (val / "captions.txt").write_text("ROCO_00020\t  Postoperative radiograph of the pelvis.\n")
    picture(val / "images/ROCO_00020.png")
    return data.parent


def test_roco_captions_images_and_splits(roco):
    with pytest.warns(UserWarning, match=r"skipped 1 sample\(s\), image file missing: "
                                         r"radiology/ROCO_00003"):
        n = build_roco_manifest(roco, roco / "m.csv", label_reports=True)
    rows = read_rows(roco / "m.csv")
    assert n == 3 and [r["id"] for r in rows] == ["ROCO_00001", "ROCO_00002", "ROCO_00020"]
    assert rows[1]["image"] == "data/train/radiology/images/PMC3498864_fig2.jpg"
    assert rows[2]["report"] == "Postoperative radiograph of the pelvis."
    assert [r["split"] for r in rows] == ["train", "train", "val"]
    assert rows[0]["Pleural Effusion"] == "1" and rows[1]["Pleural Effusion"] == ""
    item = ManifestDataset(load_manifest(roco / "m.csv"), size=4)[1]
    assert item["report"] == "Axial CT of the abdomen."
    assert abs(item["image"].max() - 200 / 255) < 0.02
    assert build_roco_manifest(roco / "data", roco / "val.csv", splits=("validation",)) == 1


def test_converter_errors_and_registry(roco, tmp_path):
    with pytest.raises(InputError, match="no train/validation/test x radiology folders"):
        build_roco_manifest(tmp_path / "roco-dataset" / "data" / "train", tmp_path / "m.csv")
    (roco / "data/test/radiology").mkdir(parents=True)
    (roco / "data/test/radiology/captions.txt").write_text("ROCO_09\t No image.\n")
    with pytest.raises(InputError, match="no sample found"), pytest.warns(UserWarning):
        build_roco_manifest(roco, tmp_path / "m.csv", splits=("test",))
    assert not (tmp_path / "m.csv").exists()
    with pytest.raises(InputError, match="dataset root .* is not a folder"):
        CONVERTERS["mimic-cxr-jpg"](tmp_path / "none", tmp_path / "m.csv")
    expected = {"mimic-cxr-jpg": build_mimic_cxr_manifest, "iu-xray": build_iu_xray_manifest,
                "roco": build_roco_manifest, "vqa-rad": build_vqa_rad_manifest,
                "slake": build_slake_manifest}
    assert expected == CONVERTERS
