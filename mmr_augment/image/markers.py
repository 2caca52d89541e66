"""Burned-in text: laterality markers ("L", "R") and short labels ("PORTABLE", "AP", ...), and
caption bands (a dark strip along an edge with a line of small text)."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from ..core import Params
from ..errors import ConfigError
from ._kernels.font import load_font
from .base import ImagePerturbation, per_sample

DEFAULT_TEXTS = ("L", "R", "AP", "PA", "PORTABLE", "SUPINE", "ERECT")
POLARITIES = ("auto", "bright", "dark")
DEFAULT_CAPTIONS = ("SOURCE : J DOE, 02-24-2009", "UPLOADER : A SMITH, 08-12-2006",
                    "W 24132 L 9994", "PAGE 1 OF 1", "ZOOM : 55% WL : 2048 WW : 4095")
CAPTION_EDGES = ("bottom", "top")


def _cells(start: torch.Tensor, scale: torch.Tensor, length: int) -> torch.Tensor:
    """``(B, length)`` font cell under each pixel (nearest scaling); -1 before the text."""
    offset = torch.arange(length, dtype=torch.float64) - start[:, None]
    return torch.where(offset >= 0, torch.floor(offset / scale[:, None]), -1.0).long()


def text_pixels(bitmaps: torch.Tensor, widths: torch.Tensor, text: torch.Tensor,
                scale: torch.Tensor, top: torch.Tensor, left: torch.Tensor, height: int,
                width: int, device: torch.device) -> torch.Tensor:
    """``(B, H, W)`` bool: pixels covered by a lit font cell of text ``text[b]`` (rows of
    ``bitmaps`` / ``widths``, :meth:`BitmapFont.render_many`) at ``scale[b]`` pixels per cell,
    its top-left cell at pixel ``(top[b], left[b])``; text beyond the image is cut.

    Example:
        >>> bitmaps, widths = load_font().render_many(["I"])
        >>> lit = text_pixels(bitmaps, widths, torch.tensor([0]), torch.tensor([1.0]),
        ...                   torch.tensor([1.0]), torch.tensor([2.0]), 9, 9, torch.device("cpu"))
        >>> int(lit.sum()), lit[0, 0].any().item()
        (11, False)
    """
    rows_in_text, cols_in_text = bitmaps.shape[1], widths[text]
    row = _cells(top, scale, height).to(device)
    col = _cells(left, scale, width).to(device)
    cols_in_text = cols_in_text.to(device)[:, None]
    inside = ((row >= 0) & (row < rows_in_text))[:, :, None] & \
             ((col >= 0) & (col < cols_in_text))[:, None, :]
    stride = bitmaps.shape[2]
    cell = row.clamp(0, rows_in_text - 1)[:, :, None] * stride + \
        col.clamp(0, stride - 1)[:, None, :]
    bits = bitmaps.to(device)[text.to(device)].flatten(1)
    return bits.gather(1, cell.flatten(1)).view(-1, height, width) & inside


def _font_texts(texts: Sequence[str], owner: str, example: str) -> tuple[str, ...]:
    """``texts`` upper-cased, after checking that each is a string the font can render."""
    if isinstance(texts, str) or not isinstance(texts, Sequence) or not texts:
        raise ConfigError(f"{owner}: texts must be a non-empty list of strings, e.g. "
                          f"{example}, got {texts!r}")
    font = load_font()
    for text in texts:
        if not isinstance(text, str):
            raise ConfigError(f"{owner}: texts must be strings, got {text!r}")
        font.check(text.upper(), owner)
    return tuple(t.upper() for t in texts)


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
        self.texts = _font_texts(texts, "Markers", "['L', 'R']")
        self.scale = self.spec("scale", scale, low=0.5)
        self.value = self.spec("value", value, low=0.0, high=1.0)
        self._bitmaps, self._widths = load_font().render_many(self.texts)

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
        # room left for the text; a text wider than the image starts at 0 and is cut
        free_y = (height - torch.ceil(self._bitmaps.shape[1] * scale)).clamp(min=0) + 1
        free_x = (width - torch.ceil(self._widths[text] * scale)).clamp(min=0) + 1
        return text_pixels(self._bitmaps, self._widths, text, scale,
                           torch.floor(params["top"].cpu() * free_y),
                           torch.floor(params["left"].cpu() * free_x), height, width, device)

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


class CaptionBand(ImagePerturbation):
    """Burn a caption band (a dark strip with a line of small text) into the bottom edge.

    Teaching-file exports (MedPix, where VQA-RAD's films come from) and some film printers stamp
    source, date and window values in such a strip under the image (``edge="top"``: above it).

    Each sample gets a band ``height`` (a fraction of the image height, at least 1 px), a
    ``level`` filling it, one of ``texts`` written in ``text_value`` with the shipped 5x7 font at
    the largest scale (pixels per font cell, at least 0.5) whose 7 rows fit in the band less a
    pixel, centred across the band, and a place along the edge (a fraction of the free room).
    The band replaces what lay under it; text that does not fit is cut.

    Severity (no ImageNet-C / MedMNIST-C row; ours): height .02 .04 .06 .08 .10.

    Args:
        height: band height as a fraction of the image height, in ``(0, 0.5]``.
        level: value of the band.
        text_value: value written on the glyph pixels.
        texts: candidate captions, one chosen uniformly per sample.
        edge: ``"bottom"`` or ``"top"``.

    Example:
        >>> op = CaptionBand(height=0.25, level=0.0, text_value=1.0, texts=["I"])
        >>> y = op(torch.full((1, 1, 16, 16), 0.5), generator=0)
        >>> y[0, 0, :12].eq(0.5).all().item(), y[0, 0, 12:].unique().tolist()
        (True, [0.0, 1.0])
    """

    family = "markers"
    severity_table = {"height": (0.02, 0.04, 0.06, 0.08, 0.1)}

    def __init__(self, height=(0.01, 0.03), level=(0.0, 0.1), text_value=(0.15, 0.35),
                 texts: Sequence[str] = DEFAULT_CAPTIONS, edge: str = "bottom", *,
                 p: float = 1.0, severity: int | None = None, value_range=(0.0, 1.0)) -> None:
        super().__init__(p=p, severity=severity, value_range=value_range)
        if edge not in CAPTION_EDGES:
            raise ConfigError(f"CaptionBand: edge must be one of {CAPTION_EDGES}, got {edge!r}")
        self.edge = edge
        self.texts = _font_texts(texts, "CaptionBand", "['SOURCE : J DOE']")
        self.height = self.spec("height", height, low=1e-6, high=0.5)
        self.level = self.spec("level", level, low=0.0, high=1.0)
        self.text_value = self.spec("text_value", text_value, low=0.0, high=1.0)
        self._bitmaps, self._widths = load_font().render_many(self.texts)

    def _sample(self, batch_size: int, generator: torch.Generator) -> Params:
        params = {name: getattr(self, name).sample(batch_size, generator)
                  for name in ("height", "level", "text_value")}
        params["text"] = torch.randint(len(self.texts), (batch_size,), generator=generator)
        params["left"] = torch.rand(batch_size, generator=generator, dtype=torch.float64)
        return params

    def _band(self, params: Params, height: int, width: int,
              device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        """``(B, H, 1)`` bool band rows and ``(B, H, W)`` bool glyph pixels inside it."""
        rows = (params["height"].cpu() * height).round().clamp(1, height)
        scale = ((rows - 1) / self._bitmaps.shape[1]).clamp(min=0.5)
        top = (height - rows) if self.edge == "bottom" else torch.zeros_like(rows)
        top = top + torch.floor((rows - torch.ceil(self._bitmaps.shape[1] * scale))
                                .clamp(min=0) / 2)
        text = params["text"].cpu()
        free_x = (width - torch.ceil(self._widths[text] * scale)).clamp(min=0) + 1
        lit = text_pixels(self._bitmaps, self._widths, text, scale, top,
                          torch.floor(params["left"].cpu() * free_x), height, width, device)
        line = torch.arange(height, device=device)[None, :]
        rows = rows.to(device)[:, None]
        band = line >= height - rows if self.edge == "bottom" else line < rows
        return band[:, :, None], lit & band[:, :, None]

    def occlusion(self, shape: tuple[int, ...], params: Params) -> torch.Tensor:
        """``(B, 1, H, W)`` bool: the band (all False where gated off)."""
        gate = params["gate"]
        band, _ = self._band(params, shape[-2], shape[-1], gate.device)
        return (band.expand(-1, -1, shape[-1]) & gate.view(-1, 1, 1))[:, None]

    def _apply(self, x: torch.Tensor, params: Params) -> torch.Tensor:
        band, lit = self._band(params, x.shape[-2], x.shape[-1], x.device)
        written = torch.where(lit[:, None], per_sample(params["text_value"], x),
                              per_sample(params["level"], x))
        return torch.where(band[:, None], written, x)
