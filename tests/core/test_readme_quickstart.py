"""The README Quickstart runs and prints what it shows: each modality perturbed (issue 20)."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

pytest.importorskip("spacy", reason="needs the text extra: pip install 'mmr[text]'")

README = Path(__file__).resolve().parents[2] / "README.md"


def test_quickstart_output_is_the_one_the_readme_shows():
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Quickstart"):]
    code, shown = re.findall(r"```(?:python)?\n(.*?)```", section, flags=re.S)[:2]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README Quickstart", "exec"), {})
    assert out.getvalue() == shown
    assert "image changed 2/4, text changed 2/4" in shown
