"""Style files: the shipped presets and YAML reading / writing with clear errors.

One :class:`StyleFiles` per style kind (scanner, report) serves both simulators.

Example:
    >>> from mmr_augment.style._report_files import REPORT_FILES
    >>> "terse_templated" in REPORT_FILES.preset_names()
    True
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml

from ..config import read_config_file
from ..errors import ConfigError

SCANNER_HEADER = """\
# A scanner style for mmr_augment.ScannerStyle: how one site renders a radiograph.
# Copy this file, edit it, and load it with ScannerStyle.from_yaml(path).
#
# Stages run in this (physical) order; leave a stage out to skip it:
#   detector    gain, offset, gamma               y = offset + gain * x ** gamma
#   noise       photons, read_std, beta,          Poisson-Gaussian noise, variance
#               correlation                       x / photons + read_std^2; power spectrum
#                                                 |f|^-beta with a Gaussian low-pass of
#                                                 `correlation` pixels (0, 0: white)
#   mtf         sigma                             detector blur (pixels)
#   edge        amount, sigma                     unsharp-mask edge enhancement
#   tone        kind: sigmoid (slope, midpoint) | piecewise (jitter, points) | lut (curve)
#   window      center, width                     default window / level
#   grid        frequency, angle, contrast, sharpness   anti-scatter grid lines
#   bit_depth   bits                              stored bit depth
#   collimation margin, angle, fill, opacity, softness  collimator shutters
#   markers     texts, scale, value               burned-in text (L, R, PORTABLE, ...)
#   caption     height, level, text_value, texts, edge   burned-in caption band
#   jpeg        quality                           lossy export
#   resolution  scale, down, antialias            down-up resampling
#   invert      strength                          MONOCHROME1 mix-up
# Every stage also takes p: the chance that a sample gets it.
# Each number is a fixed value, a [lo, hi] range or {choice: [a, b, ...]}; ranges and
# choices are drawn per sample, so a file with ranges describes a family of sites.
"""



@dataclass(frozen=True)
class StyleFiles:
    """Presets under ``assets/styles/<folder>`` for the style class ``type_name``."""

    folder: str       # "scanner" | "report"
    type_name: str    # "ScannerStyle" | "ReportStyle"
    header: str       # comment block written on top of saved files
    contents: str     # what a file maps: "stages" | "fields"

    def preset_dir(self) -> Any:
        """The shipped presets folder."""
        return files("mmr_augment.assets") / "styles" / self.folder

    def preset_names(self) -> list[str]:
        """Sorted names of the shipped presets (file names without ``.yaml``)."""
        return sorted(p.name[:-5] for p in self.preset_dir().iterdir()
                      if p.name.endswith(".yaml"))

    def preset_path(self, name: str) -> Any:
        """The file of preset ``name``; ``ConfigError`` listing the presets if unknown."""
        names = self.preset_names()
        if not isinstance(name, str) or name not in names:
            close = difflib.get_close_matches(str(name), names, n=2)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ConfigError(f"unknown {self.folder} style preset {name!r}{hint} (presets: "
                              f"{names}; or load your own file with "
                              f"{self.type_name}.from_yaml(path))")
        return self.preset_dir() / f"{name}.yaml"

    def read_style(self, path: str | Path, accepted: list[str]) -> dict[str, Any]:
        """The keyword arguments stored in a style file; unknown keys raise ``ConfigError``."""
        data = read_config_file(path)
        if not isinstance(data, Mapping):
            raise ConfigError(f"{path}: a {self.folder} style file is a mapping of "
                              f"{self.contents}, got {type(data).__name__}")
        data = dict(data)
        if data.get("type", self.type_name) != self.type_name:
            raise ConfigError(f"{path}: type is {data['type']!r}; this loader reads "
                              f"{self.type_name} files (use mmr_augment.load_config for "
                              f"other ops)")
        data.pop("type", None)
        unknown = [k for k in data if k not in accepted]
        if unknown:
            raise ConfigError(f"{path}: unknown key(s) {unknown}; accepted: {accepted}")
        return data

    def write_style(self, config: Mapping[str, Any], path: str | Path) -> None:
        """Write a style config (without its ``type``) as commented YAML."""
        body = {k: v for k, v in config.items() if k != "type"}
        text = self.header + "\n" + yaml.safe_dump(body, sort_keys=False,
                                                    default_flow_style=None)
        Path(path).write_text(text, encoding="utf-8")


SCANNER_FILES = StyleFiles("scanner", "ScannerStyle", SCANNER_HEADER, "stages")
