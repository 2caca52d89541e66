"""Hostile configs for every loader: op / composition / policy configs, scanner and report style
YAML, and the mmr_train model and fit YAML.

Already covered elsewhere (not repeated): tests/core/test_core.py (unknown op with a suggestion, no
``type``, unknown argument, wrong type, a ``!!python/object/apply`` tag for ``load_config``),
tests/core/test_policy.py::test_bad_configs, tests/style/test_style_scanner.py and
tests/style/test_style_report.py (bad style YAML),
tests/train/test_train_model.py::test_config_errors_are_clear, tests/cli/test_cli.py.
This file adds: Python-object tags that would run code, for every loader, with proof that
nothing ran; non-finite and out-of-range numbers; nested bad ops; alias bombs; deep nesting.
"""

from __future__ import annotations

import json

import pytest
import torch

pytest.importorskip("tokenizers", reason="needs the train extra: pip install 'mmr[train]'")

import mmr_augment as ma
from mmr_augment.errors import ConfigError
from mmr_augment.style import ScannerStyle
from mmr_train.config import load_config as load_model_config
from mmr_train.config import load_fit_config

LOADERS = {
    "mmr_augment.load_config": ma.load_config,
    "ScannerStyle.from_yaml": ScannerStyle.from_yaml,
    "StyleFamily.from_yaml": ma.StyleFamily.from_yaml,
    "ReportStyle.from_yaml": lambda path: ma.REGISTRY["ReportStyle"].from_yaml(path),
    "mmr_train.config.load_config": load_model_config,
    "mmr_train.config.load_fit_config": load_fit_config,
}
#: YAML that would create ``{marker}`` if a loader ever used an unsafe YAML loader.
PAYLOADS = [
    "type: GaussianNoise\nstd: !!python/object/apply:os.system ['touch {marker}']\n",
    "!!python/object/apply:builtins.open ['{marker}', 'w']\n",
    "noise: !!python/object/new:pathlib.Path ['{marker}']\n",
    "model: !!python/name:os.system\n",
    "a: !!python/object:__main__.Evil {{x: 1}}\n",
    "!!binary aGVsbG8=\n",
]


