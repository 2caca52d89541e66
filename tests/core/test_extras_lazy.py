"""Install footprint: what `import mmr_augment` and the CLIs load, and the missing-extra errors.

Each check runs in a fresh interpreter (a subprocess), since this test session has already
imported everything. Start-up is measured by the modules imported, not by seconds.
"""

import json
import subprocess
import sys
import textwrap

import pytest

from mmr_augment.extras import OPTIONAL_OPS, MissingExtraError, missing, require

#: Optional stacks that image-only use must never import (tqdm is left out: torch.hub
#: imports it whenever it is installed).
HEAVY = ("spacy", "scispacy", "nltk", "monai", "einops", "matplotlib", "tokenizers", "thinc",
         "sklearn")


def run_python(code: str, then: str = "") -> dict:
    """Run ``code`` then ``then`` in a fresh interpreter; the last line printed is JSON."""
    script = textwrap.dedent(code) + textwrap.dedent(then)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


REPORT_MODULES = f"""
import json, sys
heavy = {HEAVY!r}
loaded = sorted({{m.split(".")[0] for m in sys.modules}} & set(heavy))
print(json.dumps({{"heavy": loaded, "text": "mmr_augment.text" in sys.modules,
                  "n": len(sys.modules)}}))
"""


def test_import_and_image_use_load_no_optional_stack():
    got = run_python("""
        import torch, mmr_augment as ma
        x = ma.Sequential([ma.GaussianNoise(severity=2), ma.ScannerStyle()])(
            torch.rand(2, 1, 32, 32), generator=0)
        policy = ma.MultiModalPolicy(image=ma.GaussianNoise(), modes={"image": 1.0}, patch_size=8)
        policy(torch.rand(2, 1, 32, 32), ["No effusion.", "Clear."], generator=0)
        ma.from_config({"type": "GaussianNoise", "std": 0.1})
        from mmr_augment import synthetic, testing, io  # noqa: F401
        synthetic.generate(1, size=32, seed=0)
    """, REPORT_MODULES)
    assert got["heavy"] == [] and not got["text"]


@pytest.mark.parametrize("argv", [
    ["mmr_augment.cli", "--help"],
    ["mmr_augment.cli", "list"],
    pytest.param(["mmr_train.cli", "--help"], marks=pytest.mark.skipif(
        bool(missing("tokenizers")), reason="needs the train extra: pip install 'mmr[train]'")),
])
def test_cli_help_and_list_load_no_optional_stack(argv):
    module, *args = argv
    got = run_python(f"""
        import contextlib, io, sys
        from {module} import main
        with contextlib.redirect_stdout(io.StringIO()):
            try:
                main({args!r})
            except SystemExit:
                pass
    """, REPORT_MODULES)
    assert got["heavy"] == []


def test_text_ops_listed_and_built_from_config_on_demand():
    pytest.importorskip("spacy", reason="needs the text extra: pip install 'mmr[text]'")
    got = run_python("""
        import json, sys, mmr_augment as ma
        from mmr_augment.cli import describe_op
        before = "Typo" in ma.REGISTRY
        op = ma.from_config({"type": "Typo", "p": 1.0})
        print(json.dumps({"before": before, "op": type(op).__module__,
                          "style": ma.ReportStyle.__name__,
                          "text": ma.text.__name__}))
    """)
    assert got == {"before": False, "op": "mmr_augment.text.ops.typo",
                   "style": "ReportStyle", "text": "mmr_augment.text"}


#: Statement -> the extra its error must name (None: must work without any extra).
MISSING_CASES = {
    "import mmr_augment.text": "text",
    "from mmr_augment import ReportStyle": "text",
    "import mmr_augment; mmr_augment.text": "text",
    "import mmr_augment; mmr_augment.from_config({'type': 'Typo'})": "text",
    "from mmr_augment.testing import strategies as s; s.text_ops().example()": "text",
    "from mmr_augment.integrations import MMRd": "monai",
    "import mmr_augment._preview": "preview",
    "import mmr_train": "train",
    "import mmr_train.trainer": "train",
    "import torch, mmr_augment as ma; ma.from_config(ma.ScannerStyle().to_config())"
    "(torch.rand(1, 1, 16, 16), generator=0)": None,
    "from mmr_augment.testing import check_perturbation; import mmr_augment as ma; "
    "assert check_perturbation(ma.GaussianNoise(), severities=False).ok": None,
}


def test_missing_extras_name_the_install_command():
    # sys.modules[name] = None is what `import name` sees when the package is not installed
    got = run_python(f"""
        import json, sys
        for name in {HEAVY!r} + ("tqdm",):
            sys.modules[name] = None
        out = {{}}
        for stmt in {list(MISSING_CASES)!r}:
            try:
                exec(stmt)
            except Exception as e:
                out[stmt] = [type(e).__name__, str(e)]
            else:
                out[stmt] = None
        print(json.dumps(out))
    """)
    for stmt, extra in MISSING_CASES.items():
        if extra is None:
            assert got[stmt] is None, stmt
        else:
            kind, message = got[stmt]
            assert kind in ("MissingExtraError", "ConfigError"), (stmt, kind, message)
            assert f"pip install 'mmr[{extra}]'" in message, (stmt, message)


def test_unknown_op_with_text_missing_says_both():
    got = run_python("""
        import json, sys
        sys.modules["spacy"] = None
        import mmr_augment
        try:
            mmr_augment.from_config({"type": "Nope"})
        except mmr_augment.ConfigError as e:
            print(json.dumps(str(e)))
    """)
    assert "'Nope'" in got and "pip install 'mmr[text]'" in got


def test_require_and_missing():
    assert missing("json", "no_such_module_xyz") == ["no_such_module_xyz"]
    with pytest.raises(MissingExtraError, match=r"pip install 'mmr\[monai\]'") as info:
        require("monai", "no_such_module_xyz", "json")
    assert isinstance(info.value, ImportError)
    assert set(OPTIONAL_OPS.values()) == {"text"}


def test_mmr_train_help_lines_match_the_modules():
    pytest.importorskip("tokenizers", reason="needs the train extra: pip install 'mmr[train]'")
    import importlib

    from mmr_train.cli import SUBCOMMANDS, build_parser, help_line

    for path in SUBCOMMANDS.values():
        assert help_line(path) == importlib.import_module(path).HELP != ""
    assert "train Robust-MMR" in build_parser().format_help()
