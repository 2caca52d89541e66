#!/usr/bin/env bash
# The main job: synthetic multi-domain data -> baseline vs Robust-MMR -> runs/demo/ + table.
source "$(dirname "$0")/env.sh"
python -m mmr_train.demo "$@"
