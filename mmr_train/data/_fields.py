"""Per-cell parsing and path safety for manifests: labels, splits, domains, data-root paths.

Each function takes the already-formatted row name (``manifest.csv row 3 (id 'a')``) so that
every error says which row to fix.
"""

from __future__ import annotations

import math
import os
import stat
from pathlib import Path
from typing import Any

from mmr_augment.errors import InputError

#: Canonical split names; ``validation`` / ``validate`` / ``valid`` are read as ``val``.
SPLITS = ("train", "val", "test")
_SPLIT_ALIASES = {"train": "train", "val": "val", "valid": "val", "validate": "val",
                  "validation": "val", "test": "test"}
#: Stored label code per observation: 1 positive, 0 negative, -1 uncertain, 2 not mentioned.
MISSING_CODE = 2
_LABEL_CODES = {"1": 1, "1.0": 1, "0": 0, "0.0": 0, "-1": -1, "-1.0": -1, "": MISSING_CODE}


def label_code(value: Any, where: str, column: str) -> int:
    """One label cell -> its code (1, 0, -1, or :data:`MISSING_CODE` for empty / null).

    Example:
        >>> [label_code(v, "row 1", "Edema") for v in ("1", "-1.0", "", None, 0)]
        [1, -1, 2, 2, 0]
    """
    if value is None:
        return MISSING_CODE
    if isinstance(value, float) and math.isnan(value):
        return MISSING_CODE
    if isinstance(value, int | float) and not isinstance(value, bool) and value in (1, 0, -1):
        return int(value)
    code = _LABEL_CODES.get(value.strip()) if isinstance(value, str) else None
    if code is None:
        raise InputError(f"{where}: column {column!r} has label value {value!r}; use 1 "
                         f"(positive), 0 (negative), -1 (uncertain) or empty (not mentioned)")
    return code


def split_name(value: Any, where: str) -> str | None:
    """A split cell -> ``"train"`` / ``"val"`` / ``"test"``, or None when empty.

    Example:
        >>> split_name("Validation", "row 1"), split_name("", "row 2")
        ('val', None)
    """
    if value is None or value == "":
        return None
    name = _SPLIT_ALIASES.get(str(value).strip().lower())
    if name is None:
        raise InputError(f"{where}: split {value!r} is not one of {SPLITS} (or 'validation'); "
                         f"fix the value or leave it empty")
    return name


def domain_key(value: Any, where: str) -> str:
    """A domain cell -> its string key (ints from JSONL become their decimal text).

    Example:
        >>> domain_key(3, "row 1"), domain_key(" site A ", "row 2")
        ('3', 'site A')
    """
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"{where}: domain {value!r} is empty or not a string / int; give every "
                         f"row a domain (a name or an int) or drop the domain column")
    return value.strip()


def inside_root(root: Path, relative: Any, where: str, column: str) -> str:
    """``root / relative`` as a normalised absolute path string that stays inside ``root``.

    Lexical check only (``..`` and absolute paths outside ``root``); symlinks are checked by
    :func:`resolved_inside`, which touches the file system.

    Example:
        >>> inside_root(Path("/data"), "a/../b.png", "row 1", "image")
        '/data/b.png'
    """
    if not isinstance(relative, str) or not relative.strip():
        raise InputError(f"{where}: column {column!r} is empty; give a path relative to the "
                         f"data root {root}")
    path = os.path.normpath(os.path.join(root, relative.strip()))
    if os.path.isabs(relative.strip()) and not path.startswith(str(root) + os.sep):
        path = os.path.realpath(path)  # an absolute path may spell the root through a symlink
    if os.path.isabs(relative.strip()) and not path.startswith(str(root) + os.sep):
        path = os.path.realpath(path)  # an absolute path may spell the root through a symlink
    if not path.startswith(str(root) + os.sep):
        raise InputError(f"{where}: {column} path {relative!r} points outside the data root "
                         f"{root}; paths must stay inside it (pass root= to load_manifest)")
    return path


def resolved_inside(root: Path, path: str, where: str, column: str,
                    real_dirs: dict[str, str] | None = None) -> Path:
    """``path`` with symlinks resolved; an :class:`InputError` if it leaves ``root``, is missing
    or cannot be read. ``root`` must itself be resolved.

    ``real_dirs`` caches resolved folders between calls (a manifest's images share few
    folders), so a row costs one ``lstat`` and one ``access`` instead of one per path part.

    Example:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     root = Path(tmp).resolve(); _ = (root / "a.txt").write_text("x")
        ...     resolved_inside(root, str(root / "a.txt"), "row 1", "report_path").name
        'a.txt'
    """
    folder, name = os.path.split(path)
    real_dir = real_dirs.get(folder) if real_dirs is not None else None
    if real_dir is None:
        real_dir = os.path.realpath(folder)
        if real_dirs is not None:
            real_dirs[folder] = real_dir
    real = os.path.join(real_dir, name)
    try:
        if stat.S_ISLNK(os.lstat(real).st_mode):
            real = os.path.realpath(real)
        mode = os.stat(real).st_mode
    except OSError:
        mode = None
    if not real.startswith(str(root) + os.sep):
        raise InputError(f"{where}: {column} {path} resolves through a symlink to {real}, "
                         f"outside the data root {root}; copy the file into the root or pass a "
                         f"root that holds it")
    if mode is None or not stat.S_ISREG(mode):
        state = "does not exist" if mode is None else "is not a regular file"
        raise InputError(f"{where}: {column} file {path} {state}; fix the path or the row")
    if not os.access(real, os.R_OK):
        raise InputError(f"{where}: {column} file {path} is not readable (permissions); fix "
                         f"its permissions")
    return Path(real)
