"""ScannerStyle.fit with stages beyond the tone curve: recovery of known stages on synthetic
films, the visible-stage estimators, the fit report, errors and the ``fit-style`` command.

Recovery tolerances (64-px phantoms, 16 films per set, seeds fixed): noise level (the Poisson
standard deviation, ``sqrt(x / photons)``) within 15 %, MTF sigma within 0.1 px, tone curve
within 0.05 on the source's 2nd..98th percentile range; on noise-free films, edge-enhancement
amount within 0.25 and resolution scale within 0.12 (8 films).
"""

from __future__ import annotations

import pytest
import torch

from mmr_augment import JPEG, ScannerStyle
from mmr_augment.cli import main
from mmr_augment.errors import ConfigError, InputError
from mmr_augment.extras import missing
from mmr_augment.io import read_image, write_png
from mmr_augment.style._stage_table import STAGES
from mmr_augment.style.fitting import fit_scanner_style
from mmr_augment.style.fitting.report import save_fit_report
from mmr_augment.style.fitting.visible import BLOCKY, blockiness, collimation_stage, stored_bits
from mmr_augment.synthetic import render_studies

needs_preview = pytest.mark.skipif(bool(missing("matplotlib", "tqdm")),
                                   reason="needs the preview extra: pip install 'mmr[preview]'")

SIGMOID = {"kind": "sigmoid", "slope": 6.0, "midpoint": 0.5}


@pytest.fixture(autouse=True)
def one_thread(torch_threads):
    """The fits run many small renders: one thread is several times faster on a busy CPU."""
    torch_threads(1)


@pytest.fixture(scope="module")
def phantoms():
    """Two disjoint sets of clean 64-px phantoms: the source, and the site's anatomy."""
    return (render_studies(torch.arange(16), 64, 0).images.float(),
            render_studies(torch.arange(16, 32), 64, 0).images.float())


def _support(source: torch.Tensor) -> torch.Tensor:
    lo, hi = source.flatten().quantile(torch.tensor([0.02, 0.98])).tolist()
    return (torch.linspace(0, 1, 256) >= lo) & (torch.linspace(0, 1, 256) <= hi)


def test_fit_recovers_noise_level_mtf_width_and_tone(phantoms):
    source, anatomy = phantoms
    truth = ScannerStyle(noise={"photons": 300.0}, mtf={"sigma": 1.2}, tone=SIGMOID)
    fit = fit_scanner_style(truth(anatomy, generator=1), source,
                            stages=["tone", "noise", "mtf"], max_films=16)
    config = fit.style.stage_config
    assert abs((300.0 / config["noise"]["photons"]) ** 0.5 - 1) < 0.15
    assert abs(config["mtf"]["sigma"] - 1.2) < 0.1
    error = (fit.style.tone_curve(256) - truth.tone_curve(256)).abs()[_support(source)]
    assert float(error.max()) < 0.05
    assert set(fit.estimated) == {"tone", "noise", "mtf"}


@pytest.mark.parametrize(("stage", "value"), [("edge", 1.0), ("resolution", 0.5)])
def test_fit_recovers_edge_enhancement_and_resolution(phantoms, stage, value):
    source, anatomy = phantoms
    key, tolerance = {"edge": ("amount", 0.25), "resolution": ("scale", 0.12)}[stage]
    stage_args = {"edge": {"amount": value, "sigma": 1.5}, "resolution": {"scale": value}}
    truth = ScannerStyle(**{stage: stage_args[stage]})
    fit = fit_scanner_style(truth(anatomy[:8], generator=1), source[:8], stages=[stage])
    assert abs(fit.style.stage_config[stage][key] - value) < tolerance


def test_identity_stages_are_left_out_and_reported(phantoms):
    source = phantoms[0][:4, :, ::2, ::2]
    fit = fit_scanner_style(source, source, stages=["mtf", "edge"], max_films=4)
    assert "mtf" not in fit.style.stage_config and "edge" not in fit.style.stage_config
    assert fit.estimated["mtf"].startswith("analysis by synthesis: none")
    assert fit.not_estimated["noise"] == "not estimated: not asked for (stages=...)"


def test_scanner_style_fit_delegates_and_keeps_the_tone_only_default(phantoms):
    source, anatomy = phantoms
    reference = ScannerStyle(mtf={"sigma": 1.0})(anatomy[:4], generator=0)
    assert list(ScannerStyle.fit(reference, source=source[:4]).stages) == ["tone"]
    fitted = ScannerStyle.fit(list(reference), source=source[:4], stages=["tone", "mtf"],
                              max_films=4)
    assert list(fitted.stages) == ["mtf", "tone"]


