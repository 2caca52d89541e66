"""YAML / JSON config files. YAML is read with ``yaml.safe_load`` only.

Example:
    >>> import tempfile, os
    >>> from mmr_augment import GaussianNoise
    >>> path = os.path.join(tempfile.mkdtemp(), "op.yaml")
    >>> save_config(GaussianNoise(std=0.1), path)
    >>> load_config(path).to_config()
    {'type': 'GaussianNoise', 'std': 0.1}
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from .core import Perturbation, from_config
from .errors import ConfigError


def read_config_file(path: str | Path) -> Any:
    """Parse a ``.yaml``/``.yml``/``.json`` file with safe loaders; clear errors."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix.lower() == ".json":
            return json.loads(text)
        return yaml.safe_load(text)
    except (yaml.YAMLError, json.JSONDecodeError) as e:
        kind = "JSON" if path.suffix.lower() == ".json" else "YAML"
        raise ConfigError(f"{path}: not valid {kind} "
                          f"(only plain YAML is accepted, no Python tags): {e}") from None


def load_config(path: str | Path) -> Perturbation:
    """Build the op described by a YAML or JSON file."""
    return from_config(read_config_file(path))


def save_config(op: Perturbation, path: str | Path) -> None:
    """Write ``op.to_config()`` as YAML (or JSON for a ``.json`` path)."""
    path = Path(path)
    cfg = op.to_config()
    if path.suffix.lower() == ".json":
        path.write_text(json.dumps(cfg, indent=2) + "\n", encoding="utf-8")
    else:
        path.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
