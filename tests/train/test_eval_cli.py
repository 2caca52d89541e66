"""``mmr-train eval`` and ``evaluate()`` on a tiny trained checkpoint and written manifests."""

import dataclasses
import json

import pytest
import torch

pytest.importorskip("tokenizers", reason="needs the train extra: pip install 'mmr[train]'")

from mmr_augment.errors import InputError
from mmr_train.cli import main
from mmr_train.config import fit_config_from_dict
from mmr_train.evaluate import EvalSet, EvaluationResult, FrozenEncoder, evaluate, load_trained
from mmr_train.evaluate.compare import headline
from mmr_train.evaluate.corruption import CorruptionBank, medmnistc_scores
from mmr_train.evaluate.retrieval import cross_modal_retrieval
from mmr_train.sources import RenderedStudies
from mmr_train.trainer import Trainer

MODEL = {"image_size": 32, "patch_size": 8, "width": 32, "heads": 2, "image_depth": 1,
         "text_depth": 1, "fusion_depth": 1, "decoder_width": 16, "decoder_depth": 1,
         "decoder_heads": 2, "vocab_size": 300, "max_text_length": 48, "proj_dim": 16}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """One 2-step baseline run, a probe-training manifest and a two-domain test manifest."""
    tmp = tmp_path_factory.mktemp("eval")
    train = EvalSet.synthetic(12, 32, [("cr", None)], seed=0)
    test = EvalSet.concat([EvalSet.synthetic(6, 32, [("cr", None)], seed=0, start=12),
                           EvalSet.synthetic(6, 32, [("low_dose", None)], seed=0, start=18)],
                          ["cr", "low_dose"])
    cfg = fit_config_from_dict({"method": "baseline", "model": MODEL, "train": {
        "max_steps": 2, "batch_size": 4, "warmup_steps": 1, "precision": "fp32"}})
    studies = RenderedStudies(train.images, train.reports, train.labels)
    torch.set_num_threads(1)
    Trainer(cfg, tmp / "run", dataset=studies, progress=False).fit()
    return tmp, train.write(tmp / "train"), test.write(tmp / "test")


@pytest.fixture(scope="module")
def reference(run):
    """A second 2-step baseline (seed 1) on the same studies: the BE / rBE reference."""
    tmp, train_csv, _ = run
    train = EvalSet.from_manifest(train_csv, 32)
    cfg = fit_config_from_dict({"method": "baseline", "model": MODEL, "train": {
        "max_steps": 2, "batch_size": 4, "warmup_steps": 1, "precision": "fp32", "seed": 1}})
    studies = RenderedStudies(train.images, train.reports, train.labels)
    Trainer(cfg, tmp / "reference", dataset=studies, progress=False).fit()
    return tmp / "reference"


def test_eval_cli_reports_be_and_rbe_against_a_reference_checkpoint(run, reference, capsys):
    tmp, train_csv, test_csv = run
    sizes = {"robustness_n": 4, "severities": (1, 3)}
    out = tmp / "eval_ref"
    assert main(["eval", "--checkpoint", str(tmp / "run"), "--train-manifest", str(train_csv),
                 "--test-manifest", str(test_csv), "--out", str(out), "--robustness-n", "4",
                 "--severities", "1", "3", "--reference-checkpoint", str(reference)]) == 0
    printed = capsys.readouterr().out
    assert "medmnistc_rbe" in printed and f"evaluated the reference {reference}" in printed
    data = json.loads((out / "results.json").read_text())
    got = EvaluationResult.from_json(data)
    mc = got.corruption.medmnistc
    assert data["corruption"]["medmnistc"]["reference"] == str(reference)
    assert set(mc.families) == set(got.corruption.families)
    # the reference scored alone (its own probe, the same corrupted studies) gives the errors
    # that normalised the model, as MedMNIST-C's Evaluator combines them
    alone = evaluate(reference, train_csv, test_csv, **sizes).corruption
    assert mc.reference_clean_balanced_error == alone.clean_balanced_error
    def errors(c):
        return {f: list(v.balanced_error.values()) for f, v in c.families.items()}

    want = medmnistc_scores(errors(got.corruption), got.corruption.clean_balanced_error,
                            errors(alone), alone.clean_balanced_error)
    assert {f: v.be for f, v in mc.families.items()} == want["be_per_corruption"]
    assert {f: v.rbe for f, v in mc.families.items()} == want["rbe_per_corruption"]
    h = headline(got)
    assert (h["medmnistc_be"], h["medmnistc_rbe"]) == (want["be"], want["rbe"])
    assert h["medmnistc_rbe_image"] == mc.rbe.image and mc.rbe.image is not None
    report = (out / "report.md").read_text()
    assert "| rel. err | BE | rBE |" in report and f"reference model `{reference}`" in report
    # a reference adds the block and changes nothing else
    plain = evaluate(tmp / "run", train_csv, test_csv, **sizes)
    assert plain == dataclasses.replace(got, corruption=dataclasses.replace(got.corruption,
                                                                            medmnistc=None))
    assert headline(plain)["medmnistc_rbe"] is None
    assert headline(plain)["clean_balanced_error"] == got.corruption.clean_balanced_error
    # the model as its own reference: 1 wherever the ratio is defined
    own = evaluate(tmp / "run", train_csv, test_csv, reference=tmp / "run", **sizes)
    ratios = [r for v in own.corruption.medmnistc.families.values() for r in (v.be, v.rbe)]
    assert {r for r in ratios if r is not None} == {1.0}


