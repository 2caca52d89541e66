"""``evaluate_vqa``: clean, perturbed, user-policy and cross-dataset scores of a fine-tuned run.

Clean: closed / open / overall accuracy, per organ, modality and question type, with counts
(a true answer outside the training vocabulary is scored wrong). Perturbed: every family of
:func:`~mmr_train.vqa.perturb.vqa_families` at each severity (image families perturb the
images, text families the questions; X-ray-only families are scored on X-ray questions), and
``both``: at each severity question ``i`` gets the ``i``-th general image family and the
``i``-th applicable text family in turn (round robin), each with the same seeded parameters
as in its own run. A text family that changes none of the questions at any severity (e.g.
section shuffling: a question has one sentence and no sections) is skipped and listed with the
reason. The mean over all scored families (mean over severities first) and the worst family
are the headline. ``policy``: one more condition under a user policy file, as configured.
``image_ablation``: how much the answers depend on the image at all, the "blind" baselines of
the VQA literature: every question scored with its image absent (the backbone's
missing-image tokens) and with another image of the same set (images permuted without a fixed
point, seeded). A model that answers from the question alone scores the same on all three.

Speed: each distinct image is encoded once per condition and each question once; clean
question tokens are reused under image perturbations and clean image tokens under text ones,
so a condition costs about one fusion pass over the questions.

Example:
    >>> import tempfile
    >>> from mmr_train.vqa import finetune_vqa, toy_vqa_rows
    >>> folder = tempfile.mkdtemp(); rows = toy_vqa_rows(folder, n_images=2)
    >>> run = finetune_vqa(rows, rows, f"{folder}/run", config={"epochs": 1, "image_size": 32})
    >>> res = evaluate_vqa(run, rows, perturbations=["gaussian_noise"], severities=(1, 5))
    >>> res["clean"]["overall"]["total"], sorted(res["perturbed"]["families"]["gaussian_noise"]
    ...                                          ["severity"])
    (6, ['1', '5'])
    >>> len(comparable_yes_no(rows))
    2
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import torch

from mmr_augment.errors import InputError, MMRError

from ..data.vqa_rows import VQARow
from ..distributed import derive_seed
from .inputs import (
    QuestionSet,
    answer_logits,
    encode_images,
    encode_questions,
    predicted_answers,
    tokenize,
)
from .model import load_vqa_run
from .perturb import VQAFamily, load_policy, perturb_images, perturb_questions, vqa_families
from .scoring import GROUPS, score

SEVERITIES = (1, 2, 3, 4, 5)
#: The cross-dataset selection rule, as the report states it.
YES_NO_RULE = ("closed questions whose normalised (stripped, lower-case) answer is exactly "
               "'yes' or 'no'")


def comparable_yes_no(rows: Iterable[VQARow]) -> list[VQARow]:
    """The questions two datasets share an answer space on: see :data:`YES_NO_RULE`."""
    return [r for r in rows if r.answer_type == "closed" and r.answer in ("yes", "no")]


class _Scorer:
    """One question set with its clean encodings."""

    def __init__(self, model, tokenizer, vocab, rows: list[VQARow], batch_size: int) -> None:
        cfg = model.backbone.config.model
        self.model, self.tokenizer, self.vocab, self.bs = model, tokenizer, vocab, batch_size
        self.max_len = cfg.max_text_length
        self.data = QuestionSet.build(rows, cfg.image_size, tokenizer, self.max_len, vocab)
        self.questions = [r.question for r in rows]
        self.images = encode_images(model, self.data.images, batch_size)
        self.texts = encode_questions(model, self.data.input_ids, self.data.attention_mask,
                                      batch_size)

    def encode_texts(self, questions: Sequence[str], present: torch.Tensor | None = None):
        ids, mask = tokenize(self.tokenizer, questions, self.max_len)
        return encode_questions(self.model, ids, mask, self.bs, present)

    def score(self, images=None, image_index=None, texts=None, groups: bool = False
              ) -> dict[str, Any]:
        logits = answer_logits(self.model, images or self.images,
                               self.data.image_index if image_index is None else image_index,
                               texts or self.texts, self.bs)
        rows = self.data.rows
        by = {g: [getattr(r, g) for r in rows] for g in GROUPS} if groups else {}
        return score(predicted_answers(logits, self.vocab), [r.answer for r in rows],
                     [r.answer_type for r in rows], by, self.vocab)


def _summary(cell: dict[str, Any]) -> dict[str, Any]:
    return {k: cell[k]["accuracy"] for k in ("overall", "closed", "open")} | {
        "questions": cell["overall"]["total"]}


def _select(perturbations: str | Sequence[str]) -> dict[str, VQAFamily]:
    fams = vqa_families()
    if perturbations == "all":
        return fams
    if perturbations == "none":
        return {}
    unknown = sorted(set(perturbations) - set(fams))
    if unknown:
        raise InputError(f"unknown perturbation families {unknown}; choose from "
                         f"{', '.join(fams)} (or 'all' / 'none')")
    return {n: fams[n] for n in fams if n in perturbations}


def evaluate_vqa(run: str | Path, rows: Sequence[VQARow], out: str | Path | None = None, *,
                 perturbations: str | Sequence[str] = "all",
                 severities: Sequence[int] = SEVERITIES, policy: str | Path | None = None,
                 seed: int = 0, batch_size: int = 256, device: str = "cpu",
                 log: bool = False) -> dict[str, Any]:
    """Score the fine-tuned ``run`` on ``rows`` (see the module docstring).

    Args:
        run: a run folder of :func:`~mmr_train.vqa.finetune_vqa`.
        rows: the questions to score (a test split, or another dataset's comparable ones).
        out: folder for ``results.json``, ``report.md`` and ``figures/`` (None: none).
        perturbations: ``"all"``, ``"none"`` or family names.
        severities: severities of the perturbed evaluation.
        policy: a user policy file (``MultiModalPolicy`` or op config) scored as configured.
        seed: seed of every perturbation's parameters.

    Returns:
        The results dict (also ``out/results.json``).
    """
    rows = list(rows)
    if not rows:
        raise InputError("evaluate_vqa got no rows; check the dataset root and split")
    if any(s not in SEVERITIES for s in severities):
        raise InputError(f"severities must be within 1-5, got {list(severities)}")
    clock = {"start": time.perf_counter()}
    model, tokenizer, vocab, info = load_vqa_run(run, device)
    clean = _Scorer(model, tokenizer, vocab, rows, batch_size)
    result: dict[str, Any] = {
        "run": str(run), "trained_on": info.get("dataset"), "pretrained": info["pretrained"],
        "dataset": sorted({r.dataset for r in rows}), "questions": len(rows),
        "answer_vocabulary": len(vocab), "clean": clean.score(groups=True)}
    xray_rows = [r for r in rows if r.modality == "x-ray"]
    xray = _Scorer(model, tokenizer, vocab, xray_rows, batch_size) if xray_rows else None
    result["clean_xray"] = _summary(xray.score()) if xray is not None else None
    result["image_ablation"] = image_ablation(clean, seed)
    clock["clean"] = time.perf_counter()
    families = _select(perturbations)
    if families:
        result["perturbed"] = _perturbed(clean, xray, families, list(severities), seed, log)
    clock["perturbed"] = time.perf_counter()
    if policy is not None:
        result["policy"] = _policy(clean, Path(policy), seed)
    clock["policy"] = time.perf_counter()
    marks = list(clock.values())
    result["timings_s"] = {k: round(b - a, 2) for k, a, b in zip(list(clock)[1:], marks,
                                                                  marks[1:])}
    if out is not None:
        from .report import write_outputs

        write_outputs(result, out)
    return result


def image_derangement(n_images: int, seed: int) -> torch.Tensor:
    """A seeded permutation of ``range(n_images)`` that moves every image (identity for one).

    Example:
        >>> perm = image_derangement(5, seed=0)
        >>> sorted(perm.tolist()), bool((perm == torch.arange(5)).any())
        ([0, 1, 2, 3, 4], False)
    """
    if n_images < 2:
        return torch.arange(n_images)
    gen = torch.Generator().manual_seed(derive_seed(seed, "image_ablation"))
    shift = int(torch.randint(1, n_images, (), generator=gen))
    order = torch.randperm(n_images, generator=gen)
    perm = torch.empty(n_images, dtype=torch.long)
    perm[order] = order.roll(-shift)
    return perm


def image_ablation(scorer: _Scorer, seed: int) -> dict[str, Any] | None:
    """Scores with each question's image absent and with another image of the set
    (:func:`image_derangement`); None when the set has a single image."""
    n_images = len(scorer.data.images)
    if n_images < 2:
        return None
    absent = encode_images(scorer.model, scorer.data.images, scorer.bs,
                           torch.zeros(n_images, dtype=torch.bool))
    moved = image_derangement(n_images, seed)[scorer.data.image_index]
    return {"absent": _summary(scorer.score(images=absent)),
            "shuffled": _summary(scorer.score(image_index=moved))}


def _perturbed(clean: _Scorer, xray: _Scorer | None, families: dict[str, VQAFamily],
               severities: list[int], seed: int, log: bool) -> dict[str, Any]:
    scored, skipped, cache = {}, {}, {}
    for name, fam in families.items():
        start = time.perf_counter()
        scorer = xray if fam.xray_only else clean
        if scorer is None:
            skipped[name] = "X-ray-only family and no X-ray questions in this set"
            continue
        try:
            per = {str(s): _summary(_condition(scorer, fam, s, seed, cache)) for s in severities}
        except MMRError as e:
            skipped[name] = f"cannot be applied here: {e}"
            continue
        if fam.modality == "text" and all(cache[name, s] == scorer.questions
                                          for s in severities):
            skipped[name] = (f"changed none of the {len(scorer.questions)} questions at any "
                             f"severity (nothing in a short question for it to act on)")
            continue
        means = [v["overall"] for v in per.values()]
        scored[name] = {"modality": fam.modality, "xray_only": fam.xray_only,
                        "questions": scorer.data.targets.numel(), "severity": per,
                        "mean": statistics.fmean(means),
                        "seconds": round(time.perf_counter() - start, 2)}
        if log:
            print(f"{name:18s} mean {scored[name]['mean']:.4f}  "
                  f"({scored[name]['seconds']:.1f}s)")
    out: dict[str, Any] = {"families": scored, "skipped": skipped, "severities": severities}
    image_fams = [f for n, f in families.items() if f.modality == "image" and not f.xray_only
                  and n in scored]
    text_fams = [f for n, f in families.items() if f.modality == "text" and n in scored]
    if image_fams and text_fams:
        out["both"] = {str(s): _summary(_both(clean, image_fams, text_fams, s, seed, cache))
                       for s in severities}
    if scored:
        means = {n: f["mean"] for n, f in scored.items()}
        worst = min(means, key=means.get)
        out["mean_all"] = statistics.fmean(means.values())
        for kind in ("image", "text"):
            vals = [m for n, m in means.items() if scored[n]["modality"] == kind]
            out[f"mean_{kind}"] = statistics.fmean(vals) if vals else None
        out["worst"] = {"family": worst, "mean": means[worst]}
    return out


def _condition(scorer: _Scorer, fam: VQAFamily, severity: int, seed: int, cache: dict
               ) -> dict[str, Any]:
    if fam.modality == "image":
        images = perturb_images(scorer.data.images, fam, severity, seed)
        return scorer.score(images=encode_images(scorer.model, images, scorer.bs))
    cache[fam.family, severity] = perturb_questions(scorer.questions, fam, severity, seed)
    return scorer.score(texts=scorer.encode_texts(cache[fam.family, severity]))


def _both(clean: _Scorer, image_fams: list[VQAFamily], text_fams: list[VQAFamily],
          severity: int, seed: int, cache: dict) -> dict[str, Any]:
    n = len(clean.questions)
    tokens = torch.empty(0)
    valid = torch.empty(0)
    for j, fam in enumerate(image_fams):
        rows = torch.arange(j, n, len(image_fams))
        if not len(rows):
            break
        enc = encode_images(clean.model, perturb_images(clean.data.images, fam, severity, seed),
                            clean.bs)
        picked = clean.data.image_index[rows].to(enc[0].device)
        if not tokens.numel():
            tokens = torch.empty((n, *enc[0].shape[1:]), dtype=enc[0].dtype,
                                 device=enc[0].device)
            valid = torch.empty((n, enc[1].shape[1]), dtype=enc[1].dtype, device=enc[1].device)
        tokens[rows.to(tokens.device)], valid[rows.to(valid.device)] = enc[0][picked], \
            enc[1][picked]
    questions = [cache[text_fams[i % len(text_fams)].family, severity][i] for i in range(n)]
    return clean.score(images=(tokens, valid), image_index=torch.arange(n),
                       texts=clean.encode_texts(questions))


def _policy(clean: _Scorer, path: Path, seed: int) -> dict[str, Any]:
    op, kind = load_policy(path)
    gen = torch.Generator().manual_seed(derive_seed(seed, "policy"))
    per_question = clean.data.images[clean.data.image_index]
    n = len(clean.questions)
    if kind == "multimodal":
        batch = op(per_question, clean.questions, generator=gen)
        images, texts = batch.images, batch.texts
        image_present, text_present = batch.image_present.bool(), batch.text_present.bool()
    elif kind == "image":
        images, texts = op(per_question, generator=gen), clean.questions
        image_present = text_present = torch.ones(n, dtype=torch.bool)
    else:
        images, texts = per_question, list(op(clean.questions, generator=gen).texts)
        image_present = text_present = torch.ones(n, dtype=torch.bool)
    enc = encode_images(clean.model, images, clean.bs, image_present)
    cell = clean.score(images=enc, image_index=torch.arange(n),
                       texts=clean.encode_texts(texts, text_present))
    return {"file": str(path), "kind": kind, "config": op.to_config(), **_summary(cell)}
