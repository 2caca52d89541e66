#!/usr/bin/env bash
# The test command: creates/updates .venv, then runs ruff and the whole suite (doctests included).
# Extra arguments go to pytest, e.g. `bash scripts/test.sh -m "not slow"`.
source "$(dirname "$0")/env.sh"
ruff check .
python -m pytest -q "$@"
