#!/usr/bin/env bash
# The GPU checks in one go, for a machine with a CUDA device: the `cuda`-marked tests, and the
# 6-family image pipeline at batch 256 x 1 x 512 x 512 on the GPU, float32 and float16, against
# kornia on the same device (issue 19). Installs nothing: it runs the checkout with whatever
# Python has torch with CUDA, kornia and the test dependencies (PYTHON=..., default python3).
# Logs go to $OUT (default gpu-checks/).
#   bash scripts/gpu-checks.sh            # about 5 minutes on one H100-class GPU (estimate)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
OUT=${OUT:-gpu-checks}
mkdir -p "$OUT"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
"$PY" -c "import torch; assert torch.cuda.is_available(), 'no CUDA device: these checks need one'
print('torch', torch.__version__, 'on', torch.cuda.get_device_name())" | tee "$OUT/device.txt"
"$PY" -m pytest -q -p no:cacheprovider -m cuda tests 2>&1 | tee "$OUT/cuda-tests.log"
for dtype in float32 float16; do
  "$PY" benchmarks/image_throughput.py --device cuda --dtype "$dtype" --batch 256 --size 512 \
    --severity 2 --repeats 5 --threads "$(nproc)" 2>&1 | tee "$OUT/image-throughput-$dtype.md"
done
