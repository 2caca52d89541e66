"""Preview grid layout: the figure title clears the column titles, and ``--size`` sets the
cell size (one image pixel per figure pixel, at least MIN_CELL pixels a cell)."""

import pytest
import torch

pytest.importorskip("matplotlib", reason="needs the preview extra: pip install 'mmr[preview]'")
pytest.importorskip("tqdm", reason="needs the preview extra: pip install 'mmr[preview]'")

from PIL import Image  # noqa: E402

from mmr_augment._preview import MIN_CELL, grid_figure, image_rows, save_grid_png  # noqa: E402
from mmr_augment.cli import main  # noqa: E402


@pytest.mark.parametrize("n_rows", [1, 3])
def test_title_sits_above_the_column_titles(n_rows):
    import matplotlib.pyplot as plt

    rows = image_rows(["GaussianNoise", "Pixelate", "JPEG"][:n_rows])
    fig = grid_figure(torch.full((1, 1, 64, 64), 0.5), rows, title="a long title " * 4)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    suptitle = next(t for t in fig.texts if t.get_text().startswith("a long title"))
    title = suptitle.get_window_extent(renderer)
    columns = [ax.title.get_window_extent(renderer) for ax in fig.axes[:6]]
    images = [ax.get_window_extent(renderer) for ax in fig.axes]
    plt.close(fig)
    assert title.y0 >= max(c.y1 for c in columns)
    assert all(c.y0 >= max(i.y1 for i in images[:6]) - 1 for c in columns)


def test_size_sets_the_cell_size(tmp_path, capsys):
    widths = {}
    for size in (48, 160, 240):
        out = tmp_path / f"grid{size}.png"
        assert main(["preview", "synthetic", "--size", str(size), "--ops", "GaussianNoise",
                     "--out", str(out)]) == 0
        with Image.open(out) as im:
            widths[size] = im.size
    assert widths[48][0] >= 6 * MIN_CELL  # small images get the smallest legible cell
    assert 6 * 160 <= widths[160][0] < 6 * 240 <= widths[240][0]
    assert widths[160][1] < widths[240][1]


def test_saved_png_matches_the_figure(tmp_path):
    path = save_grid_png(tmp_path / "g.png", torch.rand(1, 1, 100, 100),
                         image_rows(["Pixelate"]), title="t")
    with Image.open(path) as im:
        assert im.size[0] >= 600 and im.size[1] >= 100
