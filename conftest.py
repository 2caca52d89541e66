"""Doctest collection in an install without every extra (the core CI run, .venv-core).

Modules that need an extra are left out of collection when it is missing, and the terminal
summary lists them with the extra; in the full environment nothing is left out. Test modules
under tests/ guard themselves with ``pytest.importorskip`` (shown by ``-rs``).
"""

from fnmatch import fnmatch
from pathlib import Path

from mmr_augment.extras import missing

ROOT = Path(__file__).parent

#: Extra -> (modules it installs, source paths whose doctests need it).
EXTRA_ONLY: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "text": (("spacy", "scispacy", "nltk"),
             ("mmr_augment/text/*", "mmr_augment/style/report.py",
              "mmr_augment/style/_report_*.py")),
    "monai": (("monai", "einops"), ("mmr_augment/integrations/monai.py",
                                     "mmr_augment/integrations/__init__.py")),
    "preview": (("matplotlib", "tqdm"), ("mmr_augment/_preview.py",
                                       "mmr_augment/style/fitting/report.py")),
    "train": (("tokenizers", "monai", "spacy", "matplotlib", "tqdm"), ("mmr_train/*",)),
    "scale": (("webdataset", "tqdm"), ("mmr_augment/corrupt/*", "mmr_train/data/shards.py")),
}
_LEFT_OUT: dict[str, str] = {}  # pattern -> extra


def pytest_ignore_collect(collection_path, config):
    try:
        rel = collection_path.relative_to(ROOT).as_posix()
    except ValueError:
        return None
    for extra, (modules, patterns) in EXTRA_ONLY.items():
        hit = next((p for p in patterns if fnmatch(rel, p) or rel == p.removesuffix("/*")), None)
        if hit and missing(*modules):
            _LEFT_OUT[hit] = extra
            return True
    return None


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if _LEFT_OUT:
        terminalreporter.section("left out: the extra they need is not installed")
        for pattern, extra in sorted(_LEFT_OUT.items()):
            terminalreporter.write_line(f"{pattern}  (mmr[{extra}])")
