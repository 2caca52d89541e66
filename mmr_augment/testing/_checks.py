"""The individual checks of :func:`~mmr_augment.testing.check_perturbation`.

Each returns ``(passed, message)``; ``x`` is the op's input (images, reports, or both) and
``kind`` says which (see :mod:`._inputs`).
"""

from __future__ import annotations

import json
import random
from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import yaml

from ..core import Perturbation, from_config, replay, slice_params
from . import _inputs as io

_EFFECT_RANK = {"meaning_preserving": 0, "information_removing": 1, "meaning_changing": 2}


def _rng_states() -> tuple[Any, ...]:
    return torch.random.get_rng_state(), np.random.get_state()[1].copy(), random.getstate()


def effect_of(op: Any) -> str | None:
    """The op's effect class; for a composition or policy, the worst of its text children."""
    if getattr(op, "effect", None) in _EFFECT_RANK:
        return op.effect
    children = [c for c in op.children() if isinstance(c, Perturbation)]
    for module in op.children():
        if isinstance(module, torch.nn.ModuleList):
            children += [c for c in module if isinstance(c, Perturbation)]
    effects = [e for e in map(effect_of, children) if e is not None]
    return max(effects, key=_EFFECT_RANK.__getitem__) if effects else None


def _mentions(text: str) -> Counter:
    from ..text.labeler import CONTEXT_SECTIONS
    from ..text.parse import parse

    r = parse(text)
    return Counter((m.observation, m.polarity) for m in r.mentions if r.sections[
        int(r.sentence_section[int(r.token_sentence[m.token_start])])].name
        not in CONTEXT_SECTIONS)


def verdict(ok: bool, passed: str, failed: str) -> tuple[bool, str]:
    return ok, passed if ok else failed


def check_output(op, kind, x, imgs, device, seed):
    if kind != "image":
        y = io.call(op, kind, x, seed)
        yi, yt = io.outputs(kind, y)
        ok = len(yt) == io.size(kind, x) and all(isinstance(t, str) for t in yt)
        if yi is not None:
            xi = x[0]
            ok = ok and yi.shape == xi.shape and yi.dtype == xi.dtype and yi.device == xi.device
        return ok, f"{len(yt)} texts" + ("" if yi is None else f", images {tuple(yi.shape)}")
    bad = []
    variants = [(v.to(dtype), f"{tuple(v.shape)} {dtype}") for v in imgs for dtype in
                (torch.float16, torch.bfloat16, torch.float32, torch.float64)]
    variants.append((imgs[0][:, :1].expand(-1, 3, -1, -1).contiguous(), "3 channels"))
    variants.append((imgs[0][:, :1, :-1, :-1].contiguous(), "odd size"))
    for v, what in variants:
        y = op(v, generator=seed)
        if y.shape != v.shape or y.dtype != v.dtype or y.device.type != device.type \
                or not bool(torch.isfinite(y.float()).all()):
            bad.append(f"{what} -> {tuple(y.shape)} {y.dtype} {y.device}")
    return not bad, "; ".join(bad) or f"{len(variants)} shape/dtype variants kept"


def check_p0(op, kind, x, seed):
    y = io.call(from_config({**op.to_config(), "p": 0.0}), kind, x, seed)
    xi, xt = io.inputs(kind, x)
    yi, yt = io.outputs(kind, y)
    edits = getattr(y, "edits", None) or getattr(y, "text_edits", None) or []
    ok = (xi is None or torch.equal(xi, yi)) and (xt is None or xt == yt) and not any(edits)
    return ok, "p=0 returns the input" if ok else "p=0 output differs from the input"


def check_per_sample(op, kind, x, b, seed, atol):
    params = op.sample(b, torch.Generator().manual_seed(seed))
    y = io.apply(op, kind, x, params)
    bad = [i for i in range(b)
           if not io.same(io.apply(op, kind, io.take(kind, x, i),
                                   slice_params(params, torch.tensor([i]))),
                          _row(kind, y, i), kind, atol=atol)]
    return not bad, f"samples {bad} differ when run alone" if bad else f"{b} samples"


