# Sourced by the README commands: create .venv if missing and install the project with every
# extra (`.[all,dev]`) into it.
# torch is pinned in constraints.txt (a CPU build is stored on these machines; an unpinned
# torch would pull gigabytes of CUDA wheels). Re-installs only when pyproject.toml changes.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
PY="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=".venv/.mmr-installed"
want="$(cat pyproject.toml constraints.txt | sha256sum | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -c constraints.txt -e ".[all,dev]"
  echo "$want" > "$stamp"
fi
export PATH="$root/.venv/bin:$PATH"
