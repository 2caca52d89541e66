"""Resolution loss: Pixelate block structure, Resample against F.interpolate."""

import pytest
import torch
import torch.nn.functional as F

from mmr_augment import ConfigError, Pixelate, Resample
from mmr_augment.image._kernels.resize import (
    block_cells,
    block_mean_weights,
    block_means,
    down_weights,
    expand_blocks,
)
from mmr_augment.medmnistc import medmnistc_op


def textured(b=4, h=30, w=36, seed=0, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(b, 1, h, w, generator=g, dtype=dtype)


def test_pixelate_is_constant_on_blocks_and_equals_block_means():
    x = textured(b=6, dtype=torch.float64)
    op = Pixelate(scale=(0.1, 0.5))
    params = op.sample(6, torch.Generator().manual_seed(1))
    y = op.apply(x, params)
    for i, scale in enumerate(params["scale"].tolist()):
        rows = block_cells(30, torch.tensor([round(30 * scale)]))[0]
        cols = block_cells(36, torch.tensor([round(36 * scale)]))[0]
        for r in rows.unique():
            for c in cols.unique():
                block = (rows == r)[:, None] & (cols == c)[None, :]
                values = y[i, 0][block]
                assert torch.all(values == values[0])
                torch.testing.assert_close(values[0], x[i, 0][block].mean())
    assert len({round(s * 30) for s in params["scale"].tolist()}) > 2  # sizes really differ


def test_pixelate_block_size_follows_scale():
    x = textured(b=1, h=40, w=40)
    y = Pixelate(scale=0.25)(x, generator=0)
    assert len(y[0, 0, 0].unique()) == 10  # 40 pixels -> 10 cells of 4
    assert torch.equal(Pixelate(scale=1.0)(x, generator=0), x)


def test_block_sums_equal_the_weight_products_and_expand_exactly():
    # the CPU path (index_add_ block sums) against the device path (products with weights)
    g = torch.Generator().manual_seed(3)
    x = torch.rand(5, 3, 23, 31, generator=g)
    size_y, size_x = torch.tensor([1, 4, 7, 23, 11]), torch.tensor([2, 9, 31, 5, 16])
    sums = block_means(x, size_y, size_x)
    ref = (block_mean_weights(23, size_y, x.dtype)[:, None] @ x
           @ block_mean_weights(31, size_x, x.dtype).transpose(-1, -2)[:, None])
    assert sums.shape == ref.shape == (5, 3, 23, 31)
    torch.testing.assert_close(sums, ref, rtol=0, atol=1e-6)
    assert sums[0, :, 1:].abs().max() == 0 and sums[1, :, :, 9:].abs().max() == 0
    y = expand_blocks(sums, size_y, size_x, 23, 31)
    rows, cols = block_cells(23, size_y), block_cells(31, size_x)
    for i in range(5):
        assert torch.equal(y[i], sums[i][:, rows[i]][:, :, cols[i]])
    assert torch.equal(block_means(x, torch.tensor([23] * 5), torch.tensor([31] * 5)), x)


@pytest.mark.parametrize("mode", ["area", "bilinear", "bicubic"])
@pytest.mark.parametrize("antialias", [True, False])
def test_resample_matches_interpolate_per_sample(mode, antialias):
    x = textured(b=5, dtype=torch.float64)
    op = Resample(scale=(0.15, 0.9), down=mode, antialias=antialias)
    params = op.sample(5, torch.Generator().manual_seed(0))
    y = op.apply(x, params)
    for i, scale in enumerate(params["scale"].tolist()):
        size = (int(30 * scale + 0.5), int(36 * scale + 0.5))
        kw = {} if mode == "area" else dict(align_corners=False, antialias=antialias)
        small = F.interpolate(x[i:i + 1], size=size, mode=mode, **kw)
        ref = F.interpolate(small, size=(30, 36), mode="bilinear", align_corners=False)
        torch.testing.assert_close(y[i:i + 1], ref.clamp(0, 1), rtol=0, atol=1e-9)


def test_resample_modes_are_chosen_per_sample_and_scale_one_is_identity():
    op = Resample(scale=1.0, down=["area", "bilinear", "bicubic"])
    params = op.sample(8, torch.Generator().manual_seed(2))
    assert params["down"].tolist() == [1, 2, 2, 0, 1, 0, 1, 2]
    x = textured(b=8)
    torch.testing.assert_close(op.apply(x, params), x, rtol=0, atol=1e-6)


def test_antialias_removes_aliasing_of_fine_stripes():
    stripes = torch.zeros(1, 1, 64, 64)
    stripes[..., :, ::2] = 1.0  # Nyquist-frequency stripes: should average out to grey
    plain = Resample(scale=0.3, down="bilinear", antialias=False)(stripes, generator=0)
    smooth = Resample(scale=0.3, down="bilinear", antialias=True)(stripes, generator=0)
    assert smooth.std() < 0.1 * plain.std()


def test_down_weights_rows_are_normalised_and_zero_past_the_size():
    w = down_weights(20, torch.tensor([7, 13]), "bicubic", True, torch.float64)
    torch.testing.assert_close(w.sum(-1)[0, :7], torch.ones(7, dtype=torch.float64))
    assert torch.all(w[0, 7:] == 0) and torch.all(w[1, 13:] == 0)


@pytest.mark.parametrize(("rounding", "cells"), [("nearest", [8, 7, 6, 4, 3]),
                                                  ("down", [8, 7, 5, 4, 2])])
def test_pixelate_size_rounding_counts_cells_as_round_or_as_int(rounding, cells):
    # MedMNIST-C sizes its small image by int(28 * scale); the default rounds
    x = torch.arange(28.0).div(27).expand(1, 1, 28, 28).contiguous()
    got = [len(Pixelate(scale=s, size_rounding=rounding)(x, generator=0)[0, 0, 0].unique())
           for s in (0.30, 0.25, 0.20, 0.15, 0.10)]
    assert got == cells
    assert medmnistc_op("pixelate", 3).size_rounding == "down"


def test_pixelate_rejects_unknown_size_rounding():
    with pytest.raises(ConfigError, match="size_rounding must be one of"):
        Pixelate(scale=0.5, size_rounding="up")


def test_resample_rejects_unknown_filters():
    with pytest.raises(ConfigError, match="down must be one of"):
        Resample(down="lanczos")
    with pytest.raises(ConfigError, match="antialias"):
        Resample(antialias="yes")
    with pytest.raises(ConfigError, match="scale"):
        Pixelate(scale=0.0)
