"""Hostile tensors against every image op, composition, style and the policy.

Already covered by tests/image/test_image_contract.py::test_bad_input_raises_documented_error (not
repeated here): uint8 / bool / complex64 images (TypeError), 3-D input, empty batch, 2 channels,
all-NaN (ValueError), a nested list (TypeError). This file adds what is missing: other integer
dtypes, Inf, a single NaN, zero-size and extreme sizes, out-of-range values (documented result:
clamped into the value range, never NaN, never a hang), non-contiguous and channels-last
memory, ``requires_grad`` inputs, and device mismatches (CUDA-only tests run where a GPU is).
"""

from __future__ import annotations

import pytest
import torch
from image_cases import ALL

import mmr_augment as ma
from mmr_augment.errors import InputError, InputTypeError

IMAGE_OPS = sorted(n for n, c in ma.REGISTRY.items() if c.modality == "image") + [
    "Sequential", "OneOf", "SomeOf"]


def make(name: str, **extra) -> ma.Perturbation:
    return ma.REGISTRY[name](**{**ALL.get(name, {}), **extra})


def image(b=2, c=1, h=16, w=20, seed=0) -> torch.Tensor:
    return torch.rand(b, c, h, w, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("name", IMAGE_OPS)
@pytest.mark.parametrize("dtype", [torch.int8, torch.int16, torch.int32, torch.int64,
                                   torch.uint16, torch.complex128])
def test_integer_and_complex_dtypes_name_the_conversion(name, dtype):
    x = torch.zeros(2, 1, 8, 8, dtype=dtype)
    with pytest.raises(InputTypeError, match="to_float_image"):
        make(name)(x, generator=0)


@pytest.mark.parametrize("name", IMAGE_OPS)
@pytest.mark.parametrize("bad", [float("inf"), float("-inf"), float("nan")])
def test_one_non_finite_pixel_is_refused(name, bad):
    x = image()
    x[1, 0, 3, 4] = bad
    with pytest.raises(InputError, match="NaN or Inf.*nan_to_num"):
        make(name)(x, generator=0)


@pytest.mark.parametrize("name", IMAGE_OPS)
@pytest.mark.parametrize("shape", [(2, 1, 0, 8), (2, 3, 8, 0), (1, 1, 0, 0)])
def test_zero_size_images_are_refused(name, shape):
    with pytest.raises(InputError, match="zero size"):
        make(name)(torch.zeros(shape), generator=0)


@pytest.mark.parametrize("name", IMAGE_OPS)
@pytest.mark.parametrize("h, w", [(1, 1), (1, 4096), (4096, 1)])
def test_one_pixel_and_extreme_aspect_ratios_work(name, h, w):
    x = image(b=2, h=h, w=w)
    y = make(name)(x, generator=0)
    assert y.shape == x.shape and torch.isfinite(y).all() and y.min() >= 0 and y.max() <= 1


@pytest.mark.timeout(120)
@pytest.mark.parametrize("name", IMAGE_OPS)
@pytest.mark.parametrize("scale", [-2.0, 3.0, 1e30, -1e30])
def test_out_of_range_values_are_clamped_into_the_range(name, scale):
    """Documented result (image/base.py): not refused; gated-on samples come back clamped into
    ``value_range``. Regression: Gamma gave NaN for negative input and PoissonNoise never
    returned for 1e30 (float64 counts above 2**53 cannot step by one)."""
    x = image() * scale
    y = make(name)(x, generator=0)
    assert torch.isfinite(y).all() and y.min() >= 0 and y.max() <= 1


def test_out_of_range_gated_off_samples_come_back_as_given():
    x = image() * 5
    assert torch.equal(ma.GaussianNoise(p=0.0)(x, generator=0), x)


@pytest.mark.parametrize("name", IMAGE_OPS)
def test_channels_last_and_non_contiguous_give_the_same_values(name):
    op = make(name)
    x = image(c=3, h=16, w=20)
    params = op.sample(2, 1)
    want = op.apply(x, params)
    views = [x.contiguous(memory_format=torch.channels_last),
             x.transpose(2, 3).contiguous().transpose(2, 3),
             torch.stack([x, x], dim=-1)[..., 0]]  # strided: every other element of a buffer
    for view in views:
        assert view.shape == x.shape
        torch.testing.assert_close(op.apply(view, params), want, rtol=0, atol=1e-6)


@pytest.mark.parametrize("name", IMAGE_OPS)
def test_requires_grad_input_is_taken_and_left_untouched(name):
    """Documented: ops are data augmentation, not a differentiable API. An input with
    ``requires_grad`` is accepted and never modified; the output may carry a graph (most ops)
    or not, and gradients through sampling steps (Poisson counts, quantisation) are zero."""
    x = image().requires_grad_(True)
    before = x.detach().clone()
    y = make(name)(x, generator=0)
    assert y.shape == x.shape and torch.equal(x.detach(), before)
    if y.requires_grad:
        y.sum().backward()
        assert x.grad is not None and torch.isfinite(x.grad).all()


def test_policy_refuses_bad_images_and_mismatched_counts():
    policy = ma.MultiModalPolicy(image=ma.GaussianNoise(), patch_size=4)
    with pytest.raises(InputTypeError, match="to_float_image"):
        policy(torch.zeros(2, 1, 8, 8, dtype=torch.uint8), ["a", "b"], generator=0)
    with pytest.raises(InputError, match="2 images but 3 reports"):
        policy(image(), ["a", "b", "c"], generator=0)
    x = image()
    x[0, 0, 0, 0] = float("nan")
    with pytest.raises(InputError, match="NaN or Inf"):
        policy(x, ["a", "b"], generator=0)


def test_params_for_another_batch_size_are_refused():
    op = ma.GaussianNoise()
    with pytest.raises(InputError, match="sampled for a batch of"):
        op.apply(image(b=3), op.sample(2, 0))


def test_a_cuda_generator_is_refused_before_sampling():
    class FakeCudaGenerator(torch.Generator):
        device = torch.device("cuda")

    with pytest.raises(InputError, match="CPU torch.Generator"):
        ma.GaussianNoise().sample(2, FakeCudaGenerator())


@pytest.mark.cuda
@pytest.mark.parametrize("name", IMAGE_OPS)
def test_cpu_params_with_cuda_data_is_the_normal_case(name):
    op = make(name)
    x = image()
    params = op.sample(2, 0)
    torch.testing.assert_close(op.apply(x.cuda(), params).cpu(), op.apply(x, params),
                               rtol=0, atol=1e-4)


@pytest.mark.cuda
def test_cuda_params_with_cpu_data_work_or_fail_loudly():
    op = ma.GaussianNoise()
    params = {k: v.cuda() for k, v in op.sample(2, 0).items()}
    try:
        y = op.apply(image(), params)
    except (RuntimeError, InputError) as e:
        assert "device" in str(e).lower()
    else:
        assert y.device.type == "cpu"
    with pytest.raises(InputError, match="CPU torch.Generator"):
        op.sample(2, torch.Generator(device="cuda"))