def _row(kind, y, i):
    yi, yt = io.outputs(kind, y)
    if kind == "image":
        return yi[i:i + 1]
    return _Rows(None if yi is None else yi[i:i + 1], yt[i:i + 1])


@dataclass
class _Rows:
    """Rows of a text or multimodal output, comparable with ``io.same``."""

    images: Any
    texts: list[str]


def check_replay(op, kind, x, b, seed):
    params = op.sample(b, torch.Generator().manual_seed(seed))
    y = io.apply(op, kind, x, params)
    again = io.same(io.apply(op, kind, x, params), y, kind)
    entry = json.loads(json.dumps(op.log(params)))
    logged = io.same(replay(entry, x if kind != "text" else list(x)), y, kind)
    return again and logged, f"apply again: {again}; replay of the JSON log: {logged}"


def check_round_trip(op, kind, x, seed):
    cfg = op.to_config()
    from_json = from_config(json.loads(json.dumps(cfg)))
    from_yaml = from_config(yaml.safe_load(yaml.safe_dump(cfg)))
    y = io.call(op, kind, x, seed)
    ok = all(o.to_config() == cfg and io.same(io.call(o, kind, x, seed), y, kind)
             for o in (from_json, from_yaml))
    return ok, "JSON and YAML configs rebuild the op" if ok else f"config {cfg} did not " \
        f"rebuild an op with the same config and output"


def check_global_rng(op, kind, x, seed):
    before = _rng_states()
    io.call(op, kind, x, seed)
    io.call(op, kind, x, None)  # the op-owned generator path
    after = _rng_states()
    ok = torch.equal(before[0], after[0]) and np.array_equal(before[1], after[1]) \
        and before[2] == after[2]
    return ok, "torch, numpy and random states unchanged" if ok else \
        "the op drew from a global RNG; use the generator passed to sample()"


def check_bad_input(op, b, device):
    from ..errors import InputError, InputTypeError

    wrong = []
    for bad, err in ((torch.zeros(b, 1, 8, 8, dtype=torch.uint8), InputTypeError),
                     (torch.full((b, 1, 8, 8), float("nan")), InputError)):
        try:
            op(bad.to(device), generator=0)
            wrong.append(f"{bad.dtype} accepted")
        except err:
            pass
    return not wrong, "; ".join(wrong) or "integer and NaN images refused"


def check_severity(op, kind, x, seed):
    cls = type(op)
    cfg = {k: v for k, v in op.to_config().items()
           if k not in cls.severity_table and k not in ("severity", "p")}
    change = [io.change(kind, x, io.call(from_config({**cfg, "severity": s}), kind, x, seed))
              for s in range(1, 6)]
    ok = all(a <= b for a, b in zip(change, change[1:])) and change[0] < change[-1]
    return ok, "change at severity 1..5: " + ", ".join(f"{c:.4g}" for c in change)


def check_label_safety(op, kind, x, effect, seed):
    from ..text.labeler import labels_kept, report_labels

    _, before = io.inputs(kind, x)
    bad = []
    for s in range(seed, seed + 3):
        _, after = io.outputs(kind, io.call(op, kind, x, s))
        for a, b in zip(before, after):
            flipped = not labels_kept(report_labels(a), report_labels(b), effect)
            if effect == "meaning_preserving":
                flipped |= _mentions(a) != _mentions(b)
            else:
                flipped |= bool(_mentions(b) - _mentions(a))
            if flipped:
                bad.append(f"{a[:40]!r} -> {b[:40]!r}")
    rule = "labels kept" if effect == "meaning_preserving" else \
        "labels kept or unmentioned, mentions only dropped"
    return not bad, f"{effect}: {rule}" if not bad else f"{effect}: changed {bad[0]}"
