"""MultiModalPolicy: asymmetry, drops, severity, damage map, occlusion, replay, config."""

import json

import pytest
import torch

pytest.importorskip("spacy", reason="needs the text extra: pip install 'mmr[text]'")

import mmr_augment as ma
from mmr_augment import Cutout, GaussianNoise, MultiModalPolicy, Sequential
from mmr_augment.text import SentenceDeletion, Typo

REPORTS = [
    "FINDINGS: The heart is normal in size. No pleural effusion. Lungs are clear. Bony "
    "structures are intact.\nIMPRESSION: No acute cardiopulmonary process.",
    "FINDINGS: Mild cardiomegaly. Small left pleural effusion. No pneumothorax. The visualized "
    "osseous structures appear intact.\n"
    "IMPRESSION: Cardiomegaly with small left effusion.",
] * 4


def images(b=8, seed=0):
    return torch.rand(b, 1, 32, 32, generator=torch.Generator().manual_seed(seed)) * 0.8 + 0.1


def policy(**kw):
    kw.setdefault("image", Sequential([GaussianNoise(), Cutout()]))
    kw.setdefault("text", Typo())
    kw.setdefault("patch_size", 8)
    return MultiModalPolicy(**kw)


def test_asymmetry_image_only_and_text_only_are_bit_identical_elsewhere():
    x = images(b=16)
    out = policy(text=Typo(severity=5))(x, REPORTS * 2, generator=1)
    text_changed = []
    for i, m in enumerate(out.mode.tolist()):
        name = ma.MODES[m]
        img_same = torch.equal(out.images[i], out.clean_images[i])
        assert img_same == (name in ("none", "text")), (i, name)
        if name in ("none", "image"):
            assert out.texts[i] == out.clean_texts[i] and not out.text_edits[i], (i, name)
        else:  # a typo op may find nothing eligible to change in a short report
            text_changed.append(out.texts[i] != out.clean_texts[i])
    assert set(out.mode.tolist()) == {0, 1, 2, 3}
    assert sum(text_changed) >= 0.75 * len(text_changed)


def test_mode_weights_and_drop_probabilities():
    pol = policy(modes={"image": 1, "text": 3}, drop={"image": 0.2, "text": 0.3})
    params = pol.sample(4000, 0)
    mode = params["mode"]
    assert set(mode.tolist()) == {1, 2}
    assert abs((mode == 2).float().mean().item() - 0.75) < 0.03
    di, dt = params["drop_image"], params["drop_text"]
    assert not (di & dt).any()
    assert abs(di.float().mean().item() - 0.2) < 0.03
    assert abs(dt.float().mean().item() - 0.3) < 0.03


def test_present_flags_follow_drops():
    pol = policy(drop={"image": 0.5, "text": 0.5})
    out = pol(images(), REPORTS, generator=3)
    assert torch.equal(out.image_present ^ out.text_present, torch.ones(8, dtype=torch.bool))


def test_p0_is_all_clean():
    out = policy(p=0.0, drop={"image": 0.5})(images(), REPORTS, generator=0)
    assert torch.equal(out.images, out.clean_images) and out.texts == out.clean_texts
    assert out.image_present.all() and out.text_present.all() and (out.mode == 0).all()


def test_severity_is_forced_per_sample_and_monotonic():
    x = images(b=8)
    changes = []
    for s in range(1, 6):
        out = MultiModalPolicy(image=GaussianNoise(), severity=s, modes={"image": 1})(
            x, REPORTS, generator=0)
        assert (out.severity == s).all()
        changes.append((out.images - x).abs().mean().item())
    assert changes == sorted(changes) and changes[0] < changes[-1]


def test_severity_schedule_caps_severity():
    pol = policy(severity=5, schedule="linear", schedule_steps=100)
    assert pol.severity_cap() == 1
    pol.set_step(50)
    assert pol.severity_cap() == 3
    pol.set_step(1000)
    assert pol.severity_cap() == 5
    pol.set_step(0)
    out = pol(images(), REPORTS, generator=0)
    assert set(out.severity.tolist()) <= {0, 1}
    cos = policy(severity=(1, 5), schedule="cosine", schedule_steps=100)
    cos.set_step(25)
    assert cos.severity_cap() == 2


