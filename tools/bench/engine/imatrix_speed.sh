#!/usr/bin/env bash
# qframe imatrix against llama-imatrix on the same model and text, interleaved run by run (the
# machine is shared: only medians and same-run ratios mean anything). docs/performance.md quotes
# its output.
#   tools/bench/engine/imatrix_speed.sh [BUILD] [WORKDIR] [LLAMA_BIN]
# MODEL (default ../shared/data/models/trained-a-f16.gguf), CTX (256), CHUNKS (32), THREADS (2),
# REPEAT (3). Tokens/s: CHUNKS · CTX over each command's wall time (load and tokenization included,
# for both).
set -euo pipefail
BUILD=${1:-build}
WORK=${2:-/tmp/qframe-bench}
LLAMA_BIN=${3:-/work/llama.cpp/build/bin}
MODEL=${MODEL:-../shared/data/models/trained-a-f16.gguf}
TEXT=${TEXT:-../shared/data/text/wikitext-2-raw-test.txt}
CTX=${CTX:-256}
CHUNKS=${CHUNKS:-32}
THREADS=${THREADS:-2}
REPEAT=${REPEAT:-3}
PROMPT=0 GEN=0
export LD_LIBRARY_PATH="$LLAMA_BIN${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
mkdir -p "$WORK"
source "$(dirname "$0")/interleaved.sh"
seconds() { local t0 t1; t0=$(date +%s.%N); "$@" > /dev/null 2>&1; t1=$(date +%s.%N); awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}'; }
: > "$WORK/im_q"; : > "$WORK/im_l"
for ((i = 0; i < REPEAT; i++)); do
  seconds "$BUILD/bin/qframe" imatrix -q "$MODEL" --text "$TEXT" --ctx "$CTX" --chunks "$CHUNKS" -t "$THREADS" -o "$WORK/q.dat" >> "$WORK/im_q"
  seconds "$LLAMA_BIN/llama-imatrix" -m "$MODEL" -f "$TEXT" -c "$CTX" --chunks "$CHUNKS" -t "$THREADS" -o "$WORK/l.dat" --no-ppl >> "$WORK/im_l"
done
tokens=$((CTX * CHUNKS))
machine_line
echo
echo "| model | tokens | qframe imatrix s | tok/s | llama-imatrix s | tok/s | ratio |"
echo "|---|---:|---:|---:|---:|---:|---:|"
q=$(median < "$WORK/im_q") l=$(median < "$WORK/im_l")
r=$(paste "$WORK/im_l" "$WORK/im_q" | awk '{print $1 / $2}' | median)
printf '| %s | %d | %.2f | %.0f | %.2f | %.0f | %.2f× |\n' "$(basename "$MODEL")" "$tokens" "$q" "$(awk -v n="$tokens" -v s="$q" 'BEGIN {print n / s}')" \
  "$l" "$(awk -v n="$tokens" -v s="$l" 'BEGIN {print n / s}')" "$r"
echo
echo "(ratio: median of the paired runs' llama-imatrix time over qframe's)"
