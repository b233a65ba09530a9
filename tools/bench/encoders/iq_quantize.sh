#!/usr/bin/env bash
# qframe quantize against llama-quantize on the IQ mixes of the 1.1B model, with an importance
# matrix: the same command line, the same tensors (tests/cli/quantize.sh checks the bytes on
# smaller models), timed in turn (qframe, llama-quantize, qframe, …) by tools/bench/paired_time.py.
# docs/performance.md quotes its output.
#   tools/bench/encoders/iq_quantize.sh [BUILD] [WORKDIR] [LLAMA_BIN]
# Files: WORKDIR/tinyllama-1.1b-f16.gguf and its importance matrix (tools/bench/iq_model.sh makes
# them when missing). TYPES (default "IQ2_XS IQ3_XXS IQ4_XS"), THREADS (default 2), RUNS (default 3, after one
# warm-up pair unless WARMUP=0).
set -euo pipefail
BUILD=${1:-build}
WORK=${2:-/tmp/qframe-bench}
LLAMA_BIN=${3:-/work/llama.cpp/build/bin}
THREADS=${THREADS:-2}
RUNS=${RUNS:-3}
WARMUP=${WARMUP:-1}
TYPES=${TYPES:-IQ2_XS IQ3_XXS IQ4_XS}
TEXT=${TEXT:-../shared/data/text/wikitext-2-raw-test.txt}
source "$(dirname "$0")/../iq_model.sh"
echo "$(date -u +%F), $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $THREADS threads, load average $(cut -d' ' -f1 /proc/loadavg)"
for t in $TYPES; do
  echo "== $t (A: qframe quantize, B: llama-quantize)"
  "$(dirname "$0")/../paired_time.py" -n "$RUNS" --warmup "$WARMUP" --prepare "rm -f '$WORK/enc-q.gguf' '$WORK/enc-l.gguf'" \
    --vs "$LLAMA_BIN/llama-quantize --imatrix $IMATRIX $F16 $WORK/enc-l.gguf $t $THREADS" -- \
    "$BUILD/bin/qframe" quantize -q --no-hash --imatrix="$IMATRIX" "$F16" "$WORK/enc-q.gguf" "$t" "$THREADS"
done
rm -f "$WORK/enc-q.gguf" "$WORK/enc-l.gguf"
