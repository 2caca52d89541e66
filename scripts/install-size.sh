#!/usr/bin/env bash
# Measures the install footprint quoted in the README: fresh venvs (in a temp folder, removed
# afterwards) with `pip install -e .` (core, numpy 2) and `pip install -e ".[all]"`, then the
# size of each site-packages and torch's share of it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
PY="${PYTHON:-python3}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
for spec in "core constraints-core.txt ." "all constraints.txt .[all]"; do
  set -- $spec
  "$PY" -m venv "$tmp/$1"
  "$tmp/$1/bin/python" -m pip install -q -c "$2" -e "$3" 2>/dev/null
  site="$("$tmp/$1/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
  rm -rf "$site"/pip "$site"/pip-* "$site"/setuptools "$site"/setuptools-* "$site"/_distutils_hack
  total="$(du -sm "$site" | cut -f1)"
  torch="$(du -smc "$site"/torch "$site"/torch-* | tail -1 | cut -f1)"
  n="$(ls -d "$site"/*.dist-info | wc -l)"
  echo "$1: ${total} MB in site-packages ($n distributions), torch CPU build ${torch} MB"
done
