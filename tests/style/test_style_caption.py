"""Caption bands: fitted from films that show one, and burned in last by a style family."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from mmr_augment import CaptionBand, ScannerStyle, StyleFamily
from mmr_augment.cli import main
from mmr_augment.errors import ConfigError
from mmr_augment.extras import missing
from mmr_augment.io import write_png
from mmr_augment.style.fitting import fit_scanner_style, fit_style_family
from mmr_augment.style.fitting.visible import caption_bands, caption_stage


def _films(count: int, size: int = 64) -> torch.Tensor:
    """``(count, 1, size, size)`` smooth films in [0.3, 0.8], no border of their own."""
    g = torch.Generator().manual_seed(count)
    coarse = torch.rand(count, 1, 4, 4, generator=g)
    return 0.3 + 0.5 * F.interpolate(coarse, size=(size, size), mode="bilinear")


def _captioned(films: torch.Tensor, rows: int, level: float, text: float) -> torch.Tensor:
    """``films`` with a caption band of ``rows`` px along the bottom edge."""
    op = CaptionBand(height=rows / films.shape[-2], level=level, text_value=text,
                     texts=["SOURCE : J DOE, 02-24-2009"])
    return op(films, generator=0)


def test_caption_bands_reads_height_level_and_text_of_a_rendered_band():
    films = _films(4)
    bands = caption_bands([_captioned(films, 3, 0.05, 0.3)], "bottom")
    assert bands[:, 0].tolist() == [3 / 64] * 4                 # exactly the rendered rows
    assert bands[:, 1].tolist() == pytest.approx([0.05] * 4)    # the band's median: its level
    assert bands[:, 2].tolist() == pytest.approx([0.3] * 4)     # its 99th percentile: the text
    assert caption_bands([films], "bottom")[:, 0].tolist() == [0.0] * 4   # none rendered
    assert caption_bands([_captioned(films, 3, 0.05, 0.3)], "top")[:, 0].tolist() == [0.0] * 4


def test_a_dark_band_without_text_or_a_tall_one_is_not_a_caption():
    films = _films(2)
    shutter = films.clone()
    shutter[..., -4:, :] = 0.05                                   # uniform: a shutter
    assert caption_bands([shutter], "bottom")[:, 0].tolist() == [0.0, 0.0]
    tall = _captioned(films, 4, 0.05, 0.3)                        # 6.25 % > CAPTION_MAX
    assert caption_bands([tall], "bottom")[:, 0].tolist() == [0.0, 0.0]
    stage, why = caption_stage([films])
    assert stage is None and "no caption visible" in why


def test_fit_estimates_the_caption_stage_and_its_share_of_films():
    films = _films(4)
    shown = torch.cat([_captioned(films[:3], 3, 0.04, 0.25), films[3:]])
    style = ScannerStyle.fit(shown, stages=["caption"])
    caption = style.stage_config["caption"]
    assert caption["edge"] == "bottom" and caption["p"] == 0.75
    assert caption["height"] == pytest.approx([3 / 64, 3 / 64 + 1e-3], abs=1e-4)
    assert caption["level"][0] == pytest.approx(0.04, abs=1e-3)
    assert caption["text_value"][0] == pytest.approx(0.25, abs=1e-3)
    result = fit_scanner_style(films, stages=["caption"])
    assert "caption" not in result.style.stage_config
    assert result.not_estimated["caption"].startswith("not estimated: no dark band with text")


def test_family_export_burns_the_caption_in_after_matching_and_keeps_other_draws():
    members = [{"quantiles": torch.linspace(0.3, 0.9, 9).tolist()},
               {"quantiles": torch.linspace(0.1, 0.6, 9).tolist()}]
    caption = {"caption": {"height": 0.0625, "level": 0.05, "text_value": 0.3,
                           "texts": ["W 2048"]}}
    plain = StyleFamily(members, match=1.0)
    family = StyleFamily(members, match=1.0, export=caption)
    x = _films(3)
    params = family.sample(3, 0)
    assert torch.equal(params["index"], plain.sample(3, 0)["index"])
    y, matched = family.apply(x, params), plain.apply(x, plain.sample(3, 0))
    # the band (last 4 rows) holds exactly the level and the text; the rest is the matching
    assert y[:, 0, -4:].unique().tolist() == pytest.approx([0.05, 0.3])
    assert torch.equal(y[..., :-4, :], matched[..., :-4, :])
    assert family.occlusion(x.shape, params)[:, 0, -4:].all()
    assert not family.occlusion(x.shape, params)[:, 0, :-4].any()
    again = StyleFamily(**{k: v for k, v in family.to_config().items() if k != "type"})
    assert torch.equal(again.apply(x, again.sample(3, 0)), y)
    assert family.to_config()["export"]["caption"]["edge"] == "bottom"
    with pytest.raises(ConfigError, match="export must be a ScannerStyle"):
        StyleFamily(members, export="caption")
    with pytest.raises(ConfigError, match="export must be a ScannerStyle"):
        fit_style_family(x, export={"caption": {}})


@pytest.mark.skipif(bool(missing("tqdm")), reason="needs the preview extra (tqdm)")
def test_fit_style_command_makes_a_found_caption_the_familys_export(tmp_path, torch_threads):
    torch_threads(1)
    site = tmp_path / "site"
    site.mkdir()
    for i, film in enumerate(_captioned(_films(3, 48), 2, 0.04, 0.3)):
        write_png(site / f"film{i}.png", film)
    out = tmp_path / "family.yaml"
    assert main(["fit-style", str(site), "--out", str(out), "--size", "0", "--search-films",
                 "3", "--knots", "9", "--family", "--match", "0.5"]) == 0
    family = StyleFamily.from_yaml(out)
    assert family.export.stage_config["caption"]["p"] == 1.0
    assert all("caption" not in style.stage_config for style in family.styles)
