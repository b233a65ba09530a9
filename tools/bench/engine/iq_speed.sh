#!/usr/bin/env bash
# qframe_engine against llama.cpp on IQ files of the 1.1B model, interleaved run by run (the
# machine is shared: only medians and same-run ratios mean anything). docs/performance.md quotes
# its output.
#   tools/bench/engine/iq_speed.sh [BUILD] [WORKDIR] [LLAMA_BIN]
# Files: WORKDIR/tinyllama-1.1b-f16.gguf (`qframe synth --preset tinyllama-1.1b-f16`), its
# importance matrix from llama-imatrix (IMATRIX_CHUNKS chunks of 512 tokens of TEXT, default 4),
# and WORKDIR/tinyllama-1.1b-TYPE.gguf from `llama-quantize --imatrix` for each of TYPES
# (default "IQ4_XS IQ2_XS"); made here when missing. Then vs_llama.sh's measurement per file:
# prompt (PROMPT tokens in one batch) and generation (GEN tokens). THREADS (default 2), REPEAT
# (default 5).
set -euo pipefail
BUILD=${1:-build}
WORK=${2:-/tmp/qframe-bench}
LLAMA_BIN=${3:-/work/llama.cpp/build/bin}
THREADS=${THREADS:-2}
REPEAT=${REPEAT:-5}
PROMPT=${PROMPT:-512}
GEN=${GEN:-32}
TYPES=${TYPES:-IQ4_XS IQ2_XS}
TEXT=${TEXT:-../shared/data/text/wikitext-2-raw-test.txt}
source "$(dirname "$0")/../iq_model.sh"
for t in $TYPES; do
  f="$WORK/tinyllama-1.1b-${t,,}.gguf"
  [ -f "$f" ] || "$LLAMA_BIN/llama-quantize" --imatrix "$IMATRIX" "$F16" "$f" "$t" "$THREADS" > "$WORK/quantize-$t.log" 2>&1
done

source "$(dirname "$0")/interleaved.sh"
machine_line
echo
echo "| weights | prompt $PROMPT: qframe tok/s | llama.cpp tok/s | ratio | generation $GEN: qframe tok/s | llama.cpp tok/s | ratio |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for t in $TYPES; do
  measure_interleaved "$WORK/tinyllama-1.1b-${t,,}.gguf"
  printf '| %s (imatrix) | %.1f | %.1f | %.2f× | %.1f | %.1f | %.2f× |\n' "$t" "$pq" "$pl" "$pr" "$gq" "$gl" "$gr"
done
echo
echo "(ratio: median of the paired runs' ratios, qframe over llama.cpp; qframe with numerics: ggml)"
