"""Registry-driven contract battery over every registered image op (see image_cases.py)."""

import json

import pytest
import torch
from config_files import reloaded
from image_cases import ALL

import mmr_augment as ma
from mmr_augment.core import slice_params

IMAGE_OPS = sorted(n for n, c in ma.REGISTRY.items() if c.modality in ("image", "any")
                   and (c.modality == "image" or n in ALL))
FLOATS = [torch.float16, torch.bfloat16, torch.float32, torch.float64]


def make(name, **extra):
    return ma.REGISTRY[name](**{**ALL[name], **extra})


def image(b=4, c=1, h=32, w=40, dtype=torch.float32, seed=0, device="cpu"):
    g = torch.Generator().manual_seed(seed)
    # smooth structure + texture, so blur/sharpen/tone ops all have something to change
    yy, xx = torch.meshgrid(torch.linspace(0, 1, h), torch.linspace(0, 1, w), indexing="ij")
    base = 0.25 + 0.5 * (yy * xx)
    x = (base + 0.2 * torch.rand(b, c, h, w, generator=g)).clamp(0, 1)
    return x.to(device=device, dtype=dtype)


def test_every_image_op_is_in_the_table():
    missing = [n for n, c in ma.REGISTRY.items() if c.modality == "image" and n not in ALL]
    assert not missing, f"add these ops to tests/image_cases.py: {missing}"


@pytest.mark.parametrize("name", IMAGE_OPS)
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("c", [1, 3])
def test_shape_dtype_device_kept_and_in_range(name, dtype, c):
    x = image(c=c, dtype=dtype)
    y = make(name)(x, generator=0)
    assert y.shape == x.shape and y.dtype == x.dtype and y.device == x.device
    assert torch.isfinite(y.float()).all()
    assert y.min() >= 0 and y.max() <= 1


@pytest.mark.parametrize("name", IMAGE_OPS)
def test_p0_is_identity(name):
    x = image()
    assert torch.equal(make(name, p=0.0)(x, generator=3), x)


@pytest.mark.parametrize("name", IMAGE_OPS)
def test_p1_changes_every_sample(name):
    x = image()
    y = make(name)(x, generator=3)
    assert all(not torch.equal(y[i], x[i]) for i in range(len(x)))


@pytest.mark.parametrize("name", IMAGE_OPS)
def test_same_seed_same_output_other_seed_differs(name):
    x = image()
    op = make(name)
    a, b, c = op(x, generator=7), op(x, generator=7), op(x, generator=8)
    assert torch.equal(a, b)
    assert not torch.equal(a, c)


@pytest.mark.parametrize("name", IMAGE_OPS)
def test_params_vary_across_batch(name):
    x = image(b=8)
    y = make(name)(x, generator=11)
    changes = [(y[i] - x[i]).abs().sum().item() for i in range(len(x))]
    assert len({round(v, 4) for v in changes}) > 1


@pytest.mark.parametrize("name", IMAGE_OPS)
def test_batch_equals_each_sample_alone(name):
    x = image(b=5)
    op = make(name)
    params = op.sample(5, torch.Generator().manual_seed(2))
    y = op.apply(x, params)
    for i in range(5):
        yi = op.apply(x[i:i + 1], slice_params(params, torch.tensor([i])))
        torch.testing.assert_close(yi, y[i:i + 1], rtol=0, atol=1e-5)


@pytest.mark.parametrize("name", IMAGE_OPS)
def test_replay_from_params_and_json_log(name):
    x = image()
    op = make(name)
    params = op.sample(4, torch.Generator().manual_seed(5))
    y = op.apply(x, params)
    assert torch.equal(op.apply(x, params), y)
    entry = json.loads(json.dumps(op.log(params)))
    assert torch.equal(ma.replay(entry, x), y)


@pytest.mark.parametrize("name", IMAGE_OPS)
def test_config_round_trip_bit_identical(name, tmp_path):
    x = image()
    op = make(name)
    for op2 in reloaded(op, tmp_path):
        assert torch.equal(op2(x, generator=9), op(x, generator=9))


@pytest.mark.parametrize("name", IMAGE_OPS)
def test_global_rng_untouched(name):
    x = image()
    state = torch.random.get_rng_state()
    make(name)(x, generator=1)
    make(name)(x)  # op-owned generator, seeded from torch.initial_seed()
    assert torch.equal(torch.random.get_rng_state(), state)


SEVERITY_OPS = [n for n in IMAGE_OPS if ma.REGISTRY[n].severity_table]


@pytest.mark.parametrize("name", SEVERITY_OPS)
def test_severity_monotonic_in_mean_absolute_change(name):
    x = image(b=8, h=64, w=64)
    cls = ma.REGISTRY[name]
    extra = {k: v for k, v in ALL[name].items() if k not in cls.severity_table}
    change = []
    for s in range(1, 6):
        y = cls(severity=s, **extra)(x, generator=0)
        change.append((y - x).abs().mean().item())
    assert all(a < b for a, b in zip(change, change[1:])), change


@pytest.mark.parametrize("name", IMAGE_OPS)
@pytest.mark.parametrize("bad, err", [
    (torch.zeros(2, 1, 8, 8, dtype=torch.uint8), TypeError),
    (torch.zeros(2, 1, 8, 8, dtype=torch.bool), TypeError),
    (torch.zeros(2, 1, 8, 8, dtype=torch.complex64), TypeError),
    (torch.zeros(1, 8, 8), ValueError),
    (torch.zeros(0, 1, 8, 8), ValueError),
    (torch.zeros(2, 2, 8, 8), ValueError),
    (torch.full((2, 1, 8, 8), float("nan")), ValueError),
    ([[0.0]], TypeError),
])
def test_bad_input_raises_documented_error(name, bad, err):
    with pytest.raises(err):
        make(name)(bad, generator=0)


@pytest.mark.cuda
@pytest.mark.parametrize("name", IMAGE_OPS)
@pytest.mark.parametrize("dtype", FLOATS)
def test_cuda_matches_cpu(name, dtype):
    x = image(dtype=dtype)
    op = make(name)
    params = op.sample(4, torch.Generator().manual_seed(0))
    y_cpu = op.apply(x, params)
    y_gpu = op.apply(x.cuda(), params)
    assert y_gpu.device.type == "cuda" and y_gpu.dtype == dtype
    tol = 2e-2 if dtype in (torch.float16, torch.bfloat16) else 1e-4
    assert (y_gpu.cpu().float() - y_cpu.float()).abs().mean() < tol


@pytest.mark.cuda
@pytest.mark.parametrize("name", IMAGE_OPS)
def test_cuda_under_autocast(name):
    x = image(device="cuda")
    with torch.autocast("cuda", dtype=torch.bfloat16):
        y = make(name)(x, generator=0)
    assert y.shape == x.shape and torch.isfinite(y.float()).all()
