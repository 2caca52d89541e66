"""The shipped 5x7 bitmap font (``assets/fonts/font5x7.json``) and text rendering to bitmaps.

No system font lookup: glyphs are hand-drawn rows of ``#`` (on) and ``.`` (off), so burned-in
text looks the same on every machine.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.resources import files

import torch

from ...errors import ConfigError

FONT_FILE = "font5x7.json"


@dataclass(frozen=True)
class BitmapFont:
    """A fixed-width bitmap font: ``glyphs[char]`` is a ``(height, width)`` bool tensor."""

    height: int
    width: int
    spacing: int
    glyphs: dict[str, torch.Tensor]

    def check(self, text: str, owner: str) -> None:
        """Raise ``ConfigError`` if ``text`` is empty or has characters without a glyph."""
        missing = sorted(set(text) - set(self.glyphs))
        if not text or missing:
            raise ConfigError(f"{owner}: cannot render {text!r}: characters {missing} are not in "
                              f"the font; use {''.join(sorted(self.glyphs))!r}")

    def render(self, text: str) -> torch.Tensor:
        """``(height, n * (width + spacing) - spacing)`` bool bitmap of one line of text.

        Example:
            >>> font = load_font()
            >>> font.render("L").int()[:, 0].tolist(), font.render("AP").shape
            ([1, 1, 1, 1, 1, 1, 1], torch.Size([7, 11]))
        """
        gap = torch.zeros(self.height, self.spacing, dtype=torch.bool)
        parts: list[torch.Tensor] = []
        for i, char in enumerate(text):
            if i:
                parts.append(gap)
            parts.append(self.glyphs[char])
        return torch.cat(parts, dim=1)

    def render_many(self, texts: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor]:
        """Stack of bitmaps ``(T, height, max_width)`` (zero-padded) and widths ``(T,)``."""
        bitmaps = [self.render(t) for t in texts]
        widest = max(b.shape[1] for b in bitmaps)
        stack = torch.zeros(len(bitmaps), self.height, widest, dtype=torch.bool)
        for i, bitmap in enumerate(bitmaps):
            stack[i, :, :bitmap.shape[1]] = bitmap
        return stack, torch.tensor([b.shape[1] for b in bitmaps])


@functools.lru_cache(maxsize=4)
def load_font(name: str = FONT_FILE) -> BitmapFont:
    """Load a bitmap font shipped in ``mmr_augment.assets/fonts``."""
    raw = json.loads((files("mmr_augment.assets") / "fonts" / name).read_text(encoding="utf-8"))
    height, width, on = raw["height"], raw["width"], raw["on"]
    glyphs = {}
    for char, rows in raw["glyphs"].items():
        if len(rows) != height or any(len(r) != width for r in rows):
            raise ConfigError(f"font {name}: glyph {char!r} is not {height} rows of {width}")
        glyphs[char] = torch.tensor([[c == on for c in row] for row in rows], dtype=torch.bool)
    return BitmapFont(height, width, raw["spacing"], glyphs)
