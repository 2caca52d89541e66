"""Preview the scanner-style presets on a DICOM (writes a tiny synthetic one if none given).

Same as ``mmr-augment preview FILE.dcm --styles``: one PNG, a row per preset, severity 1..5.

Run: ``python examples/preview_styles.py [FILE.dcm] --out styles.png``
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from mmr_augment._preview import image_rows, load_preview_image, save_grid_png
from mmr_augment.io import read_dicom, write_dicom
from mmr_augment.synthetic import generate


def main(path: str | None = None, size: int = 128, out: str = "styles.png",
         presets: list[str] | None = None) -> Path:
    """Write the preview grid of ``path`` (or of a synthetic DICOM) to ``out``, a row per
    preset (default: every shipped scanner-style preset)."""
    with tempfile.TemporaryDirectory() as tmp:
        if path is None:
            path = str(Path(tmp) / "phantom.dcm")
            write_dicom(path, generate(1, size=size, seed=0).images[0], seed=0)
        _, meta = read_dicom(path)
        print(f"{path}: {meta['modality']} {meta['rows']}x{meta['columns']}, "
              f"{meta['bits_stored']} bits, {meta['photometric_interpretation']}")
        image = load_preview_image(path, size=size)
        result = save_grid_png(out, image, image_rows(presets, styles=True), title=Path(path).name)
    print(f"wrote {result}")
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("path", nargs="?")
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--out", default="styles.png")
    args = parser.parse_args()
    main(args.path, args.size, args.out)
