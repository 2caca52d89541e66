"""``MultiModalPolicy``: asymmetric perturbation of image-report pairs.

Per sample the policy draws a mode (perturb the image only, the text only, both, or none), an
optional modality drop (image or text missing) and a severity; it returns a
:class:`~mmr_augment.batch.PerturbedBatch` with the clean and perturbed versions, the damage
map, exact occlusion masks, the text edit log and a replay log. One ``torch.Generator``
drives every random choice.

Example:
    >>> import torch
    >>> from mmr_augment import GaussianNoise, MultiModalPolicy
    >>> policy = MultiModalPolicy(image=GaussianNoise(), severity=(1, 5),
    ...                           modes={"image": 1.0}, patch_size=8)
    >>> out = policy(torch.rand(2, 1, 16, 16), ["No effusion.", "Normal heart."], generator=0)
    >>> out.mode.tolist(), out.severity.tolist(), tuple(out.damage.shape)
    ([1, 1], [2, 5], (2, 2, 2))
    >>> out.texts == out.clean_texts  # image-only mode: the text is untouched
    True
"""

from __future__ import annotations

import difflib
import functools
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import torch
import torch.nn.functional as F

from .batch import MODES, PerturbedBatch
from .core import (
    REGISTRY,
    Params,
    Perturbation,
    check_params,
    from_config,
    params_from_json,
    params_to_json,
    resolve_generator,
    slice_params,
)
from .errors import ConfigError, InputError, InputTypeError
from .image.base import check_image

SCHEDULES = ("constant", "linear", "cosine")
_WORD = re.compile(r"\S+")
_MAX_DIFF_WORDS = 400


def with_severity(op: Perturbation, severity: int) -> Perturbation:
    """A copy of ``op`` where every leaf with a severity table uses ``severity``.

    Example:
        >>> from mmr_augment import GaussianNoise, Sequential
        >>> with_severity(Sequential([GaussianNoise()]), 2).ops[0].std.values
        (0.08,)
    """
    def visit(cfg: Any) -> Any:
        if isinstance(cfg, list):
            return [visit(c) for c in cfg]
        if not isinstance(cfg, Mapping) or "type" not in cfg:
            return cfg
        out = {k: visit(v) for k, v in cfg.items()}
        if REGISTRY[cfg["type"]].severity_table:
            out["severity"] = severity
        return out

    return from_config(visit(op.to_config()))


def _probabilities(name: str, given: Mapping[str, float] | None, keys: Sequence[str],
                   default: Mapping[str, float]) -> torch.Tensor:
    given = dict(default if given is None else given)
    unknown = set(given) - set(keys)
    if unknown:
        raise ConfigError(f"MultiModalPolicy: unknown {name} {sorted(unknown)}; use {list(keys)}")
    w = [float(given.get(k, 0.0)) for k in keys]
    if min(w) < 0 or not math.isfinite(sum(w)):
        raise ConfigError(f"MultiModalPolicy: {name} must be non-negative numbers, got {given}")
    return torch.tensor(w, dtype=torch.float64)


def _check_reports(texts: Any, allow_empty: bool) -> list[str]:
    """The reports as a list of str; a bare string, non-text items and (unless allowed) empty
    reports raise, naming the sample."""
    if isinstance(texts, (str, bytes)):
        raise InputTypeError("MultiModalPolicy: reports must be a list with one report per "
                             "image, got a single string; wrap it: [report]")
    out = []
    for i, t in enumerate(texts):
        if t is None and allow_empty:
            t = ""
        if not isinstance(t, str):
            raise InputTypeError(f"MultiModalPolicy: report {i} is {type(t).__name__}, expected "
                                 f"str" + ("" if t is not None else
                                           "; pass allow_empty_reports=True to take it as ''"))
        if not allow_empty and not t.strip():
            raise InputError(f"MultiModalPolicy: report {i} is empty; fill it, drop the sample, "
                             f"or pass allow_empty_reports=True to leave it as it is")
        out.append(t)
    return out


