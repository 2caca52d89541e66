"""Burned-in text: laterality markers ("L", "R") and short labels ("PORTABLE", "AP", ...)."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from ..core import Params
from ..errors import ConfigError
from ._kernels.font import load_font
from .base import ImagePerturbation, per_sample

DEFAULT_TEXTS = ("L", "R", "AP", "PA", "PORTABLE", "SUPINE", "ERECT")
POLARITIES = ("auto", "bright", "dark")


def _cells(start: torch.Tensor, scale: torch.Tensor, length: int) -> torch.Tensor:
    """``(B, length)`` font cell under each pixel (nearest scaling); -1 before the text."""
    offset = torch.arange(length, dtype=torch.float64) - start[:, None]
    return torch.where(offset >= 0, torch.floor(offset / scale[:, None]), -1.0).long()


class Markers(ImagePerturbation):
    """Burn one of ``texts`` per sample into the image with the shipped 5x7 bitmap font.

    Each sample gets a text, a magnification ``scale`` (pixels per font cell, nearest
    scaling), a place (``top`` / ``left`` as fractions of the free room, so the text fits when
    it can) and a bright ``value`` written over the glyph pixels. Text is upper-cased; the font
    has A-Z, 0-9 and ``.,-+:/()#%='`` and space.

    ``polarity="auto"`` (the default) keeps the text legible on any film: where the pixels under
    the glyphs are brighter than mid-grey on average (a bright, over-exposed film), the text is
    written dark, ``1 - value``, as display software does for annotations on light backgrounds;
    a white "L" on a 0.9 film was nearly invisible. ``"bright"`` always writes ``value``,
    ``"dark"`` always ``1 - value``.

    Severity (no ImageNet-C / MedMNIST-C row; ours, larger text): scale 1 1.5 2 2.5 3.

    Args:
        texts: candidate strings, one chosen uniformly per sample.
        scale: pixels per font cell (``>= 0.5``).
        value: value written on the glyph pixels (``1 - value`` where the text is dark).
        polarity: ``"auto"``, ``"bright"`` or ``"dark"``, as above.

    Example:
        >>> op = Markers(texts=["L"], scale=1.0, value=1.0)
        >>> x = torch.zeros(1, 1, 12, 12)
        >>> params = op.sample(1, torch.Generator().manual_seed(0))
        >>> int(op.apply(x, params).sum()), int(op.occlusion(x.shape, params).sum())
        (11, 11)
    """

    family = "markers"
    severity_table = {"scale": (1.0, 1.5, 2.0, 2.5, 3.0)}

    def __init__(self, texts: Sequence[str] = DEFAULT_TEXTS, scale=(1.0, 3.0),
                 value=(0.9, 1.0), polarity: str = "auto", *, p: float = 1.0,
                 severity: int | None = None, value_range=(0.0, 1.0)) -> None:
        super().__init__(p=p, severity=severity, value_range=value_range)
        if polarity not in POLARITIES:
            raise ConfigError(f"Markers: polarity must be one of {POLARITIES}, got {polarity!r}")
        self.polarity = polarity
        if isinstance(texts, str) or not isinstance(texts, Sequence) or not texts:
            raise ConfigError(f"Markers: texts must be a non-empty list of strings, e.g. "
                              f"['L', 'R'], got {texts!r}")
        font = load_font()
        for text in texts:
            if not isinstance(text, str):
                raise ConfigError(f"Markers: texts must be strings, got {text!r}")
            font.check(text.upper(), "Markers")
        self.texts = tuple(t.upper() for t in texts)
        self.scale = self.spec("scale", scale, low=0.5)
        self.value = self.spec("value", value, low=0.0, high=1.0)
        self._bitmaps, self._widths = font.render_many(self.texts)

    def _sample(self, batch_size: int, generator: torch.Generator) -> Params:
        text = torch.randint(len(self.texts), (batch_size,), generator=generator)
        scale = self.scale.sample(batch_size, generator)
        place = torch.rand(batch_size, 2, generator=generator, dtype=torch.float64)
        return {"text": text, "scale": scale, "top": place[:, 0], "left": place[:, 1],
                "value": self.value.sample(batch_size, generator)}

    def _glyph_pixels(self, params: Params, height: int, width: int,
                      device: torch.device) -> torch.Tensor:
        """``(B, H, W)`` bool: pixels covered by a lit font cell."""
        text, scale = params["text"].cpu(), params["scale"].cpu()
        rows_in_text, cols_in_text = self._bitmaps.shape[1], self._widths[text]
        # room left for the text; a text wider than the image starts at 0 and is cut
        free_y = (height - torch.ceil(rows_in_text * scale)).clamp(min=0) + 1
        free_x = (width - torch.ceil(cols_in_text * scale)).clamp(min=0) + 1
        row = _cells(torch.floor(params["top"].cpu() * free_y), scale, height).to(device)
        col = _cells(torch.floor(params["left"].cpu() * free_x), scale, width).to(device)
        cols_in_text = cols_in_text.to(device)[:, None]
        inside = ((row >= 0) & (row < rows_in_text))[:, :, None] & \
                 ((col >= 0) & (col < cols_in_text))[:, None, :]
        stride = self._bitmaps.shape[2]
        cell = row.clamp(0, rows_in_text - 1)[:, :, None] * stride + \
            col.clamp(0, stride - 1)[:, None, :]
        bits = self._bitmaps.to(device)[text.to(device)].flatten(1)
        return bits.gather(1, cell.flatten(1)).view(-1, height, width) & inside

    def occlusion(self, shape: tuple[int, ...], params: Params) -> torch.Tensor:
        """``(B, 1, H, W)`` bool: the glyph pixels written (all False where gated off)."""
        gate = params["gate"]
        lit = self._glyph_pixels(params, shape[-2], shape[-1], gate.device)
        return (lit & gate.view(-1, 1, 1))[:, None]

    def _apply(self, x: torch.Tensor, params: Params) -> torch.Tensor:
        lit = self._glyph_pixels(params, x.shape[-2], x.shape[-1], x.device)
        value = per_sample(params["value"], x)
        if self.polarity == "dark":
            value = 1.0 - value
        elif self.polarity == "auto":
            # mean of the pixels the text covers, per sample (0 covered: stays bright)
            under = (x.mean(dim=1) * lit).sum(dim=(1, 2)) / lit.sum(dim=(1, 2)).clamp(min=1)
            value = torch.where(per_sample(under, x) > 0.5, 1.0 - value, value)
        return torch.where(lit[:, None], value, x)
