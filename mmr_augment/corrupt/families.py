"""What ``mmr-augment corrupt`` builds: the corruption families and the severities.

A family is one registered op with a severity table and modality ``image`` or ``text``. Left
out, as in the evaluation suite: compositions, the multimodal policy, the domain style
simulators (``ScannerStyle`` / ``ReportStyle`` are domains, not corruptions), meaning-changing
text ops (they change the labels) and ops without a severity table.

Example:
    >>> fams = corruption_families("image")
    >>> fams["gaussian_noise"].op_name, fams["gaussian_noise"].op(2).to_config()["severity"]
    ('GaussianNoise', 2)
    >>> parse_severities("1-3,5")
    (1, 2, 3, 5)
    >>> select_families("jpeg,pixelate", fams)
    ['jpeg', 'pixelate']
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from ..core import REGISTRY, Perturbation
from ..errors import ConfigError, InputError

SELECTIONS = ("all", "image", "text")
_STYLE_FAMILIES = {"scanner_style", "report_style"}


@dataclass(frozen=True)
class CorruptionFamily:
    """One family: its name, the op class that implements it and its modality."""

    family: str
    op_name: str
    modality: str

    def op(self, severity: int) -> Perturbation:
        """The op at evaluation ``severity`` (1-5), always applied (``p=1``)."""
        if self.modality == "text":
            import mmr_augment.text  # noqa: F401  (registers the text ops)
        return REGISTRY[self.op_name](severity=severity, p=1.0)


def _register_text_ops() -> bool:
    try:
        import mmr_augment.text  # noqa: F401
    except ImportError:
        return False
    return True


def corruption_ops(modality: str) -> list[tuple[str, type[Perturbation]]]:
    """``(op name, op class)`` of each corruption family of ``modality`` (``image`` or
    ``text``), in registry order: the first registered op of a family with a severity table,
    leaving out the domain styles and meaning-changing text ops. Register the text ops first.

    Example:
        >>> ("GaussianNoise", REGISTRY["GaussianNoise"]) in corruption_ops("image")
        True
    """
    out: dict[str, tuple[str, type[Perturbation]]] = {}
    for name, cls in REGISTRY.items():
        if (cls.modality == modality and cls.family not in _STYLE_FAMILIES
                and cls.family not in out and cls.severity_table
                and getattr(cls, "effect", "") != "meaning_changing"):
            out[cls.family] = (name, cls)
    return list(out.values())


def corruption_families(modality: str = "all") -> dict[str, CorruptionFamily]:
    """Families by name (registry order, image first); ``modality``: all, image or text.

    Text families need the report stack (``pip install 'mmr[text]'``).
    """
    if modality not in SELECTIONS:
        raise ConfigError(f"modality must be one of {SELECTIONS}, got {modality!r}")
    if not _register_text_ops() and modality == "text":
        raise ConfigError("text families need the report stack: pip install 'mmr[text]'")
    return {cls.family: CorruptionFamily(cls.family, name, kind)
            for kind in ("image", "text") if modality in ("all", kind)
            for name, cls in corruption_ops(kind)}


def select_families(spec: str, families: dict[str, CorruptionFamily] | None = None
                    ) -> list[str]:
    """``all`` / ``image`` / ``text`` or a comma-separated list of family names."""
    spec = spec.strip()
    if spec in SELECTIONS:
        return list(corruption_families(spec))
    families = families if families is not None else corruption_families()
    names = [n.strip() for n in spec.split(",") if n.strip()]
    for name in names:
        if name not in families:
            near = difflib.get_close_matches(name, list(families), n=3)
            hint = f" (did you mean {', '.join(near)}?)" if near else ""
            raise InputError(f"unknown corruption family {name!r}{hint}; choose from "
                             f"{', '.join(SELECTIONS)} or {', '.join(families)}")
    if not names:
        raise InputError("--families is empty; pass all, image, text or family names")
    return list(dict.fromkeys(names))


def parse_severities(spec: str) -> tuple[int, ...]:
    """``"1-5"``, ``"3"`` or ``"1,3,5"`` (ranges and lists mix) -> sorted severities."""
    out: set[int] = set()
    try:
        for part in spec.split(","):
            lo, _, hi = part.strip().partition("-")
            out.update(range(int(lo), int(hi or lo) + 1))
    except ValueError:
        raise InputError(f"severities must look like 1-5 or 1,3,5, got {spec!r}") from None
    if not out or min(out) < 1 or max(out) > 5:
        raise InputError(f"severities must lie in 1..5, got {spec!r}")
    return tuple(sorted(out))
