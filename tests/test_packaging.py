"""The wheel carries the package data (assets/) and a non-editable install can load it."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(out), str(ROOT)], check=True)
    return next(out.glob("mmr-*.whl"))


def test_wheel_contains_every_package_and_asset(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for init in ROOT.glob("mmr_*/**/__init__.py"):
        assert str(init.relative_to(ROOT)) in names, f"{init} missing: add it to pyproject packages"
    for asset in (ROOT / "assets").rglob("*"):
        if asset.is_file() and asset.suffix in {".yaml", ".json", ".txt", ".tsv", ".csv"}:
            rel = "mmr_augment/assets/" + str(asset.relative_to(ROOT / "assets"))
            assert rel in names, f"{rel} missing from the wheel"
    assert "mmr_augment/py.typed" in names


def test_non_editable_install_loads_assets(wheel, tmp_path):
    target = tmp_path / "site"
    with zipfile.ZipFile(wheel) as z:
        z.extractall(target)  # a wheel is a zip of the installed tree
    code = ("import importlib.resources as r, mmr_augment; "
            f"assert mmr_augment.__file__.startswith({str(target)!r}), mmr_augment.__file__; "
            "files = [p.name for p in r.files('mmr_augment.assets').iterdir()]; "
            "assert '__init__.py' in files; print(len(files))")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, check=True,
                         capture_output=True, text=True,
                         env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"})
    assert int(out.stdout) >= 1
