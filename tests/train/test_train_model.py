"""RobustMMR model, configs and the training objective end to end on hand-made batches."""

import dataclasses
from importlib import resources

import pytest
import torch

pytest.importorskip("tokenizers", reason="needs the train extra: pip install 'mmr[train]'")

from mmr_augment.errors import ConfigError, InputError
from mmr_train.config import (
    LOSS_TERMS,
    FitConfig,
    LossConfig,
    fit_config_from_dict,
    from_dict,
    load_config,
    preset,
    save_config,
)
from mmr_train.model import RobustMMR, prepare_inputs
from mmr_train.model.toy import toy_batch, toy_tokenizer

KEYS = {"mim", "mlm", "itc", "consistency", "resilience", "total"}



def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def tiny(**loss):
    cfg = preset("tiny")
    cfg.loss = dataclasses.replace(cfg.loss, **loss)
    return cfg


def model_for(cfg, seed=0):
    torch.manual_seed(seed)              # parameter init only; the masks use a Generator
    return RobustMMR(cfg).eval()


# ---- config -----------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["tiny", "small", "base"])
def test_shipped_yaml_equals_preset(name):
    path = resources.files("mmr_train") / "configs" / f"{name}.yaml"
    assert load_config(path) == preset(name)


def test_config_errors_are_clear(tmp_path):
    with pytest.raises(ConfigError, match="did you mean 'image_size'"):
        from_dict({"model": {"imag_size": 32}})
    with pytest.raises(ConfigError, match="unknown key config.optimizer"):
        from_dict({"optimizer": {}})
    with pytest.raises(ConfigError, match="model.width must be int"):
        from_dict({"model": {"width": "wide"}})
    with pytest.raises(ConfigError, match="must be int"):
        from_dict({"model": {"width": True}})
    with pytest.raises(ConfigError, match="one of"):
        from_dict({"method": "mae"})
    with pytest.raises(ConfigError, match=r"\[0, 1\]"):
        from_dict({"masking": {"image_clean": 1.5}})
    with pytest.raises(ConfigError, match="unknown preset"):
        preset("huge")
    bad = tmp_path / "bad.yaml"
    bad.write_text("model: !!python/object:os.system {}\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(bad)


def test_yaml_overrides_and_round_trip(tmp_path):
    path = tmp_path / "run.yaml"
    path.write_text("preset: small\nmethod: baseline\nloss: {mim: 2}\n")
    cfg = load_config(path)
    assert cfg.model == preset("small").model and cfg.loss.mim == 2.0
    assert cfg.loss_weights()["consistency"] == 0.0
    save_config(cfg, tmp_path / "out.yaml")
    assert load_config(tmp_path / "out.yaml") == cfg


@pytest.mark.parametrize(("data", "match"), [
    ({"train": {"lr": "fast"}}, r"config\.train\.lr must be float, got 'fast' \(str\)"),
    ({"train": {"batch_size": 0}}, r"config\.train\.batch_size must be >= 1"),
    ({"train": {"grad_clip": float("nan")}}, "config.train.grad_clip must be finite"),
    ({"train": {"precision": "fp8"}}, r"config\.train\.precision must be one of \('auto'"),
    ({"data": {"second_view": "mirror"}}, "config.data.second_view must be one of"),
    ({"data": {"size": "big"}}, r"config\.data\.size must be int or null"),
    ({"views": {"scanner": ["cr", 3]}}, r"config\.views\.scanner must be one of \('all',\) or "
                                        r"a list of str or null"),
    ({"model": {"widht": 3}}, r"unknown key config\.model\.widht \(did you mean 'width'\?\)"),
    ({"masking": {"text_other": 1.01}}, r"config\.masking\.text_other must be in \[0, 1\]"),
    ({"loss": {"consistency_kind": "l2"}}, "config.loss.consistency_kind must be one of"),
    ({"policy": 3}, r"config\.policy must be one of \('default', 'none'\) or a mapping or null"),
    ({"train": 3}, "config.train must be a mapping, got int"),
])
def test_one_validator_names_the_key_path_and_the_expected_type(data, match):
    with pytest.raises(ConfigError, match=match):
        fit_config_from_dict(data)


def test_fit_config_is_a_flat_robust_mmr_config():
    cfg = fit_config_from_dict({"preset": "small", "method": "baseline", "train": None,
                                "policy": None})
    assert isinstance(cfg, FitConfig) and cfg.model == preset("small").model
    assert cfg.train.batch_size == 16 and cfg.policy == "none" and cfg.is_baseline
    assert list(cfg.to_dict()) == ["method", "model", "masking", "loss", "data", "views",
                                   "train", "policy"]
    assert fit_config_from_dict(cfg.to_dict()) == cfg
    assert isinstance(fit_config_from_dict({"train": {"lr": 1}}).train.lr, float)


def test_loss_terms_are_the_weight_fields_of_the_loss_config():
    assert LOSS_TERMS == ("mim", "mlm", "itc", "consistency", "resilience")
    assert set(LOSS_TERMS) < {f.name for f in dataclasses.fields(LossConfig)}
    assert list(preset("tiny").loss_weights()) == list(LOSS_TERMS)
    assert from_dict({"method": "baseline"}).loss_weights() == {
        "mim": 1.0, "mlm": 1.0, "itc": 1.0, "consistency": 0.0, "resilience": 0.0}


# ---- forward / objective -----------------------------------------------------------------

def test_losses_total_is_the_weighted_sum():
    cfg = tiny(consistency=0.0, itc=0.5, resilience=2.0)
    batch = toy_batch(text_present=(True, False, True, True))
    out = model_for(cfg)(prepare_inputs(batch, toy_tokenizer(), cfg, gen()))
    assert list(out) == [*LOSS_TERMS, "total"]
    assert set(out) == KEYS and all(v.dim() == 0 and torch.isfinite(v) for v in out.values())
    expected = out["mim"] + out["mlm"] + 0.5 * out["itc"] + 2.0 * out["resilience"]
    assert out["total"].item() == pytest.approx(expected.item(), rel=1e-6)
    assert out["resilience"].item() > 0 and out["consistency"].item() == 0


def test_second_view_gives_consistency_and_is_required_when_weighted():
    cfg = tiny()
    model = model_for(cfg)
    a = prepare_inputs(toy_batch(seed=0), toy_tokenizer(), cfg, gen(0))
    b = prepare_inputs(toy_batch(seed=1), toy_tokenizer(), cfg, gen(1))
    with pytest.raises(InputError, match="second_view"):
        model(a)
    out = model(a, second_view=b)
    assert out["consistency"].item() > 0
    cfg.loss.consistency_kind = "vicreg"
    assert model(a, second_view=b)["consistency"].item() > 0


@pytest.mark.parametrize(("on", "projection"), [("all", 0.0), ("fused", 0.0), ("all", 0.5)])
def test_consistency_covers_the_configured_embeddings(on, projection):
    from mmr_train.losses import consistency_infonce

    cfg = tiny(consistency_on=on, projection_consistency=projection)
    model = model_for(cfg)
    a = prepare_inputs(toy_batch(seed=0), toy_tokenizer(), cfg, gen(0))
    b = prepare_inputs(toy_batch(seed=1), toy_tokenizer(), cfg, gen(1))
    got = model(a, second_view=b)["consistency"]
    ea, eb = (model._encode(x.images, x.input_ids, x.attention_mask, x.image_present,
                            x.text_present, x.patch_mask).embeddings for x in (a, b))
    kinds = ["fused", "image", "text"] if on == "all" else ["fused"]
    terms = [consistency_infonce(model.consistency_proj(getattr(ea, k)),
                                 model.consistency_proj(getattr(eb, k)), 0.1) for k in kinds]
    want = sum(terms) / len(terms)
    if projection:
        want = want + projection * (consistency_infonce(ea.image_contrast, eb.image_contrast, 0.1)
                                    + consistency_infonce(ea.text_contrast, eb.text_contrast,
                                                          0.1)) / 2
    assert got.item() == pytest.approx(want.item(), rel=1e-5)


def test_baseline_switches_off_the_robust_terms():
    cfg = preset("tiny")
    cfg.method = "baseline"
    model = model_for(cfg)
    batch = toy_batch(text_present=(True, False, True, True))
    out = model(prepare_inputs(batch, toy_tokenizer(), cfg, gen()))   # no second view needed
    assert out["consistency"].item() == 0 and out["resilience"].item() == 0
    assert out["total"].item() == pytest.approx((out["mim"] + out["mlm"] + out["itc"]).item(),
                                                rel=1e-6)


def test_backward_reaches_every_trainable_parameter():
    cfg = tiny()
    model = RobustMMR(cfg)
    batch = toy_batch(text_present=(True, False, True, True))
    a = prepare_inputs(batch, toy_tokenizer(), cfg, gen(0))
    b = prepare_inputs(toy_batch(seed=1, image_present=(True, True, False, True)),
                       toy_tokenizer(), cfg, gen(1))
    model(a, second_view=b)["total"].backward()
    no_grad = [n for n, p in model.named_parameters()
               if p.requires_grad and (p.grad is None or p.grad.abs().sum() == 0)]
    assert no_grad == []
    frozen = [n for n, p in model.named_parameters() if not p.requires_grad]
    assert all("norm_cross_attn" in n or "position" in n for n in frozen)


def test_encoder_ignores_masked_patches_and_batch_padding():
    model = model_for(preset("tiny"))
    images = torch.rand(2, 1, 64, 64, generator=gen())
    mask = torch.zeros(2, 64, dtype=torch.bool)
    mask[0, :48] = True                                  # sample 0: 16 visible, sample 1: 64
    tokens, valid, keep = model.image_encoder(images, mask)
    alone, _, _ = model.image_encoder(images[:1], mask[:1])
    torch.testing.assert_close(tokens[0, :16], alone[0], atol=1e-5, rtol=1e-5)
    changed = images.clone()
    changed[0, :, :48 // 8 * 8] = 0.0                    # rows of masked patches only
    again, _, _ = model.image_encoder(changed, mask)
    torch.testing.assert_close(again[0, :16], tokens[0, :16])
    assert keep[0, :16].tolist() == list(range(48, 64)) and valid.sum(1).tolist() == [16, 64]


def test_embed_shapes_and_missing_modality():
    cfg = preset("tiny")
    model = model_for(cfg)
    batch = toy_batch()
    enc = toy_tokenizer().encode_batch(batch.texts, cfg.model.max_text_length)
    emb = model.embed(batch.images, enc.input_ids, enc.attention_mask)
    assert emb.fused.shape == emb.image.shape == emb.text.shape == (4, 128)
    assert emb.image_contrast.shape == emb.text_contrast.shape == (4, 64)
    no_image = torch.zeros(4, dtype=torch.bool)
    e1 = model.embed(batch.images, enc.input_ids, enc.attention_mask, image_present=no_image)
    e2 = model.embed(torch.rand(4, 1, 64, 64), enc.input_ids, enc.attention_mask,
                     image_present=no_image)
    torch.testing.assert_close(e1.fused, e2.fused)      # the image content no longer matters
    torch.testing.assert_close(e1.text, emb.text)
    assert not torch.allclose(e1.fused, emb.fused)


def test_bad_inputs():
    cfg = preset("tiny")
    model = model_for(cfg)
    with pytest.raises(InputError, match="image_size"):
        model.embed(torch.rand(1, 1, 32, 32), torch.tensor([[2, 3]]), torch.ones(1, 2).bool())
    with pytest.raises(InputError, match="vocab_size"):
        model.embed(torch.rand(1, 1, 64, 64), torch.tensor([[2, 9999]]), torch.ones(1, 2).bool())
    small = preset("tiny")
    small.model.vocab_size = 10
    with pytest.raises(ConfigError, match="vocab_size"):
        prepare_inputs(toy_batch(), toy_tokenizer(), small, gen())


def test_bfloat16_autocast_forward_backward():
    cfg = tiny(consistency=0.0)
    model = RobustMMR(cfg)
    batch = toy_batch(text_present=(True, False, True, True))
    inputs = prepare_inputs(batch, toy_tokenizer(), cfg, gen())
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = model(inputs)
    assert all(torch.isfinite(v) and v.dtype == torch.float32 for v in out.values())
    out["total"].backward()
    assert all(torch.isfinite(p.grad).all() for p in model.parameters() if p.grad is not None)


def test_base_builds_and_runs_one_forward():
    cfg = preset("base")
    cfg.loss.consistency = 0.0
    model = RobustMMR(cfg)
    n_params = sum(p.numel() for p in model.image_encoder.parameters())
    assert 85e6 < n_params < 87e6                       # ViT-B/16 encoder
    inputs = prepare_inputs(toy_batch(size=224, patch=16), toy_tokenizer(), cfg, gen())
    inputs = dataclasses.replace(inputs, **{f.name: getattr(inputs, f.name)[2:]
                                            for f in dataclasses.fields(inputs)
                                            if getattr(inputs, f.name) is not None})
    with torch.no_grad():
        out = model(inputs)
        tokens, valid, keep = model.image_encoder(inputs.images[:1], inputs.patch_mask[:1])
        pred = model.decoder(tokens, valid, keep)
    assert set(out) == KEYS and all(torch.isfinite(v) for v in out.values())
    assert tokens.shape == (1, 196 - round(0.6 * 196), 768)      # mode "text": image 0.60
    assert pred.shape == (1, 196, 256)
