"""What a policy (or op) config does, for ``mmr-augment describe``: its ops, modes, drops and
severities, plus a summary of one seeded run on synthetic studies.

Example:
    >>> from mmr_augment import GaussianNoise, MultiModalPolicy
    >>> info = describe(MultiModalPolicy(image=GaussianNoise(), modes={"image": 3, "none": 1}))
    >>> info["modes"]
    {'none': 0.25, 'image': 0.75, 'text': 0.0, 'both': 0.0}
    >>> info["image_ops"]
    ['GaussianNoise(std=[0.01, 0.1], grey_as_rgb=False)']
"""

from __future__ import annotations

import inspect
import time
from collections import Counter
from typing import Any

from .batch import MODES
from .core import REGISTRY, Perturbation, to_plain


def _with_defaults(config: dict[str, Any]) -> dict[str, Any]:
    """The config's arguments, with the class defaults of those left out (but ``p``,
    ``severity`` and ``value_range``, which only matter when set)."""
    args = {}
    for name, param in inspect.signature(REGISTRY[config["type"]].__init__).parameters.items():
        if name in ("self", "ops", "p", "severity", "value_range") or \
                param.default is inspect.Parameter.empty or param.default is None or \
                param.kind in (param.VAR_KEYWORD, param.VAR_POSITIONAL):
            continue
        args[name] = to_plain(param.default)
    args.update({k: v for k, v in config.items() if k not in ("type", "ops")})
    return args


def op_lines(config: Any, depth: int = 0) -> list[str]:
    """An op config as indented ``Type(arg=value, ...)`` lines (children below their parent)."""
    if isinstance(config, list):
        return [line for c in config for line in op_lines(c, depth)]
    args = _with_defaults(config)
    text = ", ".join(f"{k}={v}" for k, v in args.items())
    lines = ["  " * depth + f"{config['type']}({text})"]
    for child in config.get("ops", []):
        lines += op_lines(child, depth + 1)
    return lines


def describe(op: Perturbation) -> dict[str, Any]:
    """A JSON-ready summary of ``op`` (a ``MultiModalPolicy`` or any single op)."""
    info: dict[str, Any] = {"type": type(op).__name__, "modality": op.modality, "p": op.p}
    if op.modality != "multimodal":
        info["ops"] = op_lines(op.to_config())
        return info
    weights = op.mode_weights / op.mode_weights.sum()
    cfg = op.to_config()
    info.update(
        modes={m: round(float(w), 4) for m, w in zip(MODES, weights)},
        drop={"image": float(op.drop_probs[0]), "text": float(op.drop_probs[1])},
        severity=cfg.get("severity", "ops as configured"),
        schedule=f"{op.schedule} over {op.schedule_steps} steps" if op.schedule_steps else
        op.schedule, patch_size=op.patch_size,
        image_ops=op_lines(cfg["image"]) if "image" in cfg else [],
        text_ops=op_lines(cfg["text"]) if "text" in cfg else [])
    return info


def sample_run(op: Perturbation, n: int = 16, size: int = 64, seed: int = 0) -> dict[str, Any]:
    """Run ``op`` once on ``n`` synthetic studies and summarise what it did."""
    from .synthetic import generate

    data = generate(n, size=size, seed=seed)
    start = time.perf_counter()
    if op.modality == "multimodal":
        out = op(data.images, data.reports, generator=seed)
        images, texts = out.images, out.texts
    elif op.modality == "text":
        images, texts = data.images, op(data.reports, generator=seed).texts
    else:
        images, texts = op(data.images, generator=seed), data.reports
    seconds = time.perf_counter() - start
    change = (images - data.images).abs().flatten(1).mean(1)
    summary: dict[str, Any] = {
        "studies": n, "size": size, "seed": seed, "seconds": round(seconds, 4),
        "images_changed": int((change > 0).sum()),
        "mean_abs_image_change": round(float(change.mean()), 5),
        "reports_changed": sum(a != b for a, b in zip(data.reports, texts))}
    if op.modality == "multimodal":
        summary.update(
            mode_counts={MODES[m]: c for m, c in sorted(Counter(out.mode.tolist()).items())},
            image_dropped=int((~out.image_present).sum()),
            text_dropped=int((~out.text_present).sum()),
            severity_counts=dict(sorted(Counter(out.severity.tolist()).items())),
            text_edits=sum(map(len, out.text_edits)))
    return summary


def format_description(info: dict[str, Any], run: dict[str, Any] | None) -> str:
    """Readable text of :func:`describe` and :func:`sample_run` results."""
    lines = [f"{info['type']} ({info['modality']}), p={info['p']}"]
    for key in ("modes", "drop", "severity", "schedule", "patch_size"):
        if key in info:
            lines.append(f"  {key}: {info[key]}")
    for key in ("ops", "image_ops", "text_ops"):
        if key in info:
            lines.append(f"  {key.replace('_', ' ')}:")
            lines += [f"    {line}" for line in info[key] or ["(none: stays clean)"]]
    if run:
        lines.append(f"  sample run ({run['studies']} synthetic studies, {run['size']} px, "
                     f"seed {run['seed']}, {run['seconds'] * 1000:.1f} ms):")
        lines += [f"    {k}: {v}" for k, v in run.items()
                  if k not in ("studies", "size", "seed", "seconds")]
    return "\n".join(lines)


__all__ = ["describe", "format_description", "op_lines", "sample_run"]