class MultiModalPolicy(Perturbation):
    """Asymmetric image/report perturbation with modality drop and severity schedule.

    Args:
        image: any image op, composition or scanner style (``None``: images stay clean).
        text: any text op, composition or report style (``None``: texts stay clean).
        modes: relative weights of ``"none"``, ``"image"``, ``"text"``, ``"both"``.
        drop: per-sample probabilities that the ``"image"`` or the ``"text"`` is missing
            (at most one modality is dropped per sample; their sum must be <= 1).
        severity: per-sample severity 1..5 (int, ``(lo, hi)`` or ``choice``) forced onto every
            op that has a severity table; ``None`` uses the ops as configured.
        schedule: ``"constant"``, ``"linear"`` or ``"cosine"`` ramp of the severity cap from 1
            to its maximum over ``schedule_steps`` training steps (see :meth:`set_step`).
        patch_size: patch size of the damage map.
        p: probability that a sample takes part at all (otherwise clean, nothing dropped).
        allow_empty_reports: take empty / blank reports and ``None`` (as ``""``; text ops
            leave them as they are). Off by default: an empty report is usually a data bug,
            so it raises :class:`InputError` naming the sample.
    """

    modality = "multimodal"
    family = "policy"

    def __init__(self, image: Perturbation | None = None, text: Perturbation | None = None, *,
                 modes: Mapping[str, float] | None = None,
                 drop: Mapping[str, float] | None = None,
                 severity: Any = None, schedule: str = "constant", schedule_steps: int = 0,
                 patch_size: int = 16, p: float = 1.0, allow_empty_reports: bool = False
                 ) -> None:
        super().__init__(p=p)
        self.allow_empty_reports = bool(allow_empty_reports)
        for name, op, kinds in (("image", image, ("image", "any")), ("text", text, ("text",))):
            if op is not None and (not isinstance(op, Perturbation) or op.modality not in kinds):
                raise ConfigError(f"MultiModalPolicy: {name}= must be a {name} perturbation, "
                                  f"got {op!r}")
        self.mode_weights = _probabilities("modes", modes, MODES,
                                           {m: 0.25 for m in MODES})
        if self.mode_weights.sum() <= 0:
            raise ConfigError("MultiModalPolicy: modes need a positive total weight")
        self.drop_probs = _probabilities("drop", drop, ("image", "text"), {})
        if self.drop_probs.sum() > 1:
            raise ConfigError("MultiModalPolicy: drop probabilities must sum to <= 1")
        if schedule not in SCHEDULES:
            raise ConfigError(f"MultiModalPolicy: schedule must be one of {SCHEDULES}")
        if isinstance(patch_size, bool) or not isinstance(patch_size, int) or patch_size < 1:
            raise ConfigError("MultiModalPolicy: patch_size must be a positive int")
        self.severity_spec = (None if severity is None else
                              self.spec("severity", severity, low=1, high=5, integer=True))
        self.schedule, self.schedule_steps, self.patch_size = schedule, schedule_steps, patch_size
        self.step = 0
        self.image_levels = self._levels(image)
        self.text_levels = self._levels(text)

    def _levels(self, op: Perturbation | None) -> torch.nn.ModuleList:
        if op is None:
            return torch.nn.ModuleList()
        if self.severity_spec is None:
            return torch.nn.ModuleList([op])
        return torch.nn.ModuleList([with_severity(op, s) for s in range(1, 6)])

    def set_step(self, step: int) -> None:
        """Tell the severity schedule the current training step."""
        self.step = int(step)

    def severity_cap(self) -> int:
        """Highest severity allowed at the current step."""
        top = self.severity_spec.max if self.severity_spec is not None else 5
        if self.schedule == "constant" or self.schedule_steps <= 0:
            return int(top)
        t = min(1.0, self.step / self.schedule_steps)
        ramp = t if self.schedule == "linear" else 0.5 * (1 - math.cos(math.pi * t))
        return max(1, round(1 + (top - 1) * ramp))

    # ------------------------------------------------------------------ sampling
    def _sample(self, batch_size: int, generator: torch.Generator) -> Params:
        mode = torch.multinomial(self.mode_weights, batch_size, replacement=True,
                                 generator=generator)
        u = torch.rand(batch_size, generator=generator, dtype=torch.float64)
        drop_image = u < self.drop_probs[0]
        drop_text = (u >= self.drop_probs[0]) & (u < self.drop_probs.sum())
        if self.severity_spec is None:
            severity = torch.zeros(batch_size, dtype=torch.int64)
        else:
            severity = self.severity_spec.sample(batch_size, generator).clamp(
                max=self.severity_cap())
        return {"mode": mode, "drop_image": drop_image, "drop_text": drop_text,
                "severity": severity,
                "image": [op.sample(batch_size, generator) for op in self.image_levels],
                "text": [op.sample(batch_size, generator) for op in self.text_levels]}

    # ------------------------------------------------------------------ applying
    def forward(self, images: torch.Tensor, texts: Sequence[str], params: Params | None = None,
                *, generator: torch.Generator | int | None = None) -> PerturbedBatch:
        if params is None:
            params = self.sample(len(texts), resolve_generator(generator, self))
        return self.apply((images, texts), params)

    def apply(self, x: tuple[torch.Tensor, Sequence[str]], params: Params) -> PerturbedBatch:
        images, texts = x
        images = check_image(images, "MultiModalPolicy")
        texts = _check_reports(texts, self.allow_empty_reports)
        if len(texts) != images.shape[0]:
            raise InputError(f"MultiModalPolicy: {images.shape[0]} images but {len(texts)} "
                             f"reports; pass one report per image")
        check_params(params, len(texts), "MultiModalPolicy")
        gate, mode = params["gate"], params["mode"]
        level = (params["severity"] - 1).clamp(min=0)
        perturb_image = gate & ((mode == 1) | (mode == 3))
        perturb_text = gate & ((mode == 2) | (mode == 3))
        out_images, occlusion = self._apply_images(images, params, perturb_image, level)
        out_texts, edits = self._apply_texts(texts, params, perturb_text, level)
        diff = (out_images - images).abs().float().mean(1, keepdim=True)
        damage = F.avg_pool2d(diff, self.patch_size)[:, 0] if min(images.shape[2:]) >= \
            self.patch_size else diff.flatten(1).mean(1).view(-1, 1, 1)
        return PerturbedBatch(
            clean_images=images, images=out_images, clean_texts=texts, texts=out_texts,
            mode=torch.where(gate, mode, torch.zeros_like(mode)),
            image_present=~(gate & params["drop_image"]),
            text_present=~(gate & params["drop_text"]),
            severity=torch.where(perturb_image | perturb_text, params["severity"], 0),
            damage=damage, occlusion=occlusion, patch_size=self.patch_size,
            text_edits=edits,
            edited_spans=[_changed_spans(c, t) for c, t in zip(texts, out_texts, strict=True)],
            log=functools.partial(replay_log, self.to_config(), params))

    def _apply_images(self, images, params, perturb, level):
        out = images
        occlusion = torch.zeros(images.shape[0], 1, *images.shape[2:], dtype=torch.bool,
                                device=images.device)
        for k, op in enumerate(self.image_levels):
            index = (perturb & (level == k if len(self.image_levels) > 1 else True)).nonzero()
            index = index.flatten()
            if index.numel() == 0:
                continue
            sub = slice_params(params["image"][k], index)
            part = images.index_select(0, index.to(images.device))  # a copy: the op owns it
            part = op.apply_owned(part, sub)
            if out is images:
                out = out.index_copy(0, index.to(images.device), part)
            else:  # made here: write the rows in place
                out = out.index_copy_(0, index.to(images.device), part)
            mask = op.occlusion(tuple(part.shape), sub)
            if mask is not None:
                occlusion = occlusion.index_copy(0, index.to(images.device),
                                                 mask.to(images.device))
        return out, occlusion

    def _apply_texts(self, texts, params, perturb, level):
        out, edits = list(texts), [[] for _ in texts]
        if not self.text_levels:
            return out, edits
        from .text.base import TextBatch  # text ops are set, so the text extra is loaded

        batch = TextBatch.of(texts)
        for k, op in enumerate(self.text_levels):
            index = (perturb & (level == k if len(self.text_levels) > 1 else True)).nonzero()
            index = index.flatten()
            if index.numel() == 0:
                continue
            part = op.apply_batch(op.check_input(batch.take(index)),
                             slice_params(params["text"][k], index))
            for j, i in enumerate(index.tolist()):
                out[i] = part.texts[j]
                edits[i] = [e.as_dict() for e in part.edits[j]]
        return out, edits

    @staticmethod
    def replay(log: Mapping[str, Any], images: torch.Tensor, texts: Sequence[str]
               ) -> PerturbedBatch:
        """Rebuild a batch from ``PerturbedBatch.log`` (and the clean inputs)."""
        policy = from_config(log["config"])
        return policy.apply((images, texts), params_from_json(log["params"]))


