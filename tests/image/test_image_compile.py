"""``torch.compile`` path: every image op's ``apply`` traces as one graph (``fullgraph=True``),
new per-sample params reuse it (no recompile), and it gives the eager values."""

import shutil

import pytest
import torch
from image_cases import ALL

import mmr_augment as ma

IMAGE_OPS = sorted(n for n, c in ma.REGISTRY.items() if c.modality in ("image", "any")
                   and n in ALL)


#: styles blur, then quantise (bit depth, JPEG): compiled and eager may differ by a level
QUANTISED = {"ScannerStyle", "StyleFamily"}


class CountingBackend:
    """A dynamo backend that counts the graphs it is given and runs them eagerly."""

    def __init__(self) -> None:
        self.graphs = 0

    def __call__(self, gm: torch.fx.GraphModule, example_inputs):
        self.graphs += 1
        return gm.forward


def batch(seed: int, b: int = 3, c: int = 1) -> torch.Tensor:
    return torch.rand(b, c, 24, 24, generator=torch.Generator().manual_seed(seed))


@pytest.fixture(autouse=True)
def fresh_dynamo():
    torch._dynamo.reset()
    yield
    torch._dynamo.reset()


def layout(params) -> tuple:
    """The keys of a params tree: what a compiled graph is specialised on (values are not)."""
    if isinstance(params, dict):
        return tuple((k, layout(v)) for k, v in sorted(params.items()))
    if isinstance(params, (list, tuple)):
        return tuple(layout(v) for v in params)
    return ()


@pytest.mark.parametrize("name", IMAGE_OPS)
def test_apply_is_one_graph_reused_across_batches_with_new_params(name):
    op = ma.REGISTRY[name](**ALL[name])
    backend = CountingBackend()
    compiled = torch.compile(op.apply, backend=backend, fullgraph=True)
    layouts = set()
    for seed in range(3):
        x = batch(seed)
        params = op.sample(len(x), seed)
        layouts.add(layout(params))
        got = compiled(x, params)
        want = op.apply(x, params)
        # same kernels; traced blur kernels are zero-padded to the largest size the op draws
        off = (got - want).abs() > 2e-6
        if name in QUANTISED:  # a rounding difference before a quantiser moves a pixel a level
            assert off.float().mean() < 0.01 and (got - want).abs().max() <= 1 / 255 + 1e-6
        else:
            torch.testing.assert_close(got, want, rtol=0, atol=2e-6)
    # one graph per params layout; only StyleFamily's varies (it samples the members drawn)
    assert backend.graphs == len(layouts), f"{name}: {backend.graphs} graphs for 3 batches"
    assert len(layouts) == 1 or name == "StyleFamily"


def test_gate_patterns_and_one_of_choices_share_one_graph():
    op = ma.Sequential([ma.GaussianNoise(std=0.1, p=0.5),
                        ma.OneOf([ma.Gamma(gamma=(0.5, 2.0)), ma.Invert()]),
                        ma.Brightness(factor=(0.6, 1.4), p=0.5)])
    backend = CountingBackend()
    compiled = torch.compile(op.apply, backend=backend, fullgraph=True)
    x = batch(0, b=6)
    for seed in range(4):  # different gates and choices every time
        params = op.sample(len(x), seed)
        # same kernels, but for Gamma: torch.pow traced, NumPy's exp(gamma * log x) in eager
        torch.testing.assert_close(compiled(x, params), op.apply(x, params), rtol=0, atol=2e-7)
    assert backend.graphs == 1


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("c++") is None and shutil.which("g++") is None,
                    reason="inductor on CPU needs a C++ compiler")
def test_inductor_fuses_a_pointwise_chain_within_float_rounding():
    op = ma.Sequential([ma.GaussianNoise(std=0.05), ma.Gamma(gamma=(0.7, 1.5)),
                        ma.Contrast(factor=(0.8, 1.2)), ma.Brightness(factor=(0.9, 1.1))])
    compiled = torch.compile(op.apply, fullgraph=True)
    x = batch(1, b=2)
    params = op.sample(len(x), 0)
    torch.testing.assert_close(compiled(x, params), op.apply(x, params), rtol=0, atol=1e-6)


def test_nearest_style_family_is_one_graph_for_every_batch():
    from cases_image_style import STYLE

    op = ma.StyleFamily(**{**STYLE["StyleFamily"], "pick": "nearest", "neighbours": 2})
    backend = CountingBackend()
    compiled = torch.compile(op.apply, backend=backend, fullgraph=True)
    for seed in range(3):  # every member is sampled for every batch: one params layout
        x, params = batch(seed), op.sample(3, seed)
        got, want = compiled(x, params), op.apply(x, params)
        assert (got - want).abs().max() <= 1 / 255 + 1e-6
    assert backend.graphs == 1


@pytest.mark.parametrize("roughen", ["sharpen", "noise"])
def test_style_family_with_texture_is_one_graph_for_every_batch(roughen):
    from cases_image_style import STYLE

    members = [{**m, "noise": n} for m, n in zip(STYLE["StyleFamily"]["members"], (0.01, 0.05))]
    op = ma.StyleFamily(**{**STYLE["StyleFamily"], "members": members, "pick": "nearest",
                           "texture": 0.7, "roughen": roughen})
    backend = CountingBackend()
    compiled = torch.compile(op.apply, backend=backend, fullgraph=True)
    for seed in range(3):  # blur sigmas and noise levels differ per batch: one graph
        x, params = batch(seed), op.sample(3, seed)
        got, want = compiled(x, params), op.apply(x, params)
        assert (got - want).abs().max() <= 1 / 255 + 1e-6
    assert backend.graphs == 1
