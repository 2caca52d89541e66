"""The contract pieces on their own: ParamSpec, generators, registry, config, compositions."""

import json

import pytest
import torch

import mmr_augment as ma
from mmr_augment import ConfigError, GaussianNoise, OneOf, ParamSpec, Sequential, SomeOf, choice
from mmr_augment.core import params_from_json, params_to_json, slice_params
from mmr_augment.extras import missing
from mmr_augment.testing import isolated_registry


@pytest.mark.parametrize("value, kind", [(0.1, "fixed"), ((0.1, 0.2), "range"),
                                         ([0.1, 0.2], "range"), (choice(1, 2, 3), "choice"),
                                         ({"choice": [1, 2]}, "choice")])
def test_param_spec_forms(value, kind):
    spec = ParamSpec.build("a", value)
    assert spec.kind == kind
    assert ParamSpec.build("a", spec.to_config()) == spec


@pytest.mark.parametrize("value, msg", [
    ((1, 2, 3), "range is"), ((0.5, 0.1), "lo > hi"), ("x", "expected numbers"),
    (float("nan"), "not finite"), (-1.0, "below the minimum"), (choice(), "empty"),
    ({"range": [1, 2]}, "dict spec"), (True, "expected numbers")])
def test_param_spec_errors(value, msg):
    with pytest.raises(ConfigError, match=msg):
        ParamSpec.build("a", value, low=0.0)


def test_param_spec_integer_and_odd():
    with pytest.raises(ConfigError, match="odd"):
        ParamSpec.build("k", (3, 4), integer=True, odd=True)
    s = ParamSpec.build("k", (1, 3), integer=True)
    vals = s.sample(200, torch.Generator().manual_seed(0))
    assert vals.dtype == torch.int64 and set(vals.tolist()) == {1, 2, 3}


def test_range_sampling_stays_in_range_and_choice_covers_values():
    g = torch.Generator().manual_seed(0)
    r = ParamSpec.build("a", (0.2, 0.4)).sample(1000, g)
    assert r.min() >= 0.2 and r.max() <= 0.4 and r.std() > 0.05
    c = ParamSpec.build("a", choice(0.1, 0.7)).sample(1000, g)
    assert set(c.tolist()) == {0.1, 0.7}


def test_seed_and_generator_are_equivalent():
    op = GaussianNoise(std=(0.0, 0.2))
    a = op.sample(5, 123)
    b = op.sample(5, torch.Generator().manual_seed(123))
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_own_generator_follows_torch_manual_seed_without_advancing_it():
    op = GaussianNoise()
    x = torch.rand(2, 1, 8, 8)
    torch.manual_seed(5)
    state = torch.random.get_rng_state()
    y1 = GaussianNoise()(x)
    assert torch.equal(torch.random.get_rng_state(), state)
    torch.manual_seed(5)
    assert torch.equal(GaussianNoise()(x), y1)
    assert not torch.equal(op(x), op(x))  # the op's own stream advances between calls


def test_cuda_generator_refused():
    class Fake:
        pass
    with pytest.raises(TypeError, match="generator"):
        GaussianNoise().sample(2, Fake())


@pytest.mark.parametrize("bad", [0, -1, 2.0, True])
def test_bad_batch_size(bad):
    with pytest.raises(ValueError, match="batch_size"):
        GaussianNoise().sample(bad, 0)


@pytest.mark.parametrize("kwargs, msg", [(dict(p=1.5), "p must"), (dict(severity=6), "severity"),
                                         (dict(severity=True), "severity"),
                                         (dict(value_range=(1, 0)), "value_range")])
def test_constructor_validation(kwargs, msg):
    with pytest.raises(ValueError, match=msg):
        GaussianNoise(**kwargs)


def test_severity_overrides_the_argument():
    assert GaussianNoise(std=0.5, severity=3).std.values == (0.12,)


def test_params_for_wrong_batch_size_refused():
    op = GaussianNoise()
    with pytest.raises(ValueError, match="sample\\(3"):
        op.apply(torch.rand(3, 1, 4, 4), op.sample(2, 0))


def test_from_config_errors():
    with pytest.raises(ConfigError, match="did you mean GaussianNoise"):
        ma.from_config({"type": "GausianNoise"})
    with pytest.raises(ConfigError, match="no 'type'"):
        ma.from_config({"std": 0.1})
    with pytest.raises(ConfigError, match="unknown argument"):
        ma.from_config({"type": "GaussianNoise", "sigma": 0.1})
    with pytest.raises(ConfigError, match="std"):
        ma.from_config({"type": "GaussianNoise", "std": "high"})
    with pytest.raises(ConfigError, match="mapping"):
        ma.from_config(["GaussianNoise"])


def test_yaml_python_tags_are_refused(tmp_path):
    path = tmp_path / "evil.yaml"
    path.write_text("!!python/object/apply:os.system ['echo hacked']\n")
    with pytest.raises(ConfigError, match="only plain YAML"):
        ma.load_config(path)
    with pytest.raises(ConfigError, match="not found"):
        ma.load_config(tmp_path / "missing.yaml")