def replay_log(config: dict[str, Any], params: Params) -> dict[str, Any]:
    """The replay log of a batch: the policy's config and its params as JSON (what
    :meth:`MultiModalPolicy.replay` takes). ``PerturbedBatch.log`` makes it on first access;
    params must not be changed in place in between."""
    return {"config": config, "params": params_to_json(params)}


def _changed_spans(clean: str, perturbed: str) -> list[tuple[int, int]]:
    """Word-level spans of ``perturbed`` that differ from ``clean``.

    A deletion marks the word right after it, so the model is asked about the gap. The
    common prefix and suffix are trimmed first; a middle of equal word count is compared in
    place, any other is diffed only up to ``_MAX_DIFF_WORDS`` words (beyond, the whole
    differing middle is marked), so long repetitive reports cost linear time.

    Example:
        >>> _changed_spans("No large effusion.", "No effusion.")
        [(3, 12)]
        >>> _changed_spans("same", "same")
        []
    """
    if clean == perturbed:
        return []
    a = [m.group() for m in _WORD.finditer(clean)]
    b_spans = [m.span() for m in _WORD.finditer(perturbed)]
    b = [perturbed[s:e] for s, e in b_spans]
    lo = 0
    while lo < min(len(a), len(b)) and a[lo] == b[lo]:
        lo += 1
    hi_a, hi_b = len(a), len(b)
    while hi_a > lo and hi_b > lo and a[hi_a - 1] == b[hi_b - 1]:
        hi_a, hi_b = hi_a - 1, hi_b - 1
    if hi_a - lo == hi_b - lo:  # same word count (typos, one-word swaps): compare in place
        return [b_spans[i] for i in range(lo, hi_b) if a[i] != b[i]]
    if max(hi_a - lo, hi_b - lo) > _MAX_DIFF_WORDS:
        return b_spans[lo:max(hi_b, lo + 1)] if b_spans[lo:] else []
    spans = []
    matcher = difflib.SequenceMatcher(None, a[lo:hi_a], b[lo:hi_b], autojunk=False)
    for op, _, _, j1, j2 in matcher.get_opcodes():
        if op in ("replace", "insert"):
            spans.extend(b_spans[lo + j1:lo + j2])
        elif op == "delete" and lo + j1 < len(b_spans):
            spans.append(b_spans[lo + j1])
    return sorted(set(spans))