def test_stored_bits_and_blockiness():
    x = torch.rand(2, 1, 32, 32, generator=torch.Generator().manual_seed(0))
    assert stored_bits([(x * 255).round() / 255])[0] == {"bits": 8}
    assert stored_bits([x])[0] is None
    assert blockiness([x]) < BLOCKY
    smooth = render_studies(torch.arange(2), 64, 0).images.float()
    assert blockiness([JPEG(quality=10.0)(smooth, generator=0)]) > BLOCKY


def test_jpeg_quality_is_matched_on_the_source(phantoms):
    source, anatomy = phantoms
    source, anatomy = source[:4], anatomy[:4]  # the same films, before and after compression
    fit = fit_scanner_style(JPEG(quality=20.0)(source, generator=0), source, stages=["jpeg"])
    assert fit.style.stage_config["jpeg"]["quality"] in (10.0, 20.0, 30.0)
    plain = fit_scanner_style(anatomy, source, stages=["jpeg"])
    assert "jpeg" not in plain.style.stage_config
    assert plain.not_estimated["jpeg"].startswith("not estimated: no 8x8 block pattern")


def test_collimation_margins_and_fill_are_read_from_border_bands():
    films = torch.rand(4, 1, 64, 64, generator=torch.Generator().manual_seed(0)) * 0.5 + 0.2
    films[:2, :, :6], films[:2, :, -6:] = 0.0, 0.0  # 6 of 64 rows: margin 0.094
    stage, how = collimation_stage([films])
    # top and bottom covered, left and right not: per-side margins drawn from [0, 0.094]
    assert stage == {"margin": [0.0, 0.094], "angle": 0.0, "fill": 0.0, "p": 0.5}
    assert how == "uniform border bands on 2 of 4 films"
    assert collimation_stage([films[2:]])[0] is None


def test_fit_errors_are_clear():
    x = torch.rand(2, 1, 32, 32)
    with pytest.raises(ConfigError, match="stages must be 'all' or a list"):
        fit_scanner_style(x, stages=["sharpness"])
    with pytest.raises(ConfigError, match="knots must be an int"):
        fit_scanner_style(x, stages="all", knots=1)
    with pytest.raises(InputError, match="at least 16x16"):
        fit_scanner_style(torch.rand(2, 1, 8, 8), stages="all")
    with pytest.raises(InputError, match="read files with"):
        fit_scanner_style([], stages="all")


@needs_preview
def test_fit_style_command_fits_every_stage_and_says_what_it_could_not(tmp_path, capsys):
    site = tmp_path / "site"
    site.mkdir()
    for i, film in enumerate(render_studies(torch.arange(3), 40, 0).images):
        write_png(site / f"film{i}.png", JPEG(quality=30.0)(film[None], generator=i)[0])
    out, report = tmp_path / "site.yaml", tmp_path / "report.png"
    assert main(["fit-style", str(site), "--out", str(out), "--size", "0",
                 "--search-films", "3", "--report", str(report)]) == 0
    printed = capsys.readouterr().out
    assert "estimated bit_depth    256 grey levels" in printed
    assert "skipped   markers" in printed
    style = ScannerStyle.from_yaml(out)
    assert style.name == "site" and style.stage_config["bit_depth"]["bits"] == 8
    assert "grid (not estimated)" in style.description
    named = [line.split()[1] for line in printed.splitlines() if line.startswith("  ")]
    assert sorted(named) == sorted(STAGES)  # each stage: estimated or skipped, once
    films = torch.stack([read_image(p) for p in sorted(site.iterdir())])
    fit_again = ScannerStyle.from_yaml(out)
    assert torch.equal(fit_again(films, generator=0), style(films, generator=0))
    assert read_image(report).shape[0] == 3
    assert main(["fit-style", str(tmp_path / "nowhere"), "--out", str(out)]) == 2


@needs_preview
def test_save_fit_report_draws_the_three_panels(tmp_path, phantoms):
    source, anatomy = phantoms
    fit = fit_scanner_style(anatomy[:4], source[:4], stages=["tone"])
    path = save_fit_report(fit, tmp_path / "r.png", title="t")
    assert read_image(path).shape[-1] == 1300  # three panels, 13 in at 100 dpi
