"""The throughput shortcuts give the results of the plain paths they replace."""

import pytest
import torch
from kornia.enhance import adjust_contrast_with_mean_subtraction

import mmr_augment as ma
from mmr_augment.image.occlusion import boxes_mask


def image(b=6, c=1, size=24, scale=1.0, seed=0):
    return scale * torch.rand(b, c, size, size, generator=torch.Generator().manual_seed(seed))


def one_by_one(seq: ma.Sequential, x: torch.Tensor, params) -> torch.Tensor:
    """The Sequential's children applied as separate top-level calls (every clamp done)."""
    for op, child in zip(seq.ops, params["ops"]):
        x = op.apply(x, child)
    return x


@pytest.mark.parametrize("p", [1.0, 0.5])
@pytest.mark.parametrize("scale", [1.0, 1.5])
def test_sequential_skipping_clamps_equals_each_op_alone(p, scale):
    seq = ma.Sequential([ma.GaussianNoise(std=0.2, p=p), ma.Gamma(gamma=(0.5, 2.0), p=p),
                         ma.Cutout(holes=1, p=p), ma.Gamma(gamma=(0.5, 2.0)),
                         ma.Cutout(holes=(1, 3), fill=(0.0, 1.0))])
    x = image(scale=scale)  # out-of-range input must still be clamped where it is not known
    params = seq.sample(len(x), 4)
    y = seq.apply(x, params)
    assert torch.equal(y, one_by_one(seq, x, params))
    assert y.min() >= 0 and y.max() <= 1


def test_gated_off_out_of_range_samples_are_not_taken_as_in_range():
    seq = ma.Sequential([ma.GaussianNoise(std=0.1, p=0.0), ma.Gamma(gamma=0.5)])
    x = image(scale=-2.0)
    y = seq(x, generator=0)
    assert torch.equal(y, torch.zeros_like(x))  # clamped to 0 first, so 0 ** 0.5, not NaN


def test_one_hole_mask_equals_the_union_product():
    boxes = torch.tensor([[[2, 9, 3, 7]], [[0, 24, 20, 24]], [[5, 5, 0, 24]]])
    one = boxes_mask(boxes, 24, 24, torch.device("cpu"))
    padded = torch.cat([boxes, torch.zeros_like(boxes)], dim=1)  # an empty second slot
    assert torch.equal(one, boxes_mask(padded, 24, 24, torch.device("cpu")))
    assert one.sum().item() == 7 * 4 + 24 * 4


@pytest.mark.parametrize("c", [1, 3])
def test_contrast_is_kornias_mean_subtracting_contrast(c):
    x = image(c=c)
    params = ma.Contrast(factor=(0.3, 1.8)).sample(len(x), 1)
    y = ma.Contrast(factor=(0.3, 1.8)).apply(x, params)
    ref = adjust_contrast_with_mean_subtraction(x, params["factor"].float())
    torch.testing.assert_close(y, ref, rtol=0, atol=1e-6)
