#!/usr/bin/env bash
# The core tests: a second venv, .venv-core, with only `pip install -e .` (no extras) and numpy 2.
# Test modules that need an extra skip themselves (pytest.importorskip at their top; doctests of
# extra-only packages are left out by conftest.py), and every skip is listed (-rs).
# Extra arguments go to pytest.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
PY="${PYTHON:-python3}"
if [ ! -x .venv-core/bin/python ]; then
  "$PY" -m venv .venv-core
fi
stamp=".venv-core/.mmr-installed"
want="$(cat pyproject.toml constraints-core.txt | sha256sum | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  .venv-core/bin/python -m pip install -q --upgrade pip
  .venv-core/bin/python -m pip install -q -c constraints-core.txt -e . "pytest>=7.4" \
    "pytest-timeout>=2.2"
  echo "$want" > "$stamp"
fi
.venv-core/bin/python -c "import numpy; assert int(numpy.__version__.split('.')[0]) >= 2, numpy.__version__; print('numpy', numpy.__version__)"
.venv-core/bin/python -m pytest -q -rfEs "$@"
