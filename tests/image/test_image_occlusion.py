"""Occluding ops (Cutout, Collimation, Markers): exact occlusion masks and geometry."""

import pytest
import torch

from mmr_augment import Collimation, ConfigError, Cutout, Markers
from mmr_augment.image.base import per_sample
from mmr_augment.image.occlusion import boxes_mask, fill_boxes, fill_holes, hole_boxes


def textured(b=6, h=24, w=28, seed=0):
    """Values in [0.3, 0.9]: never equal to a fill of 0 or a marker value >= 0.95."""
    g = torch.Generator().manual_seed(seed)
    return 0.3 + 0.6 * torch.rand(b, 1, h, w, generator=g)


OCCLUDERS = [
    Cutout(holes=(0, 5), area=(0.01, 0.2), fill=0.0, p=0.6),
    Collimation(margin=(0.0, 0.2), angle=(-15.0, 15.0), opacity=(0.5, 1.0), p=0.6),
    Collimation(margin=(0.05, 0.2), fill=1.0, p=0.6),
    Markers(texts=["L", "R", "PORTABLE"], scale=(0.7, 3.0), value=(0.95, 1.0), p=0.6),
]


@pytest.mark.parametrize("op", OCCLUDERS, ids=lambda op: repr(op))
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_occlusion_mask_is_exactly_the_changed_pixels(op, seed):
    x = textured(b=8, seed=seed)
    params = op.sample(8, torch.Generator().manual_seed(seed))
    mask = op.occlusion(x.shape, params)
    assert mask.shape == (8, 1, 24, 28) and mask.dtype == torch.bool
    assert torch.equal(mask, op.apply(x, params) != x)
    assert not mask[~params["gate"]].any()
    assert params["gate"].any() and not params["gate"].all()  # both cases were exercised


def test_cutout_hole_geometry_from_params():
    op = Cutout(holes=2, area=0.25, aspect=1.0, fill=0.0)
    params = op.sample(1, 0)
    params["center_y"] = torch.tensor([[0.5, 0.0]], dtype=torch.float64)
    params["center_x"] = torch.tensor([[0.5, 1.0]], dtype=torch.float64)
    mask = op.occlusion((1, 1, 20, 20), params)[0, 0]
    expected = torch.zeros(20, 20, dtype=torch.bool)
    expected[5:15, 5:15] = True  # 10 x 10 = 25% of the image, centred
    expected[:5, 15:] = True  # the second hole, clipped by the top-right corner
    assert torch.equal(mask, expected)


def test_cutout_fill_is_per_sample_and_holes_grow_with_count():
    x = textured(b=6)
    few, many = Cutout(holes=2, area=0.03, fill=(0.0, 0.2)), Cutout(holes=4, area=0.03,
                                                                       fill=(0.0, 0.2))
    p_few, p_many = few.sample(6, 3), many.sample(6, 3)
    y = few.apply(x, p_few)
    mask = few.occlusion(x.shape, p_few)[:, 0]
    for i in range(6):
        assert torch.all(y[i, 0][mask[i]] == p_few["fill"][i].float())
    assert len(set(p_few["fill"].tolist())) == 6
    # holes are drawn one by one: the first two holes of "many" are those of "few"
    assert torch.all(many.occlusion(x.shape, p_many) >= mask[:, None])


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("channels", [1, 3])
def test_cutout_box_writes_equal_the_batched_mask(dtype, channels):
    # the CPU path writes hole by hole; the mask path (GPU, torch.compile) must agree exactly,
    # holes clipped by every border and unused hole slots included
    op = Cutout(holes=(0, 6), area=(0.005, 0.4), aspect=(0.2, 5.0), fill=(0.0, 1.0))
    x = torch.rand(16, channels, 23, 31, generator=torch.Generator().manual_seed(1),
                   dtype=dtype)
    params = op.sample(16, 5)
    boxes = hole_boxes(params, 23, 31)
    assert (boxes[..., 0] < 0).any() and (boxes[..., 3] > 31).any()  # clipped holes drawn
    expected = fill_holes(x, boxes_mask(boxes, 23, 31, x.device), per_sample(params["fill"], x))
    assert torch.equal(fill_boxes(x.clone(), boxes, params["fill"]), expected)
    assert torch.equal(op.apply_batch(x, params), expected)
    assert torch.equal(op.apply_owned(x.clone(), params), expected)
    assert int((expected != x).sum()) == 4109 * channels  # seeded: the pixels filled


def test_cutout_rejects_bad_arguments():
    with pytest.raises(ConfigError, match="holes"):
        Cutout(holes=100)
    with pytest.raises(ConfigError, match="area"):
        Cutout(area=(0.1, 1.5))
    with pytest.raises(ConfigError, match="aspect"):
        Cutout(aspect=0.0)


def test_collimation_leaves_the_field_untouched_and_covers_the_border():
    x = textured(b=2, h=20, w=20)
    op = Collimation(margin=0.25, angle=0.0, fill=0.0)
    y = op(x, generator=0)
    assert torch.equal(y[..., 5:15, 5:15], x[..., 5:15, 5:15])
    border = torch.ones(20, 20, dtype=torch.bool)
    border[5:15, 5:15] = False
    assert torch.all(y[..., border] == 0)


def test_rotated_collimation_keeps_the_inscribed_field():
    x = textured(b=8, h=40, w=40)
    op = Collimation(margin=(0.0, 0.15), angle=(-10.0, 10.0), fill=(0.0, 0.1))
    y = op(x, generator=4)
    # a 15% margin rotated by at most 10 degrees never reaches the central 20 x 20 square
    assert torch.equal(y[..., 10:30, 10:30], x[..., 10:30, 10:30])
    assert torch.all((y != x).flatten(1).any(1))


def test_collimation_soft_edge_ramps_towards_fill():
    x = torch.full((1, 1, 1, 40), 0.5)
    op = Collimation(margin=0.25, angle=0.0, fill=0.0, softness=4.0)
    params = op.sample(1, 0)
    params.update(top=torch.zeros(1, dtype=torch.float64),
                  bottom=torch.zeros(1, dtype=torch.float64))
    row = op.apply(x, params)[0, 0, 0]
    # pixel centres 0.5, 1.5, ... lie 9.5, 8.5, ... pixels outside the field edge at 10
    assert torch.equal(row[10:30], x[0, 0, 0, 10:30])
    torch.testing.assert_close(row[6:10], torch.tensor([0.0625, 0.1875, 0.3125, 0.4375]))
    assert torch.all(row[:6] == 0)