def test_eval_cli_writes_results_report_and_figures(run, capsys):
    tmp, train_csv, test_csv = run
    out = tmp / "eval"
    code = main(["eval", "--checkpoint", str(tmp / "run"), "--train-manifest", str(train_csv),
                 "--test-manifest", str(test_csv), "--out", str(out), "--robustness-n", "4",
                 "--severities", "1", "3"])
    assert code == 0
    assert "held_out_accuracy" in capsys.readouterr().out
    result = json.loads((out / "results.json").read_text())
    fused = result["cross_domain"]["fused"]
    assert fused["domains"] == {"source": ["cr"], "held_out": ["low_dose"]}
    assert result["n_train"] == 12 and result["n_test"] == 12
    assert result["corruption"]["severities"] == [1, 3]
    assert set(result["missing_modality"]) == {"both", "image_only", "text_only"}
    assert result["retrieval"]["gallery_size"] == 4  # the robustness set: source test studies
    assert "within_domain" not in result["retrieval"]  # one source domain: nothing to split
    assert headline(EvaluationResult.from_json(result))["i2r_within_mean_rank"] is None
    # per family, retrieval at severity 3 on that family alone, from the same embeddings
    encoder = FrozenEncoder.from_checkpoint(tmp / "run")
    source = EvalSet.from_manifest(test_csv, 32).subset(torch.tensor([0, 2, 3, 5]))
    bank = CorruptionBank(source.images, source.reports)  # robustness_set: 4 of 6 studies
    clean = cross_modal_retrieval(*(encoder.embed(bank.images, bank.texts)[k]
                                    for k in ("image_contrast", "text_contrast")))
    emb = encoder.embed(*bank.get("jpeg", 3))
    got = cross_modal_retrieval(emb["image_contrast"], emb["text_contrast"])
    per_family = result["corruption"]["families"]["jpeg"]["retrieval_degradation"]
    assert per_family["report_to_image"] == pytest.approx(
        got["report_to_image"]["mean_rank"] - clean["report_to_image"]["mean_rank"])
    assert set(per_family) == {"image_to_report", "report_to_image"}
    report = (out / "report.md").read_text()
    assert report.startswith("# Evaluation report")
    assert (out / "figures" / "robustness_curves.png").stat().st_size > 0
    # 6 studies a domain: some observations have no positive case; they are named, not scored
    skipped = 0
    for scores in fused["per_domain"].values():
        per = scores["per_observation"].values()
        for s in per:
            if s["accuracy"] is None:
                skipped += 1
                assert s["auc"] is None and f"not measurable: {s['note']}" in report
        measured = [s["accuracy"] for s in per if s["accuracy"] is not None]
        assert scores["macro"]["accuracy"] == pytest.approx(sum(measured) / len(measured))
    assert skipped > 0


def test_evaluate_api_is_deterministic_and_matches_loaded_model(run):
    tmp, train_csv, test_csv = run
    model, tokenizer = load_trained(tmp / "run")
    encoder = FrozenEncoder(model, tokenizer)
    kwargs = {"robustness_n": 3, "severities": (2,)}
    a = evaluate(encoder, train_csv, test_csv, **kwargs)
    b = evaluate(tmp / "run" / "checkpoints", train_csv, test_csv, **kwargs)
    assert a == b
    # manifests round-trip: the same labels as the in-memory set that wrote them
    again = EvalSet.from_manifest(train_csv, 32)
    assert torch.equal(again.labels, EvalSet.synthetic(12, 32, [("cr", None)]).labels)


def test_eval_cli_reports_bad_input(run, capsys):
    tmp, train_csv, _ = run
    code = main(["eval", "--checkpoint", str(tmp / "nowhere"), "--train-manifest",
                 str(train_csv), "--test-manifest", str(train_csv)])
    assert code == 2
    assert "no checkpoint at" in capsys.readouterr().err
    with pytest.raises(InputError, match="resize"):
        FrozenEncoder(*load_trained(tmp / "run")).embed(torch.zeros(1, 1, 16, 16), ["x"])


@pytest.mark.parametrize("text_present", [True, False])
def test_frozen_encoder_reuses_report_encodings_exactly(run, text_present, monkeypatch):
    """Reports met again (with other images) reuse the text encoder's output: bit-identical
    to encoding everything afresh, also when chunks are evicted."""
    monkeypatch.setattr("mmr_train.evaluate.encoder.TEXT_CACHE_CHUNKS", 2)
    tmp, train_csv, _ = run
    model, tokenizer = load_trained(tmp / "run")
    data = EvalSet.from_manifest(train_csv, 32)
    encoder = FrozenEncoder(model, tokenizer, batch_size=5)  # chunks of 5, 5, 2
    gen = torch.Generator().manual_seed(0)
    for _ in range(3):
        images = torch.rand(data.images.shape, generator=gen)
        got = encoder.embed(images, data.reports, text_present=text_present)
        texts = data.reports if text_present else [""] * len(data.reports)
        parts = []
        for s in range(0, len(images), 5):
            tokens = tokenizer.encode_batch(texts[s:s + 5], model.config.model.max_text_length)
            n = len(tokens.input_ids)
            with torch.no_grad():
                parts.append(model.embed(images[s:s + 5], tokens.input_ids,
                                         tokens.attention_mask, torch.ones(n, dtype=torch.bool),
                                         torch.full((n,), text_present)))
        want = torch.cat([p.fused for p in parts])
        assert torch.equal(got["fused"], want)
