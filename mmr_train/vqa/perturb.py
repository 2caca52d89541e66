"""The perturbation families of the VQA evaluation and how they are applied.

- Image: every image family of :func:`mmr_train.evaluate.corruption_families` plus
  ``scanner_style`` (each image rendered by one shipped scanner preset, strength .2-1 for
  severity 1-5). The families that only make sense on radiographs (:data:`XRAY_ONLY`: grid
  lines, collimation, burned-in markers, scanner styles) are scored on the X-ray questions
  only.
- Text: the *meaning-preserving* text families (the class each text op declares); the
  information-removing ones could delete what the question asks, the meaning-changing ones
  change the answer.

Parameters are drawn per sample from a generator seeded with ``(seed, family, severity)``,
so every model scored on the same rows sees the same perturbed inputs.

Example:
    >>> fams = vqa_families()
    >>> fams["grid_lines"].xray_only, fams["gaussian_noise"].xray_only, fams["typo"].modality
    (True, False, 'text')
    >>> "word_dropout" in fams, "scanner_style" in fams
    (False, True)
    >>> perturb_questions(["is the heart enlarged?"], fams["case_whitespace"], 5)
    ['Is  the  Heart ENLARGED?']
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from mmr_augment import MultiModalPolicy, Perturbation, load_config, with_severity
from mmr_augment.core import REGISTRY
from mmr_augment.errors import ConfigError
from mmr_augment.style import ScannerStyle

from ..distributed import derive_seed
from ..evaluate.corruption import CorruptionFamily, corruption_families

#: Image families scored on X-ray questions only.
XRAY_ONLY = ("grid_lines", "collimation", "markers", "scanner_style")


@dataclass(frozen=True)
class VQAFamily:
    """One evaluated family: name, op class name, ``image`` or ``text``, X-ray only, and the
    direction of a two-way family (``brightness_up`` / ``brightness_down``; None otherwise)."""

    family: str
    op_name: str
    modality: str
    xray_only: bool
    direction: str | None = None

    def op(self, severity: int) -> Perturbation:
        """The op at evaluation ``severity`` (1-5), always applied."""
        if self.family == "scanner_style":
            return with_severity(ScannerStyle.mixture(ScannerStyle.presets()), severity)
        return CorruptionFamily(self.family, self.op_name, self.modality,
                                self.direction).op(severity)


def vqa_families() -> dict[str, VQAFamily]:
    """Evaluated families by name: image ones first (registry order), then text ones."""
    out = {n: VQAFamily(n, f.op_name, "image", n in XRAY_ONLY, f.direction)
           for n, f in corruption_families("image").items()}
    out["scanner_style"] = VQAFamily("scanner_style", "ScannerStyle", "image", True)
    for name, fam in corruption_families("text").items():
        if getattr(REGISTRY[fam.op_name], "effect", "") == "meaning_preserving":
            out[name] = VQAFamily(name, fam.op_name, "text", False)
    return out


def _generator(seed: int, family: str, severity: int) -> torch.Generator:
    return torch.Generator().manual_seed(derive_seed(seed, family, severity))


def perturb_images(images: torch.Tensor, family: VQAFamily, severity: int, seed: int = 0
                   ) -> torch.Tensor:
    """``images`` ``(M, C, S, S)`` under ``family`` at ``severity`` (seeded, see above)."""
    return family.op(severity)(images, generator=_generator(seed, family.family, severity))


def perturb_questions(questions: Sequence[str], family: VQAFamily, severity: int,
                      seed: int = 0) -> list[str]:
    """``questions`` under the text ``family`` at ``severity`` (seeded, see above)."""
    out = family.op(severity)(list(questions),
                              generator=_generator(seed, family.family, severity))
    return list(out.texts)


def _leaf_modalities(config: Any) -> set[str]:
    if isinstance(config, list):
        return set().union(*(_leaf_modalities(c) for c in config)) if config else set()
    if not isinstance(config, dict):
        return set()
    own = REGISTRY[config["type"]].modality if config.get("type") in REGISTRY else None
    found = set().union(*(_leaf_modalities(v) for v in config.values()))
    return found or ({own} if own in ("image", "text") else set())


def load_policy(path: str | Path) -> tuple[Perturbation, str]:
    """A user policy file (``MultiModalPolicy`` or op config, as ``mmr_augment.save_config``
    writes) and what it perturbs: ``multimodal``, ``image`` or ``text``."""
    op = load_config(path)
    if isinstance(op, MultiModalPolicy):
        return op, "multimodal"
    kinds = _leaf_modalities(op.to_config())
    if len(kinds) != 1:
        raise ConfigError(f"{path}: the op mixes image and text ops ({sorted(kinds)}); wrap "
                          f"them in a MultiModalPolicy (image=..., text=...)")
    return op, kinds.pop()
