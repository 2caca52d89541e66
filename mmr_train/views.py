"""The training step's perturbation side: the policy and the second style view.

:func:`build_policy` turns the fit config's ``policy`` entry into a ``MultiModalPolicy``
(:data:`DEFAULT_POLICY` for Robust-MMR; a policy that perturbs nothing for the baseline).
:class:`ViewPerturber` gives, per micro-batch, one ``PerturbedBatch`` per view: the first view is
the batch itself, the second (only when the consistency term is on) another rendering of the
same studies, taken from the dataset (``view2_*``) or made by a scanner / report style family
(``views``), falling back to the policy's own image / text ops where no style is available.

Example:
    >>> from mmr_train.config import fit_config_from_dict
    >>> cfg = fit_config_from_dict({"method": "baseline"})
    >>> policy = build_policy(cfg)
    >>> out = policy(torch.rand(2, 1, 64, 64), ["a.", "b."], generator=0)
    >>> out.mode.tolist(), out.texts
    ([0, 0], ['a.', 'b.'])
"""

from __future__ import annotations

from typing import Any

import torch

import mmr_augment
from mmr_augment import MultiModalPolicy, OneOf, Perturbation, PerturbedBatch, from_config
from mmr_augment.errors import ConfigError, InputError
from mmr_augment.keyed import key_seed, keyed_params

from .batching import StudyBatch
from .config import FitConfig

#: The Robust-MMR policy unless the config gives one: one image or text corruption per
#: perturbed sample, severity 1-5, either modality dropped 10% of the time.
DEFAULT_POLICY: dict[str, Any] = {
    "image": {"type": "OneOf", "ops": [{"type": t} for t in (
        "GaussianNoise", "PoissonNoise", "GaussianBlur", "MotionBlur", "Cutout", "Pixelate",
        "JPEG", "BiasField", "Contrast", "Gamma")]},
    "text": {"type": "OneOf", "ops": [{"type": t} for t in (
        "SynonymSwap", "AbbreviationSwap", "Typo", "SentenceDeletion", "WordDropout",
        "Truncation", "SentenceShuffle")]},
    "modes": {"none": 0.25, "image": 0.25, "text": 0.25, "both": 0.25},
    "drop": {"image": 0.1, "text": 0.1},
    "severity": [1, 5],
}


def build_policy(cfg: FitConfig) -> MultiModalPolicy:
    """The config's ``MultiModalPolicy`` (damage map on the model's patch grid)."""
    import mmr_augment.text  # noqa: F401  (registers the text ops for from_config)

    spec = cfg.policy
    if spec == "default":
        spec = "none" if cfg.is_baseline else DEFAULT_POLICY
    if spec == "none":
        spec = {"modes": {"none": 1.0}}
    spec = {"type": "MultiModalPolicy", "patch_size": cfg.model.patch_size, **spec}
    if spec["type"] != "MultiModalPolicy":
        raise ConfigError(f"policy.type must be MultiModalPolicy, got {spec['type']!r}")
    return from_config(spec)


def _style_family(kind: str, names: Any) -> Perturbation | None:
    """``OneOf`` the named ``ScannerStyle`` / ``ReportStyle`` presets; None if unavailable."""
    cls = getattr(mmr_augment, kind, None)
    if cls is None or not names:
        return None
    names = cls.presets() if names == "all" else names
    if isinstance(names, str) or not all(isinstance(n, str) for n in names):
        raise ConfigError(f"views entries must be 'all' or a list of {kind} preset names, "
                          f"got {names!r}")
    styles = [cls.preset(n) for n in names]
    return styles[0] if len(styles) == 1 else OneOf(styles)


class ViewPerturber:
    """Clean study batch -> one (policy-perturbed) ``PerturbedBatch`` per training view."""

    def __init__(self, cfg: FitConfig, policy: MultiModalPolicy) -> None:
        self.policy = policy
        self.two_views = cfg.loss_weights()["consistency"] > 0
        self.source = cfg.data.second_view
        policy_cfg = policy.to_config()
        image = _style_family("ScannerStyle", cfg.views.scanner) if self.source != "policy" \
            else None
        text = _style_family("ReportStyle", cfg.views.report) if self.source != "policy" \
            else None
        image = image or (from_config(policy_cfg["image"]) if "image" in policy_cfg else None)
        text = text or (from_config(policy_cfg["text"]) if "text" in policy_cfg else None)
        self.restyle = MultiModalPolicy(image=image, text=text, modes={"both": 1.0},
                                        patch_size=policy.patch_size)

    def second_view(self, batch: StudyBatch, generator: torch.Generator
                    ) -> tuple[torch.Tensor, list[str]]:
        """The clean second rendering of the batch's studies."""
        if self.source in ("auto", "dataset") and batch.view2_images is not None:
            return batch.view2_images, list(batch.view2_reports or batch.reports)
        if self.source == "dataset":
            raise InputError("data.second_view is 'dataset' but the dataset gives no "
                             "'view2_image'; use second_view: auto or style")
        out = _perturb(self.restyle, batch.images, batch.reports, generator,
                       batch.sample_seeds, "restyle")
        return out.images, out.texts

    def __call__(self, batch: StudyBatch, policy_generator: torch.Generator,
                 view_generator: torch.Generator, device: torch.device | None = None
                 ) -> list[PerturbedBatch]:
        """Views of ``batch``; images are moved to ``device`` before perturbation.

        With ``batch.sample_seeds`` each study's params come from its own seed (and the
        view), not from the generators, so they do not depend on the batch it is in.
        """
        views = [(batch.images, batch.reports)]
        if self.two_views:
            views.append(self.second_view(batch, view_generator))
        return [_perturb(self.policy, images.to(device) if device is not None else images,
                         texts, policy_generator, batch.sample_seeds, f"view{k}")
                for k, (images, texts) in enumerate(views)]


def _perturb(policy: MultiModalPolicy, images: torch.Tensor, texts: list[str],
             generator: torch.Generator, seeds: list[int] | None, purpose: str
             ) -> PerturbedBatch:
    if seeds is None:
        return policy(images, texts, generator=generator)
    return policy.apply((images, texts), keyed_params(policy, [key_seed(s, purpose)
                                                               for s in seeds]))