@pytest.mark.parametrize("loader", sorted(LOADERS))
@pytest.mark.parametrize("payload", PAYLOADS)
def test_python_tags_are_refused_and_run_nothing(loader, payload, tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.yaml"
    path.write_text(payload.format(marker=marker), encoding="utf-8")
    with pytest.raises(ConfigError):
        LOADERS[loader](path)
    assert not marker.exists()


@pytest.mark.parametrize("loader", sorted(LOADERS))
@pytest.mark.parametrize("content, match", [
    ("", "mapping|empty|type"),
    ("- a\n- b\n", "mapping|list"),
    ("key: [unclosed\n", "not valid YAML"),
    ("\x00\x01\x02binary", "not valid YAML|mapping|unknown|special characters"),
])
def test_garbage_files_are_refused_with_config_error(loader, content, match, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(content, encoding="utf-8")
    if not content and loader.startswith("mmr_train"):  # documented: empty = all defaults
        assert LOADERS[loader](path) is not None
        return
    with pytest.raises(ConfigError, match=match):
        LOADERS[loader](path)


@pytest.mark.parametrize("loader", sorted(LOADERS))
def test_missing_and_undecodable_files(loader, tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        LOADERS[loader](tmp_path / "absent.yaml")


@pytest.mark.parametrize("config, match", [
    ({"type": "GaussianNoise", "std": float("nan")}, "not finite"),
    ({"type": "GaussianNoise", "std": float("inf")}, "not finite"),
    ({"type": "GaussianNoise", "std": [0.1, 0.05]}, "lo > hi"),
    ({"type": "GaussianNoise", "std": 5.0}, "above the maximum"),
    ({"type": "GaussianNoise", "std": {"choice": []}}, "choice list is empty"),
    ({"type": "GaussianNoise", "std": [0.1, 0.2, 0.3]}, "two numbers"),
    ({"type": "GaussianNoise", "p": float("nan")}, "p must be a number in"),
    ({"type": "GaussianNoise", "p": "1"}, "p must be a number in"),
    ({"type": "GaussianNoise", "p": True}, "p must be a number in"),
    ({"type": "GaussianNoise", "severity": 6}, "severity must be an int 1..5"),
    ({"type": "GaussianNoise", "severity": 2.5}, "severity must be an int 1..5"),
    ({"type": "GaussianNoise", "value_range": [0, float("inf")]}, "value_range must be finite"),
    ({"type": "GaussianNoise", "value_range": [-1e308, 1e308]}, "value_range must be finite"),
    ({"type": "GaussianNoise", "value_range": [1, 0]}, "hi > lo"),
    ({"type": "GaussianNoise", "value_range": "wide"}, "value_range must be two numbers"),
    ({"type": "Sequential", "ops": []}, "non-empty list"),
    ({"type": "Sequential", "ops": [{"type": "Nope"}]}, "unknown op type 'Nope'"),
    ({"type": "Sequential", "ops": [{"type": "GaussianNoise", "std": -1}]}, "below the minimum"),
    ({"type": "Sequential", "ops": [{"type": "GaussianNoise"}, {"type": "Typo"}]},
     "mix modalities"),
    ({"type": "OneOf", "ops": [{"type": "GaussianNoise"}], "weights": [-1]}, "non-negative"),
    ({"type": "SomeOf", "ops": [{"type": "GaussianNoise"}], "n": 3}, "above the maximum"),
    ({"type": "MultiModalPolicy", "modes": {"image": float("nan")}}, "non-negative numbers"),
    ({"type": "MultiModalPolicy", "drop": {"image": 2.0}}, "sum to <= 1"),
    ({"type": "MultiModalPolicy", "image": {"type": "Typo"}}, "image perturbation"),
    ({"type": "MultiModalPolicy", "patch_size": 1.5}, "patch_size must be a positive int"),
    ({"type": ["GaussianNoise"]}, "unknown op type"),
    ({"type": "__init__"}, "unknown op type"),
    ({"type": "Perturbation"}, "unknown op type"),
])
def test_bad_values_name_the_argument(config, match):
    with pytest.raises(ConfigError, match=match):
        ma.from_config(config)


def test_nan_in_a_json_config_file_is_refused(tmp_path):
    path = tmp_path / "op.json"
    path.write_text('{"type": "GaussianNoise", "std": NaN}')
    with pytest.raises(ConfigError, match="not finite"):
        ma.load_config(path)


@pytest.mark.timeout(30)
def test_yaml_alias_bomb_is_refused_quickly(tmp_path):
    lines, prev = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x"]'], "a0"
    for i in range(1, 10):
        lines.append(f"a{i}: &a{i} [{', '.join(['*' + prev] * 9)}]")
        prev = f"a{i}"
    lines += ["type: GaussianNoise", f"std: *{prev}"]
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ConfigError, match="unknown argument"):
        ma.load_config(path)


def test_deeply_nested_config_raises_recursion_error_not_a_crash():
    """Documented result: nesting beyond Python's recursion limit (~300 levels of
    ``Sequential``) raises ``RecursionError``; the process survives."""
    config: dict = {"type": "GaussianNoise"}
    for _ in range(3000):
        config = {"type": "Sequential", "ops": [config]}
    with pytest.raises(RecursionError):
        ma.from_config(config)
    assert ma.from_config({"type": "GaussianNoise"}).to_config() == {"type": "GaussianNoise"}


def test_policy_yaml_round_trip_and_hostile_edit(tmp_path):
    policy = ma.MultiModalPolicy(image=ma.GaussianNoise(), text=ma.REGISTRY["Typo"](),
                                 severity=(1, 3), patch_size=4)
    path = tmp_path / "policy.yaml"
    ma.save_config(policy, path)
    loaded = ma.load_config(path)
    x, texts = torch.rand(2, 1, 8, 8), ["No effusion.", "Mild cardiomegaly."]
    assert torch.equal(loaded(x, texts, generator=0).images, policy(x, texts, generator=0).images)
    path.write_text(path.read_text().replace("patch_size: 4", "patch_size: -4"))
    with pytest.raises(ConfigError, match="patch_size"):
        ma.load_config(path)


@pytest.mark.parametrize("content, match", [
    ("model: {width: -8}\n", "width"),
    ("model: {width: .nan}\n", "width"),
    ("masking: {image_clean: .inf}\n", "image_clean"),
    ("preset: ../../etc/passwd\n", "unknown preset"),
    ("mdoel: {}\n", "unknown key"),
])
def test_train_model_yaml_bad_values(content, match, tmp_path):
    path = tmp_path / "model.yaml"
    path.write_text(content)
    with pytest.raises(ConfigError, match=match):
        load_model_config(path)


def test_logged_params_with_a_wrong_dtype_name_are_refused():
    entry = json.loads(json.dumps(ma.GaussianNoise().log(ma.GaussianNoise().sample(1, 0))))
    entry["params"]["std"]["dtype"] = "__class__"
    with pytest.raises(ConfigError, match="not a torch dtype"):
        ma.replay(entry, torch.rand(1, 1, 4, 4))
