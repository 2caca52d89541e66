"""Report-style files: the shipped presets and YAML reading / writing with clear errors."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml

from ..config import read_config_file
from ..errors import ConfigError

HEADER = """\
# A report style for mmr_augment.ReportStyle: how one department writes the same findings.
# Copy this file, edit it, and load it with ReportStyle.from_yaml(path).
#
# Word-valued fields (the first option, keep, leaves that aspect of the text alone):
#   headers        keep | upper (FINDINGS:) | title (Findings:) | lower (findings:) |
#                  line (FINDINGS on its own line) | dash (findings -) | none (no headers)
#   header_set     keep | standard | conclusion | opinion | summary   (IMPRESSION's word)
#   section_order  keep | findings_first | impression_first
#   numbering      keep | numbered (1. ... 2. ... in the impression) | plain
#   normals        keep | templated ("No acute cardiopulmonary process.") |
#                  narrative ("Heart size is normal. Lungs are clear.")
#   negation       keep | no ("No X.") | not_seen ("X is not seen.") | negative_for |
#                  no_evidence ("There is no evidence of X.") | mixed
#   hedging        keep | may (may represent, possible, ...) | could (could represent,
#                  questionable, ...) | mixed
#   laterality     keep | word (L -> left) | letter (left -> L) | sided (left -> left-sided)
#   measurement    keep | cm | mm   (sizes converted: 2.5 cm <-> 25 mm)
# Each is one option or {choice: [a, b, ...]}, drawn per sample.
# Numbers in [0, 1], each fixed, a [lo, hi] range or {choice: [...]}, drawn per sample:
#   expand / contract  chance that each abbreviation is expanded / each long form contracted
#   join               chance that two short neighbouring sentences are joined with "; "
#   strength           chance that each of the style's aspects is applied to a sample
#   p                  chance that a sample is styled at all
# Rewrites touch only what they recognise and never change what the report labeler reads.
"""


def preset_dir() -> Any:
    """The shipped presets folder (``assets/styles/report``)."""
    return files("mmr_augment.assets") / "styles" / "report"


def preset_names() -> list[str]:
    """Sorted names of the shipped presets (file names without ``.yaml``).

    Example:
        >>> "terse_templated" in preset_names()
        True
    """
    return sorted(p.name[:-5] for p in preset_dir().iterdir() if p.name.endswith(".yaml"))


def preset_path(name: str) -> Any:
    """The file of preset ``name``; ``ConfigError`` listing the presets for an unknown name."""
    names = preset_names()
    if not isinstance(name, str) or name not in names:
        close = difflib.get_close_matches(str(name), names, n=2)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ConfigError(f"unknown report style preset {name!r}{hint} (presets: {names}; "
                          f"or load your own file with ReportStyle.from_yaml(path))")
    return preset_dir() / f"{name}.yaml"


def read_style(path: str | Path, accepted: list[str]) -> dict[str, Any]:
    """The keyword arguments stored in a style YAML file; unknown keys raise ``ConfigError``."""
    data = read_config_file(path)
    if not isinstance(data, Mapping):
        raise ConfigError(f"{path}: a report style file is a mapping of fields, got "
                          f"{type(data).__name__}")
    data = dict(data)
    if data.get("type", "ReportStyle") != "ReportStyle":
        raise ConfigError(f"{path}: type is {data['type']!r}; this loader reads ReportStyle "
                          f"files (use mmr_augment.load_config for other ops)")
    data.pop("type", None)
    unknown = [k for k in data if k not in accepted]
    if unknown:
        raise ConfigError(f"{path}: unknown key(s) {unknown}; accepted: {accepted}")
    return data


def write_style(config: Mapping[str, Any], path: str | Path) -> None:
    """Write a style config (without its ``type``) as commented YAML."""
    body = {k: v for k, v in config.items() if k != "type"}
    text = HEADER + "\n" + yaml.safe_dump(body, sort_keys=False, default_flow_style=None)
    Path(path).write_text(text, encoding="utf-8")
