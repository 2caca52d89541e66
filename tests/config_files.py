"""Shared by the image and text contract tests: an op written to config files and read back."""

from __future__ import annotations

from pathlib import Path

import mmr_augment as ma


def reloaded(op: ma.Perturbation, folder: Path) -> list[ma.Perturbation]:
    """``op`` saved under ``folder`` as YAML and as JSON and loaded back (one op per format);
    asserts that each loaded op has ``op``'s config."""
    out = []
    for suffix in ("yaml", "json"):
        path = folder / f"op.{suffix}"
        ma.save_config(op, path)
        loaded = ma.load_config(path)
        assert loaded.to_config() == op.to_config()
        out.append(loaded)
    return out