def test_damage_map_and_occlusion_match_the_change():
    x = images()
    pol = MultiModalPolicy(image=Cutout(), modes={"image": 1}, patch_size=8)
    out = pol(x, REPORTS, generator=2)
    changed = (out.images != x)
    assert torch.equal(out.occlusion, changed)
    assert out.damage.shape == (8, 4, 4)
    manual = (out.images - x).abs().view(8, 4, 8, 4, 8).mean((2, 4))
    torch.testing.assert_close(out.damage, manual)


def test_edited_spans_point_at_changes_in_the_perturbed_text():
    out = MultiModalPolicy(text=Typo(severity=5), modes={"text": 1})(images(), REPORTS,
                                                                      generator=4)
    for clean, new, spans in zip(out.clean_texts, out.texts, out.edited_spans):
        words_clean = set(clean.split())
        assert spans
        for s, e in spans:
            assert new[s:e] not in words_clean or new.count(new[s:e]) != clean.count(new[s:e])


def test_edited_token_mask_from_offsets():
    out = MultiModalPolicy(text=SentenceDeletion(severity=5), modes={"text": 1})(
        images(2), REPORTS[:2], generator=0)
    offsets = [[(m.start(), m.end()) for m in __import__("re").finditer(r"\S+", t)]
               for t in out.texts]
    mask = out.edited_token_mask(offsets)
    assert mask.shape[0] == 2 and mask.any()


def test_replay_from_json_log_is_exact():
    pol = policy(drop={"text": 0.2}, severity=(1, 5))
    x = images()
    out = pol(x, REPORTS, generator=5)
    log = json.loads(json.dumps(out.log))
    again = MultiModalPolicy.replay(log, x, REPORTS)
    assert torch.equal(again.images, out.images) and again.texts == out.texts
    assert torch.equal(again.mode, out.mode) and torch.equal(again.occlusion, out.occlusion)


def test_log_is_made_on_first_access_and_survives_pickling():
    import pickle

    pol = policy(severity=(1, 5))
    x = images()
    params = pol.sample(8, torch.Generator().manual_seed(3))
    out = pol.apply((x, REPORTS), params)
    assert callable(vars(out)["log"])  # not converted yet
    copy = pickle.loads(pickle.dumps(out))  # a DataLoader worker hands it on deferred
    expected = {"config": pol.to_config(), "params": ma.params_to_json(params)}
    assert out.log == expected and not callable(vars(out)["log"]) and out.log is out.log
    assert copy.log == expected


def test_yaml_config_round_trip(tmp_path):
    pol = policy(modes={"none": 1, "both": 2}, drop={"image": 0.1}, severity=(2, 4))
    ma.save_config(pol, tmp_path / "policy.yaml")
    again = ma.load_config(tmp_path / "policy.yaml")
    assert again.to_config() == pol.to_config()
    x = images()
    a, b = pol(x, REPORTS, generator=9), again(x, REPORTS, generator=9)
    assert torch.equal(a.images, b.images) and a.texts == b.texts


def test_same_seed_same_batch_other_seed_differs():
    pol, x = policy(), images()
    a, b, c = (pol(x, REPORTS, generator=s) for s in (1, 1, 2))
    assert torch.equal(a.images, b.images) and a.texts == b.texts
    assert not torch.equal(a.images, c.images)


@pytest.mark.parametrize("kwargs, msg", [
    (dict(modes={"image": -1}), "non-negative"), (dict(modes={"picture": 1}), "unknown modes"),
    (dict(drop={"image": 0.7, "text": 0.6}), "sum to"), (dict(schedule="step"), "schedule"),
    (dict(image=Typo()), "image perturbation"), (dict(text=GaussianNoise()), "text pert"),
    (dict(severity=7), "maximum"), (dict(patch_size=0), "patch_size")])
def test_bad_configs(kwargs, msg):
    with pytest.raises(ma.ConfigError, match=msg):
        policy(**kwargs)


def test_bad_inputs():
    with pytest.raises(ValueError, match="one report per image"):
        policy()(images(3), REPORTS[:2], generator=0)
    with pytest.raises(TypeError, match="float"):
        policy()(torch.zeros(8, 1, 8, 8, dtype=torch.uint8), REPORTS, generator=0)
