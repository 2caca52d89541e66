"""Optional dependencies: one check at each import boundary, an error that names the extra.

``pip install mmr`` is the image side (torch, numpy, kornia, pyyaml, pydicom, pillow,
hypothesis). The report stack, MONAI and the trainer are extras; a part that needs one calls
:func:`require` before importing it, so a missing extra fails with the command that fixes it.

Example:
    >>> require("text", "json")  # present: returns quietly
    >>> try:
    ...     require("text", "no_such_module_xyz")
    ... except MissingExtraError as e:
    ...     print(e)
    this part of mmr needs 'no_such_module_xyz', ... pip install 'mmr[text]'
"""

from __future__ import annotations

import importlib
import importlib.util

from .errors import MMRError

#: Extra -> what it is for (shown by the error).
EXTRAS: dict[str, str] = {
    "text": "the report stack: parsing, text ops, report styles, the labeler",
    "monai": "the MONAI adapter",
    "preview": "preview figures and progress bars",
    "train": "the trainer and its evaluation",
}

#: Modules whose ops register on import but load only when needed -> the extra they need.
OPTIONAL_OPS: dict[str, str] = {
    "mmr_augment.text": "text",
    "mmr_augment.style.report": "text",
}


class MissingExtraError(MMRError, ImportError):
    """A part of mmr was used whose optional dependencies are not installed."""


def missing(*modules: str) -> list[str]:
    """The names among ``modules`` that cannot be imported (found without importing them).

    Example:
        >>> missing("json", "no_such_module_xyz")
        ['no_such_module_xyz']
    """
    out = []
    for name in modules:
        try:
            found = importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            out.append(name)
    return out


def require(extra: str, *modules: str) -> None:
    """Raise :class:`MissingExtraError` naming ``pip install 'mmr[extra]'`` if a module is absent.

    Example:
        >>> require("monai", "json")
    """
    absent = missing(*modules)
    if absent:
        names = ", ".join(repr(m) for m in absent)
        raise MissingExtraError(
            f"this part of mmr needs {names}, which {'is' if len(absent) == 1 else 'are'} not "
            f"installed; install it with: pip install 'mmr[{extra}]'")


def load_optional_ops() -> list[str]:
    """Import the optional op modules whose extra is installed; returns the extras missing.

    Called where every op must be known (``from_config`` on an unknown name, ``mmr-augment
    list``), so ``import mmr_augment`` alone never loads the report stack.

    Example:
        >>> import mmr_augment
        >>> absent = load_optional_ops()
        >>> ("Typo" in mmr_augment.REGISTRY) == ("text" not in absent)
        True
    """
    absent = []
    for module, extra in OPTIONAL_OPS.items():
        try:
            importlib.import_module(module)
        except MissingExtraError:
            absent.append(extra)
    return sorted(set(absent))
