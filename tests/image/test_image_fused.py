"""Fused chains (one owned buffer, ``apply_owned``) give the values of the unfused chain."""

import pytest
import torch
from image_cases import ALL

import mmr_augment as ma
from mmr_augment.image.base import FLOAT_DTYPES

#: folded affine runs (contrast, brightness, window/level) differ from the chain by rounding
AFFINE_TOLERANCE = {torch.float32: 1e-6, torch.float64: 1e-14}
POINTWISE = sorted(n for n, c in ma.REGISTRY.items() if getattr(c, "pointwise", False))


def image(b=6, c=1, size=16, dtype=torch.float32, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(b, c, size, size, generator=g).to(dtype)


def one_by_one(ops, x, params):
    """Each op as its own top-level call: a new tensor per op, every clamp done."""
    for op, child in zip(ops, params, strict=True):
        x = op.apply(x, child)
    return x


def test_the_pointwise_ops_are_the_documented_ones():
    assert set(POINTWISE) >= {"GaussianNoise", "SpeckleNoise", "Gamma", "Contrast",
                              "Brightness", "WindowLevel", "ToneCurve", "Invert", "Quantize",
                              "Cutout"}


@pytest.mark.parametrize("name", POINTWISE)
@pytest.mark.parametrize("value_range", [(0.0, 1.0), (-1.0, 3.0)])
@pytest.mark.parametrize("c", [1, 3])
def test_apply_owned_is_apply_batch_bit_for_bit(name, value_range, c):
    lo, hi = value_range
    for dtype in FLOAT_DTYPES:
        op = ma.REGISTRY[name](**ALL[name], value_range=value_range)
        x = (lo + (hi - lo) * image(c=c)).to(dtype)
        params = op.sample(len(x), 3)
        for in_range in (False, True):
            expected = op.apply_batch(x, params, in_range=in_range)
            mine = x.clone()
            got = op.apply_owned(mine, params, in_range=in_range)
            assert torch.equal(got, expected), (name, dtype, in_range)
            if dtype in (torch.float32, torch.float64) and params["gate"].all():
                assert got.data_ptr() == mine.data_ptr() or name == "ToneCurve"


def pointwise_chain(p=1.0):
    return [ma.GaussianNoise(std=(0.02, 0.2), p=p), ma.Gamma(gamma=(0.5, 2.0), p=p),
            ma.Contrast(factor=(0.5, 1.5), p=p), ma.Brightness(factor=(0.6, 1.4), p=p),
            ma.WindowLevel(width=(0.5, 0.9), shift=(0.0, 0.15), p=p),
            ma.ToneCurve(slope=(3.0, 12.0), p=p), ma.Invert(strength=(0.6, 1.0), p=p),
            ma.SpeckleNoise(std=(0.05, 0.3), p=p), ma.Quantize(bits=(3, 8), p=p),
            ma.Cutout(holes=(1, 3), fill=(0.0, 1.0), p=p)]


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("p", [1.0, 0.6])
def test_sequential_of_pointwise_ops_equals_each_op_alone(dtype, p):
    seq = ma.Sequential(pointwise_chain(p))
    x = image(dtype=dtype)
    kept = x.clone()
    params = seq.sample(len(x), 7)
    y = seq.apply(x, params)
    ref = one_by_one(seq.ops, x, params["ops"])
    if p < 1:  # some gates off: nothing folds, every op runs its own kernels in place
        assert torch.equal(y, ref)
    else:  # contrast, brightness and window/level fold into one multiply-add
        torch.testing.assert_close(y, ref, rtol=0, atol=AFFINE_TOLERANCE.get(dtype, 0.0))
    assert torch.equal(x, kept)  # the caller's batch is never written


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_one_of_and_nested_chains_equal_each_sample_alone(dtype):
    inner = ma.Sequential([ma.Gamma(gamma=(0.5, 2.0)), ma.Brightness(factor=(0.6, 1.4))])
    op = ma.Sequential([ma.GaussianNoise(std=0.1),
                        ma.OneOf([inner, ma.Contrast(factor=(0.5, 1.5)), ma.Invert()]),
                        ma.OneOf([ma.Quantize(bits=(3, 6))])])  # every sample: one child
    x = image(b=8, dtype=dtype)
    kept = x.clone()
    params = op.sample(len(x), 5)
    y = op.apply(x, params)
    for i in range(len(x)):
        alone = op.apply(x[i:i + 1], ma.slice_params(params, torch.tensor([i])))
        assert torch.equal(y[i:i + 1], alone), i
    assert torch.equal(x, kept)


def test_scanner_style_stages_in_one_buffer_equal_the_stages_alone():
    style = ma.ScannerStyle(detector={"gain": (0.8, 1.2), "gamma": (0.8, 1.2)},
                            tone={"kind": "sigmoid", "slope": (4.0, 8.0)},
                            window={"center": 0.5, "width": (0.8, 1.0)},
                            bit_depth={"bits": 8}, invert={"p": 0.5}, strength=(0.5, 1.0))
    x = image(b=6)
    kept = x.clone()
    params = style.sample(len(x), 2)
    y = style.apply(x, params)
    ref = x
    for name, op in style.stages.items():
        ref = torch.where(params[name]["gate"].view(-1, 1, 1, 1),
                          op.apply_batch(ref, params[name]), ref)
    ref = torch.lerp(x, ref, params["strength"].float().view(-1, 1, 1, 1))
    gate = params["gate"].view(-1, 1, 1, 1)
    assert torch.equal(y, torch.where(gate, ref.clamp(0, 1), x))
    assert torch.equal(x, kept)


def test_policy_images_equal_the_image_op_alone_and_input_kept():
    chain = ma.Sequential([ma.Gamma(gamma=(0.5, 2.0)), ma.Brightness(factor=(0.6, 1.4))])
    policy = ma.MultiModalPolicy(image=chain, modes={"image": 0.5, "none": 0.5})
    x = image(b=8)
    kept = x.clone()
    params = policy.sample(len(x), 3)
    out = policy.apply((x, ["No acute findings."] * len(x)), params)
    assert torch.equal(x, kept) and torch.equal(out.clean_images, x)
    whole = chain.apply(x, params["image"][0])  # every sample through the chain
    perturbed = (out.images != x).flatten(1).any(1)
    assert 0 < int(perturbed.sum()) < len(x)
    assert torch.equal(out.images[perturbed], whole[perturbed])


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("c", [1, 3])
def test_folded_contrast_brightness_window_match_the_chain_within_rounding(dtype, c):
    ops = [ma.GaussianNoise(std=0.1), ma.Contrast(factor=(0.3, 1.8)),
           ma.Brightness(factor=(0.5, 1.6)), ma.WindowLevel(width=(0.5, 1.0)),
           ma.Brightness(factor=(0.5, 1.6))]
    seq = ma.Sequential(ops)
    x = image(b=8, c=c, dtype=dtype)
    params = seq.sample(len(x), 11)
    y = seq.apply(x, params)
    ref = one_by_one(seq.ops, x, params["ops"])
    atol = AFFINE_TOLERANCE.get(dtype, 0.0)  # half types are not folded: bit-identical
    torch.testing.assert_close(y, ref, rtol=0, atol=atol)
    assert y.min() >= 0 and y.max() <= 1
    clipped = (ref == 0) | (ref == 1)  # clamps fold exactly: clipped pixels stay clipped
    assert torch.equal(y[clipped], ref[clipped]) or dtype not in AFFINE_TOLERANCE


def test_a_gated_off_sample_stops_the_fold():
    seq = ma.Sequential([ma.GaussianNoise(std=0.1), ma.Contrast(factor=(0.3, 1.8)),
                         ma.Brightness(factor=(0.5, 1.6), p=0.5)])
    x = image(b=8)
    params = seq.sample(len(x), 2)
    assert not params["ops"][2]["gate"].all()
    assert torch.equal(seq.apply(x, params), one_by_one(seq.ops, x, params["ops"]))


@pytest.mark.cuda
@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_fused_chain_on_cuda_equals_each_op_alone_there(dtype):
    seq = ma.Sequential(pointwise_chain(0.7))
    x = image(dtype=dtype).cuda()
    kept = x.clone()
    params = seq.sample(len(x), 7)
    y = seq.apply(x, params)
    ref = one_by_one(seq.ops, x, params["ops"])
    atol = AFFINE_TOLERANCE.get(dtype, 0.0)
    torch.testing.assert_close(y, ref, rtol=0, atol=atol)
    assert torch.equal(x, kept)
