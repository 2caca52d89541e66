"""Help text of both CLIs (issue 20 point 10): no RST markup, every option explained,
defaults shown, ``describe`` takes an op name."""

from __future__ import annotations

import json

import pytest

from mmr_augment.cli import main as augment


def help_of(entry, argv, capsys) -> str:
    with pytest.raises(SystemExit):
        entry([*argv, "--help"])
    return capsys.readouterr().out


def test_augment_help_has_no_rst_and_explains_every_option(capsys):
    assert "``" not in help_of(augment, [], capsys)
    assert "only the ops of this modality" in help_of(augment, ["list"], capsys)
    text = " ".join(help_of(augment, ["describe"], capsys).split())
    for option in ("--size SIZE side of the synthetic images", "--seed SEED seed of the sample",
                   "--json machine-readable", "an op name such as GaussianNoise"):
        assert option in text


def test_describe_takes_an_op_name(capsys):
    assert augment(["describe", "GaussianNoise", "--samples", "0", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert "GaussianNoise" in json.dumps(info) and info["sample_run"] is None


def test_train_help_shows_defaults_and_device_choices(capsys):
    pytest.importorskip("tokenizers", reason="needs the train extra: pip install 'mmr[train]'")
    from mmr_train.cli import main as train

    assert "`" not in help_of(train, [], capsys)
    text = " ".join(help_of(train, ["eval"], capsys).split())
    assert "--device {auto,cpu,cuda}" in text and "(default: 128)" in text
    assert "default: 1 2 3 4 5" in text and "`" not in text
    fit = " ".join(help_of(train, ["fit"], capsys).split())
    assert "(default: tiny)" in fit and "--manifest MANIFEST" in fit
