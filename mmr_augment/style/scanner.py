"""``ScannerStyle``: how a site renders the same anatomy, as one batched image op.

A style is a chain of acquisition and processing stages (see ``_stage_table.STAGES``), each
reusing a public image op or a small private one. Every stage parameter is a ``ParamSpec`` (a
fixed value, a range or a choice), so one style is either a fixed site (a preset) or a family of
sites drawn per sample. Styles are data: YAML files under ``assets/styles/scanner``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ..compose import OneOf
from ..core import Params, resolve_generator, shares_memory, slice_params
from ..errors import ConfigError
from ..image.base import ImagePerturbation, check_image, per_sample
from ._files import SCANNER_FILES
from ._fit import matching_curve
from ._stage_table import POINTWISE, STAGES, build_stage, resolve_stage

_STYLE_KEYS = ["name", "description", *STAGES, "strength", "p", "severity", "value_range"]


def run_stage(op: ImagePerturbation, x: torch.Tensor, params: Params, owned: bool = False
              ) -> torch.Tensor:
    """Apply one stage to the samples its gate selects; the others are untouched (not computed).

    ``owned=True`` says ``x`` is a temporary of the caller's: the stage may write into it
    (``apply_owned``). While ``torch.compile`` traces, every sample is computed and the gate
    picks (one graph whatever the gate).

    Example:
        >>> from mmr_augment import Invert
        >>> op = Invert(p=0.5); x = torch.rand(4, 1, 2, 2); params = op.sample(4, 1)
        >>> torch.equal(run_stage(op, x, params), op.apply(x, params))
        True
    """
    gate = params["gate"]
    if torch.compiler.is_compiling():
        return op.apply_batch(x, params)
    if bool(gate.all()):
        return op.apply_owned(x, params) if owned else op.apply_batch(x, params)
    if not bool(gate.any()):
        return x
    index = gate.nonzero().flatten()
    part = op.apply_owned(x.index_select(0, index.to(x.device)), slice_params(params, index))
    if owned:
        return x.index_copy_(0, index.to(x.device), part)
    return x.index_copy(0, index.to(x.device), part)


class ScannerStyle(ImagePerturbation):
    """A site's rendering: detector, noise, blur, processing, display, artefacts, export.

    Stages run in physical order: ``detector`` (gain, offset, gamma), ``noise`` (Poisson-
    Gaussian, with a per-style power spectrum), ``mtf`` (blur), ``edge`` (unsharp mask),
    ``tone`` (vendor curve), ``window``, ``grid`` (lines), ``bit_depth``, ``collimation``,
    ``markers``, ``caption`` (a burned-in caption band), ``jpeg``, ``resolution`` (down-up) and
    ``invert`` (MONOCHROME1 mix-up). Each stage is a mapping of its parameters plus ``p``; a
    left-out stage is skipped, left-out parameters take their op's default, and
    :meth:`to_config` writes them all. Parameters are drawn per sample, so one batch may hold
    many sites; :meth:`mixture` mixes presets.

    Severity (optional) interpolates from the identity to the style in image space:
    ``y = x + strength * (style(x) - x)`` with ``strength`` .2 .4 .6 .8 1 for severity 1..5.

    Args:
        name: the style's name (presets: the file name).
        description: free text, kept in the config.
        detector, noise, mtf, edge, tone, window, grid, bit_depth, collimation, markers,
            caption, jpeg, resolution, invert: stage parameter mappings, or ``None`` to skip a
            stage.
        strength: blend weight from the input (0) to the styled image (1).
        p: probability that a sample is styled.
        severity: 1..5 sets ``strength`` as above.
        value_range: the images' value range.

    Example:
        >>> style = ScannerStyle(noise={"photons": 200, "correlation": 1.0}, mtf={"sigma": 1.0},
        ...                      tone={"kind": "sigmoid", "slope": 6, "midpoint": 0.5})
        >>> x = torch.rand(2, 1, 16, 16, generator=torch.Generator().manual_seed(0))
        >>> params = style.sample(2, 0)
        >>> torch.equal(style.apply(x, params), style.apply(x, params))
        True
        >>> ScannerStyle.preset("dr_flat_panel")(x, generator=0).shape
        torch.Size([2, 1, 16, 16])
    """

    family = "scanner_style"
    severity_table = {"strength": (0.2, 0.4, 0.6, 0.8, 1.0)}

    def __init__(self, name: str = "custom", description: str = "", detector=None, noise=None,
                 mtf=None, edge=None, tone=None, window=None, grid=None, bit_depth=None,
                 collimation=None, markers=None, caption=None, jpeg=None, resolution=None,
                 invert=None, strength=1.0, *, p: float = 1.0, severity: int | None = None,
                 value_range=(0.0, 1.0)) -> None:
        super().__init__(p=p, severity=severity, value_range=value_range)
        if not isinstance(name, str) or not isinstance(description, str):
            raise ConfigError("ScannerStyle: name and description must be strings")
        self.name, self.description = name, description
        given = dict(detector=detector, noise=noise, mtf=mtf, edge=edge, tone=tone,
                     window=window, grid=grid, bit_depth=bit_depth, collimation=collimation,
                     markers=markers, caption=caption, jpeg=jpeg, resolution=resolution,
                     invert=invert)
        self.stage_config = {k: resolve_stage(k, v) for k, v in given.items() if v is not None}
        self.stages = nn.ModuleDict({k: build_stage(k, v) for k, v in self.stage_config.items()})
        self.strength = self.spec("strength", strength, low=0.0, high=1.0)

    # ------------------------------------------------------------------ contract
    def _sample(self, batch_size: int, generator: torch.Generator) -> Params:
        params: Params = {k: op.sample(batch_size, generator) for k, op in self.stages.items()}
        params["strength"] = self.strength.sample(batch_size, generator)
        return params

    def _apply(self, x: torch.Tensor, params: Params) -> torch.Tensor:
        y, owned = x, False
        for name, op in self.stages.items():
            y = run_stage(op, y, params[name], owned)
            owned = owned or not shares_memory(y, x)
        return torch.lerp(x, y, per_sample(params["strength"], x), out=y if owned else None)

    def occlusion(self, shape: tuple[int, ...], params: Params) -> torch.Tensor:
        """``(B, 1, H, W)`` bool: pixels covered by collimator shutters, burned-in markers or a
        caption band (the union of the masks of the stages that occlude; all False where a
        sample or stage is gated off)."""
        b, h, w = shape[0], shape[-2], shape[-1]
        mask = torch.zeros(b, 1, h, w, dtype=torch.bool)
        for name, op in self.stages.items():
            # None: the stage does not occlude (and reads no params)
            stage_mask = op.occlusion(shape, params.get(name))
            if stage_mask is not None:
                mask = mask | stage_mask.cpu()
        styled = params["gate"] & (params["strength"] > 0)
        return mask & styled.view(-1, 1, 1, 1)

    # ------------------------------------------------------------------ config
    def to_config(self) -> dict[str, Any]:
        """Name, description and every parameter of every stage used (plus any style args)."""
        cfg = super().to_config()
        full = {"type": cfg.pop("type"), "name": self.name, "description": self.description}
        full.update(self.stage_config)
        full.update({k: v for k, v in cfg.items() if k not in full})
        return full

    def tone_curve(self, levels: int = 256, generator: torch.Generator | int = 0
                   ) -> torch.Tensor:
        """The style's pixel-wise tone mapping (detector, tone, window, invert; no noise) on
        ``levels`` evenly spaced inputs in ``[0, 1]``, for one sample's drawn parameters.

        Example:
            >>> ScannerStyle(tone={"kind": "lut", "curve": [0.0, 0.8, 1.0]}).tone_curve(5)
            tensor([0.0000, 0.4000, 0.8000, 0.9000, 1.0000], dtype=torch.float64)
        """
        ramp = torch.linspace(0.0, 1.0, levels, dtype=torch.float64).view(1, 1, 1, levels)
        params = self.sample(1, resolve_generator(generator))
        for name in POINTWISE:
            if name in self.stages:
                ramp = run_stage(self.stages[name], ramp, params[name])
        return ramp.flatten()

    # ------------------------------------------------------------------ files
    @staticmethod
    def presets() -> list[str]:
        """Names of the shipped presets (``assets/styles/scanner/*.yaml``)."""
        return SCANNER_FILES.preset_names()

    @classmethod
    def preset(cls, name: str, **overrides: Any) -> ScannerStyle:
        """The shipped preset ``name``; ``overrides`` replace top-level keys (e.g. ``p``)."""
        stored = SCANNER_FILES.read_style(str(SCANNER_FILES.preset_path(name)), _STYLE_KEYS)
        return cls(**{**stored, **overrides})

    @classmethod
    def from_yaml(cls, path: str | Path) -> ScannerStyle:
        """A style from a YAML file (``yaml.safe_load``); unknown keys raise ``ConfigError``."""
        return cls(**SCANNER_FILES.read_style(path, _STYLE_KEYS))

    def to_yaml(self, path: str | Path) -> None:
        """Write the full config as a commented YAML file that :meth:`from_yaml` reads back."""
        SCANNER_FILES.write_style(self.to_config(), path)

    @staticmethod
    def mixture(names: Sequence[str], weights: Sequence[float] | None = None) -> OneOf:
        """Each sample rendered by one of the presets ``names``, picked with ``weights``."""
        return OneOf([ScannerStyle.preset(n) for n in names], weights)

    # ------------------------------------------------------------------ fitting
    @classmethod
    def fit_family(cls, reference_images: Any, source: Any = None, **kwargs: Any) -> Any:
        """A :class:`~mmr_augment.style.StyleFamily` fitted to a site's films, one member per
        film, drawn per image: :func:`mmr_augment.style.fitting.fit_style_family` (same
        arguments: ``match``, ``base``, ``knots``, ``max_members``, ``generator``, ``name``).

        Example:
            >>> films = torch.rand(3, 1, 16, 16, generator=torch.Generator().manual_seed(0))
            >>> len(ScannerStyle.fit_family(films ** 2, source=films, knots=5))
            3
        """
        from .fitting.family import fit_style_family

        return fit_style_family(reference_images, source, **kwargs)

    @classmethod
    def fit(cls, reference_images: torch.Tensor, base: ScannerStyle | None = None, *,
            source: torch.Tensor | None = None, knots: int = 65,
            generator: torch.Generator | int = 0, name: str = "fitted",
            stages: str | Sequence[str] = ("tone",), max_films: int = 48) -> ScannerStyle:
        """A style whose tone curve maps ``source`` intensities onto ``reference_images``'.

        ``stages="all"`` (or a list of stage names) fits the other stages too (noise, MTF,
        edge enhancement, resolution, JPEG, bit depth, shutters, caption band), from films of
        any sizes (a list of ``(C, H, W)`` tensors also works): see
        :func:`mmr_augment.style.fitting.fit_scanner_style`, which also says which stages
        could not be estimated (the fitted style's description lists them).

        Histogram matching over all pixels: the tone stage becomes the piecewise-linear LUT
        ``F_ref^-1(F_src(v))`` with ``knots`` knots. ``source`` is the kind of image the style
        will be applied to (``None``: a generic, uniformly distributed input). With ``base``,
        ``source`` is first rendered by the base's stages that come before the tone curve
        (detector, noise, MTF, edge), and the result keeps the base's other stages; its
        ``window`` and ``invert`` stages are folded into the fitted curve and dropped.
        Occluded pixels (shutters, markers) in the references are not excluded.

        Example:
            >>> x = torch.linspace(0, 1, 1001).view(1, 1, 1, 1001)
            >>> fitted = ScannerStyle.fit(x ** 2, source=x, knots=5)
            >>> [round(v, 2) for v in fitted.tone_curve(5).tolist()]
            [0.0, 0.06, 0.25, 0.56, 1.0]
        """
        if (stages,) != ("tone",) and tuple(stages) != ("tone",):
            from .fitting import fit_scanner_style

            return fit_scanner_style(reference_images, source, base=base, stages=stages,
                                     knots=knots, generator=generator, name=name,
                                     max_films=max_films).style
        reference = check_image(reference_images, "ScannerStyle.fit")
        if isinstance(knots, bool) or not isinstance(knots, int) or not 2 <= knots <= 4096:
            raise ConfigError(f"ScannerStyle.fit: knots must be an int in 2..4096, got {knots!r}")
        config: dict[str, Any] = {}
        if base is not None:
            config = {k: v for k, v in base.to_config().items()
                      if k not in ("type", "tone", "window", "invert")}
        if source is not None:
            source = check_image(source, "ScannerStyle.fit")
            if base is not None:
                before = list(STAGES)[:list(STAGES).index("tone")]
                pre = cls(**{k: v for k, v in config.items() if k in before})
                source = pre(source, generator=generator)
        curve = matching_curve(reference, source, knots)
        config.update(name=name, tone={"kind": "lut", "curve": curve})
        if base is not None:
            config["description"] = f"{base.name} with a tone curve fitted to reference images"
        return cls(**config)
