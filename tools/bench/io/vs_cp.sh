#!/usr/bin/env bash
# Issue 13's I/O benchmark on the 2.2 GB TinyLlama-1.1B-shaped F16 model: qframe run against cp of
# the same file and against llama-quantize (when its folder is given), paired and interleaved by
# tools/bench/paired_time.py (/usr/bin/time), page cache warm; peak anonymous memory by
# peak_anon.py. With BIG=1, also F16 -> Q8_0 of a 96-layer (8.7 GB) model: RssAnon must not grow.
#   tools/bench/io/vs_cp.sh BUILD_DIR WORK_DIR [LLAMA_BIN_DIR]
# Writes WORK_DIR/f16.gguf (qframe synth) once; needs ~7 GB free in WORK_DIR (~22 GB with BIG=1).
set -euo pipefail
BUILD=$(realpath "$1")
WORK=$(realpath -m "$2")
LLAMA=${3:-}
QFRAME="$BUILD/bin/qframe"
HERE=$(dirname "$(realpath "$0")")
# Every timed run starts from the same state: no earlier output to replace, nothing dirty.
# The input's digest is cached (digest_cache.hpp) in WORK/cache, which every run but the "not
# cached" series finds filled; that series empties its own cache before each run.
export QFRAME_CACHE_DIR="$WORK/cache"
PAIRED=(python3 "$HERE/../paired_time.py" --prepare "rm -rf $WORK/out.gguf $WORK/cp.gguf $WORK/q8.gguf $WORK/q4.gguf $WORK/q8-llama.gguf $WORK/q4-llama.gguf $WORK/cold-cache; sync")
ANON="python3 $HERE/peak_anon.py"
mkdir -p "$WORK"
[ -f "$WORK/f16.gguf" ] || "$QFRAME" synth -q --preset tinyllama-1.1b-f16 --out "$WORK/f16.gguf"
CP="cp $WORK/f16.gguf $WORK/cp.gguf"
BF16=("$QFRAME" run -q "$HERE/bf16_norms.yaml" -i "$WORK/f16.gguf" -o "$WORK/out.gguf")
Q8=("$QFRAME" run -q "$HERE/../../../recipes/llama_mix.yaml" --set 1.mix=Q8_0 -i "$WORK/f16.gguf" -o "$WORK/q8.gguf" --report "$WORK/report")
Q4=("$QFRAME" run -q "$HERE/../../../recipes/llama_mix.yaml" --set 1.mix=Q4_K_M -i "$WORK/f16.gguf" -o "$WORK/q4.gguf" --report "$WORK/report")

echo "== BF16-truncate the 22 FFN norms, --no-hash, against cp"
"${PAIRED[@]}" -n 5 --vs "$CP" -- "${BF16[@]}" --no-hash
echo "== the same with both SHA-256s, the input's digest cached (every run of a file but its first), against cp"
"${PAIRED[@]}" -n 5 --vs "$CP" -- "${BF16[@]}"
echo "== the same with both SHA-256s, the input's digest not cached (a file's first run), against cp"
"${PAIRED[@]}" -n 5 --vs "$CP" -- env QFRAME_CACHE_DIR="$WORK/cold-cache" "${BF16[@]}"
echo "== F16 -> Q8_0 (llama.cpp's Q8_0 mix): peak anonymous memory"
$ANON -- "${Q8[@]}"
if [ -n "$LLAMA" ]; then
  LQ="env LD_LIBRARY_PATH=$LLAMA $LLAMA/llama-quantize"
  echo "== F16 -> Q8_0, --no-hash, against llama-quantize (2 threads)"
  "${PAIRED[@]}" -n 3 --vs "$LQ $WORK/f16.gguf $WORK/q8-llama.gguf Q8_0 2" -- "${Q8[@]}" --no-hash
  echo "== F16 -> Q8_0 with both SHA-256s, against llama-quantize"
  "${PAIRED[@]}" -n 3 --vs "$LQ $WORK/f16.gguf $WORK/q8-llama.gguf Q8_0 2" -- "${Q8[@]}"
  echo "== F16 -> Q4_K_M, --no-hash, against llama-quantize (2 threads); then the tensors compared"
  "${PAIRED[@]}" -n 2 --vs "$LQ $WORK/f16.gguf $WORK/q4-llama.gguf Q4_K_M 2" -- "${Q4[@]}" --no-hash
  # The same tensors as llama-quantize's (names, types, shapes, bytes), bit for bit.
  "${Q4[@]}" --no-hash
  /usr/bin/python3 "$HERE/../../../tests/cli/gguf_bytes.py" same-tensors "$WORK/q4-llama.gguf" "$WORK/q4.gguf" && echo "Q4_K_M: the same tensors as llama-quantize's"

else
  echo "== F16 -> Q8_0, --no-hash, against cp"
  "${PAIRED[@]}" -n 3 --vs "$CP" -- "${Q8[@]}" --no-hash
fi
if [ "${BIG:-0}" = 1 ]; then
  [ -f "$WORK/f16-96l.gguf" ] || "$QFRAME" synth -q --preset tinyllama-1.1b-f16 --layers 96 --out "$WORK/f16-96l.gguf"
  echo "== F16 -> Q8_0 of the $(du -h "$WORK/f16-96l.gguf" | cut -f1) model: peak anonymous memory"
  $ANON -- "$QFRAME" run -q "$HERE/../../../recipes/llama_mix.yaml" --set 1.mix=Q8_0 -i "$WORK/f16-96l.gguf" -o "$WORK/q8-96l.gguf" --report "$WORK/report"
  rm -f "$WORK/q8-96l.gguf"
fi
rm -rf "$WORK/cache" "$WORK/cold-cache" "$WORK/out.gguf" "$WORK/cp.gguf" "$WORK/q8.gguf" "$WORK/q4.gguf" "$WORK/q8-llama.gguf" "$WORK/q4-llama.gguf" "$WORK/report"
