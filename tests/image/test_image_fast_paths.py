"""The throughput shortcuts give the results of the plain paths they replace."""

import pytest
import torch
from kornia.enhance import adjust_contrast_with_mean_subtraction
from torch.overrides import TorchFunctionMode

import mmr_augment as ma
from mmr_augment.image.base import check_image, known_in_unit_range
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
    with ma.clamp_out_of_range():
        y = seq.apply(x, params)
        assert torch.equal(y, one_by_one(seq, x, params))
    assert y.min() >= 0 and y.max() <= 1


def test_gated_off_out_of_range_samples_are_not_taken_as_in_range():
    seq = ma.Sequential([ma.GaussianNoise(std=0.1, p=0.0), ma.Gamma(gamma=0.5)])
    x = image(scale=-2.0)
    with ma.clamp_out_of_range():
        y = seq(x, generator=0)
    assert torch.equal(y, torch.zeros_like(x))  # clamped to 0 first, so 0 ** 0.5, not NaN


def test_the_range_check_remembers_a_batch_it_found_in_unit_range():
    x, overshoot = image(), image()
    overshoot[0, 0, 0, 0] = 1.005  # inside the tolerance: accepted, but not in [0, 1]
    check_image(x, "op", (0.0, 1.0))
    assert known_in_unit_range(x)
    check_image(overshoot, "op", (0.0, 1.0))
    assert not known_in_unit_range(overshoot)
    y = ma.Gamma(gamma=0.5)(overshoot, generator=0)  # so Gamma clamps it before the power
    assert y[0, 0, 0, 0] == 1 and (y - overshoot.clamp(0, 1) ** 0.5).abs().max() <= 1.8e-7
    x.mul_(2)
    assert not known_in_unit_range(x)  # written since: scanned again, and refused
    with pytest.raises(ma.InputError, match="outside value_range"):
        ma.Gamma(gamma=0.5)(x, generator=0)


def test_a_batch_refilled_through_numpy_is_scanned_again():
    buf = image(b=2)
    op = ma.Brightness(factor=1.0, value_range=(0.0, 2.0))  # its output is not remembered
    op(buf, generator=0)  # the scan found buf inside [0, 1]; the call forgets it
    buf.numpy()[:] = 5.0  # written behind torch's version counter
    with pytest.raises(ma.InputError, match="outside value_range"):
        op(buf, generator=0)


class ClampCount(TorchFunctionMode):
    """Counts the torch clamp calls made inside the block."""

    def __init__(self):
        super().__init__()
        self.clamps = 0

    def __torch_function__(self, func, types, args=(), kwargs=None):
        self.clamps += getattr(func, "__name__", "").startswith("clamp")
        return func(*args, **(kwargs or {}))


@pytest.mark.parametrize("op, clamps", [
    (ma.Brightness(severity=3, direction="down"), 0),  # a gain <= 1 keeps [0, 1]
    (ma.Brightness(severity=3, direction="up"), 1),
    (ma.Brightness(factor=(0.5, 1.5)), 1),  # some samples brightened
    (ma.Gamma(gamma=(0.5, 2.0)), 0),  # clamp_first, and the input is in range
    (ma.Contrast(severity=3, direction="down"), 1),  # rounding may step out: still clamped
])
def test_in_range_input_skips_the_clamps_that_cannot_change_it(op, clamps):
    x = image(b=8)
    params = op.sample(len(x), 3)
    expected = op.apply(x.clone(), params)  # a clone: scanned afresh
    with ClampCount() as count:
        y = op.apply(x, params)
    assert count.clamps == clamps and torch.equal(y, expected)
    if isinstance(op, ma.Brightness) and clamps == 0:
        assert torch.equal(y, x * params["factor"].float().view(-1, 1, 1, 1))


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
