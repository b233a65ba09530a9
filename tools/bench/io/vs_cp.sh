#!/usr/bin/env bash
# Issue 13's I/O benchmark: qframe run against `cp` of the same file (and llama-quantize, when
# given), paired and interleaved by farm-bench, on the 2.2 GB TinyLlama-1.1B-shaped F16 model.
#   tools/bench/io/vs_cp.sh BUILD_DIR WORK_DIR [LLAMA_BIN_DIR]
# Writes WORK_DIR/f16.gguf (qframe synth) once; needs ~7 GB free in WORK_DIR.
set -euo pipefail
BUILD=$(realpath "$1")
WORK=$(realpath -m "$2")
LLAMA=${3:-}
QFRAME="$BUILD/bin/qframe"
HERE=$(dirname "$(realpath "$0")")
mkdir -p "$WORK"
[ -f "$WORK/f16.gguf" ] || "$QFRAME" synth -q --preset tinyllama-1.1b-f16 --out "$WORK/f16.gguf"
RUN=("$QFRAME" run -q "$HERE/bf16_norms.yaml" -i "$WORK/f16.gguf" -o "$WORK/out.gguf")

echo "== BF16-truncate the 22 FFN norms, --no-hash, against cp"
farm-bench -n 5 --timeout 600 --vs "cp $WORK/f16.gguf $WORK/cp.gguf" -- "${RUN[@]}" --no-hash
echo "== the same with both SHA-256s, against cp"
farm-bench -n 5 --timeout 600 --vs "cp $WORK/f16.gguf $WORK/cp.gguf" -- "${RUN[@]}"
echo "== F16 -> Q8_0 (llama.cpp's Q8_0 mix)"
Q8=("$QFRAME" run -q "$HERE/../../../recipes/llama_mix.yaml" --set 1.mix=Q8_0 -i "$WORK/f16.gguf" -o "$WORK/q8.gguf")
if [ -n "$LLAMA" ]; then
  farm-bench -n 3 --timeout 900 --vs "env LD_LIBRARY_PATH=$LLAMA $LLAMA/llama-quantize $WORK/f16.gguf $WORK/q8-llama.gguf Q8_0 2" -- "${Q8[@]}"
else
  farm-bench -n 3 --timeout 900 --vs "cp $WORK/f16.gguf $WORK/cp.gguf" -- "${Q8[@]}"
fi
rm -f "$WORK/out.gguf" "$WORK/cp.gguf" "$WORK/q8.gguf" "$WORK/q8-llama.gguf"