def test_nested_config_round_trip():
    op = SomeOf([GaussianNoise(std=choice(0.1, 0.2)),
                 OneOf([GaussianNoise(std=(0.0, 0.1)), GaussianNoise(p=0.5)], weights=[1, 3])],
                n=1, p=0.9)
    cfg = op.to_config()
    assert cfg == {"type": "SomeOf", "ops": [
        {"type": "GaussianNoise", "std": {"choice": [0.1, 0.2]}},
        {"type": "OneOf", "ops": [{"type": "GaussianNoise", "std": [0.0, 0.1]},
                                  {"type": "GaussianNoise", "p": 0.5}], "weights": [1, 3]}],
        "n": 1, "p": 0.9}
    assert ma.from_config(json.loads(json.dumps(cfg))).to_config() == cfg


def test_params_json_round_trip_is_exact():
    params = GaussianNoise(std=(0.0, 1.0)).sample(4, 0)
    back = params_from_json(json.loads(json.dumps(params_to_json(params))))
    assert all(torch.equal(params[k], back[k]) and params[k].dtype == back[k].dtype
               for k in params)


def test_one_of_picks_per_sample_with_weights():
    op = OneOf([GaussianNoise(std=0.0), GaussianNoise(std=0.3)], weights=[1, 3])
    idx = op.sample(4000, 0)["index"]
    assert abs(idx.float().mean().item() - 0.75) < 0.03
    x = torch.full((6, 1, 8, 8), 0.5)
    params = op.sample(6, 1)
    y = op.apply(x, params)
    changed = (y != x).flatten(1).any(1)
    assert torch.equal(changed, params["index"] == 1)


def test_some_of_counts_and_order():
    op = SomeOf([GaussianNoise(std=0.1)] * 4, n=(2, 3))
    chosen = op.sample(500, 0)["chosen"]
    assert set(chosen.sum(1).tolist()) == {2, 3}


def test_sequential_equals_manual_chain():
    a, b = GaussianNoise(std=0.1), GaussianNoise(std=0.05)
    seq = Sequential([a, b])
    x = torch.rand(3, 1, 8, 8)
    params = seq.sample(3, 0)
    manual = b.apply(a.apply(x, params["ops"][0]), params["ops"][1])
    assert torch.equal(seq.apply(x, params), manual)


def test_composition_validation():
    with pytest.raises(ConfigError, match="non-empty"):
        Sequential([])
    with pytest.raises(ConfigError, match="not a Perturbation"):
        Sequential([torch.nn.Identity()])
    with pytest.raises(ConfigError, match="weights"):
        OneOf([GaussianNoise()], weights=[1, 2])


def test_slice_params_nested():
    op = Sequential([GaussianNoise(), OneOf([GaussianNoise(), GaussianNoise()])])
    params = op.sample(5, 0)
    part = slice_params(params, torch.tensor([4, 1]))
    assert torch.equal(part["ops"][1]["index"], params["ops"][1]["index"][[4, 1]])


def test_registry_and_families():
    with isolated_registry():
        class Glare(ma.ImagePerturbation):  # a new family needs no edit of the contract
            family = "glare"
        assert "glare" in ma.families("image") and "glare" not in ma.families("text")

        class _Hidden(ma.ImagePerturbation, abstract=True):
            family = "hidden"
        assert "_Hidden" not in ma.REGISTRY and "hidden" not in ma.families()
    assert "glare" not in ma.families() and "Glare" not in ma.REGISTRY
    assert {"gaussian_noise", "composition", "policy"} <= set(ma.families())
    # Text families are registered once their extra is importable (the core env has none).
    assert ("synonym" in ma.families()) == (not missing("spacy", "scispacy", "nltk"))
    with pytest.warns(DeprecationWarning, match="families"):
        assert ma.families() == ma.FAMILIES
    with pytest.raises(TypeError, match="snake_case"):
        class Bad(ma.ImagePerturbation):  # noqa: F841
            family = "Not A Family"
    with pytest.raises(TypeError, match="already registered"):
        class GaussianNoise(ma.ImagePerturbation):  # noqa: F811
            family = "gaussian_noise"


def test_noise_params_are_small():
    params = GaussianNoise().sample(64, 0)
    per_sample = sum(t.element_size() * t[0].numel() for t in params.values())
    assert per_sample < 1024


def test_to_float_image_conversions():
    u16 = torch.tensor([[[[0, 4095]]]], dtype=torch.int32)
    assert ma.to_float_image(u16, bits=12).tolist() == [[[[0.0, 1.0]]]]
    with pytest.raises(TypeError, match="complex"):
        ma.to_float_image(torch.zeros(1, dtype=torch.complex64))


def test_value_range_is_respected():
    x = torch.rand(4, 1, 16, 16) * 2000 - 1000  # e.g. Hounsfield-like units
    y = GaussianNoise(std=0.1, value_range=(-1000, 1000))(x, generator=0)
    assert y.min() >= -1000 and y.max() <= 1000
    assert 50 < (y - x).std() < 250


def test_cli_list_json(capsys):
    from mmr_augment.cli import main
    assert main(["list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    gn = next(r for r in rows if r["name"] == "GaussianNoise")
    assert gn["family"] == "gaussian_noise" and gn["severity"]["std"][0] == 0.04
    assert gn["arguments"]["std"] == [0.01, 0.1]
