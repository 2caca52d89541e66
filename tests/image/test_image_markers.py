"""Burned-in text: the shipped bitmap font and where / how Markers and CaptionBand paint it."""

import json
import string
from importlib.resources import files

import pytest
import torch

from mmr_augment import CaptionBand, ConfigError, Markers
from mmr_augment.image._kernels.font import load_font


def test_font_ships_as_package_data_with_letters_and_digits():
    raw = json.loads((files("mmr_augment.assets") / "fonts" / "font5x7.json").read_text())
    assert set(string.ascii_uppercase + string.digits + " .-/") <= set(raw["glyphs"])
    font = load_font()
    assert all(g.shape == (7, 5) for g in font.glyphs.values())
    # glyphs are distinct, so a pasted letter identifies its character
    shapes = {tuple(g.flatten().tolist()) for c, g in font.glyphs.items() if c != " "}
    assert len(shapes) == len(font.glyphs) - 1


def bounding_box(mask):
    rows, cols = mask.nonzero(as_tuple=True)
    return rows.min().item(), rows.max().item() + 1, cols.min().item(), cols.max().item() + 1


@pytest.mark.parametrize("letter", ["L", "R"])
def test_letter_at_scale_one_is_the_font_glyph(letter):
    x = torch.full((4, 1, 32, 32), 0.2)
    y = Markers(texts=[letter], scale=1.0, value=1.0)(x, generator=5)
    glyph = load_font().glyphs[letter]
    placed = set()
    for i in range(4):
        changed = y[i, 0] != x[i, 0]
        top, bottom, left, right = bounding_box(changed)
        assert (bottom - top, right - left) == (7, 5)  # only the glyph box is touched
        assert torch.equal(changed[top:bottom, left:right], glyph)
        assert torch.all(y[i, 0][changed] == 1.0)
        placed.add((top, left))
    assert len(placed) > 1  # the place varies per sample


def test_scale_two_repeats_each_font_cell():
    x = torch.zeros(1, 1, 40, 60)
    y = Markers(texts=["AP"], scale=2.0, value=1.0)(x, generator=0)[0, 0]
    top, bottom, left, right = bounding_box(y > 0)
    expected = load_font().render("AP").repeat_interleave(2, 0).repeat_interleave(2, 1)
    assert torch.equal(y[top:bottom, left:right] > 0, expected)


def test_markers_change_only_a_small_region():
    x = torch.rand(8, 1, 64, 64, generator=torch.Generator().manual_seed(0)) * 0.9
    op = Markers(texts=["L", "R", "SUPINE"], scale=(1.0, 2.0), value=(0.95, 1.0))
    changed = (op(x, generator=1) != x).flatten(1).float().mean(1)
    # "SUPINE" at scale 2 is 14 x 70 cells-pixels at most, cut to 64 wide: < 22% of the image
    assert torch.all(changed > 0) and torch.all(changed < 0.22)


def test_text_wider_than_the_image_is_cut_not_refused():
    y = Markers(texts=["PORTABLE"], scale=3.0, value=1.0)(torch.zeros(2, 1, 16, 16), generator=0)
    big = load_font().render("PORTABLE").repeat_interleave(3, 0).repeat_interleave(3, 1)
    assert big.shape == (21, 141)
    assert torch.equal(y[:, 0] > 0, big[:16, :16].expand(2, 16, 16))


def test_lowercase_is_upper_cased_and_unknown_characters_are_refused():
    assert Markers(texts=["l"]).texts == ("L",)
    with pytest.raises(ConfigError, match="not in the font"):
        Markers(texts=["Lé"])
    with pytest.raises(ConfigError, match="non-empty list"):
        Markers(texts="L")
    with pytest.raises(ConfigError, match="scale"):
        Markers(scale=0.1)


def test_auto_polarity_keeps_text_legible_on_a_bright_film():
    # a bright film (0.9 everywhere): a white "L" would differ by <= 0.1; auto writes it dark
    x = torch.full((3, 1, 24, 24), 0.9)
    op = Markers(texts=["L"], scale=2.0, value=(0.9, 1.0))
    params = op.sample(3, 0)
    lit = op.occlusion(x.shape, params)
    y = op.apply(x, params)
    assert torch.allclose(y[lit], 1.0 - params["value"].float().repeat_interleave(
        lit.flatten(1).sum(1)))
    assert float((y[lit] - 0.9).abs().min()) >= 0.8
    bright = Markers(texts=["L"], scale=2.0, value=(0.9, 1.0), polarity="bright")
    assert float((bright.apply(x, params)[lit] - 0.9).abs().max()) <= 0.1 + 1e-6
    # on a dark film the same op writes the bright value, as before
    dark = torch.full((3, 1, 24, 24), 0.2)
    assert torch.equal(op.apply(dark, params)[lit], bright.apply(dark, params)[lit])
    assert Markers(polarity="dark").to_config()["polarity"] == "dark"
    with pytest.raises(ConfigError, match="polarity"):
        Markers(polarity="white")


def test_caption_band_fills_the_edge_rows_with_level_and_text():
    x = torch.full((2, 1, 64, 64), 0.5)
    op = CaptionBand(height=0.125, level=0.05, text_value=0.3, texts=["I"])
    params = op.sample(2, 0)
    y = op.apply(x, params)
    # 8 rows at the bottom, the text at scale (8 - 1) / 7 = 1: the glyph, 11 lit pixels
    assert torch.equal(y[:, :, :56], x[:, :, :56])
    band = y[:, 0, 56:]
    assert sorted(band.unique().tolist()) == pytest.approx([0.05, 0.3])
    assert (band == 0.3).sum((1, 2)).tolist() == [11, 11]
    assert torch.equal(op.occlusion(x.shape, params)[:, 0],
                       (torch.arange(64) >= 56).view(1, 64, 1).expand(2, 64, 64))
    top = CaptionBand(height=0.125, level=0.05, text_value=0.3, texts=["I"], edge="top")
    y = top.apply(x, top.sample(2, 0))
    assert torch.equal(y[:, :, 8:], x[:, :, 8:]) and (y[:, 0, :8] == 0.3).sum() == 22


def test_caption_band_keeps_small_text_inside_a_thin_band():
    # 3 rows: the font at its smallest scale (0.5) is 4 rows tall; the 4th is cut, not
    # written above the band
    x = torch.full((1, 1, 100, 100), 0.5)
    op = CaptionBand(height=0.03, level=0.0, text_value=1.0, texts=["SOURCE : J DOE"])
    y = op(x, generator=0)
    assert torch.equal(y[:, :, :97], x[:, :, :97])
    assert (y[0, 0, 97:] == 1.0).sum() > 10 and set(y[0, 0, 97:].unique().tolist()) == {0.0, 1.0}


def test_caption_band_errors_name_the_fix():
    with pytest.raises(ConfigError, match="edge must be one of"):
        CaptionBand(edge="left")
    with pytest.raises(ConfigError, match="not in the font"):
        CaptionBand(texts=["Lé"])
    with pytest.raises(ConfigError, match="texts must be a non-empty list"):
        CaptionBand(texts="SOURCE")
    with pytest.raises(ConfigError, match="height"):
        CaptionBand(height=0.6)
