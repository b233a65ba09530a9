#!/usr/bin/env bash
# Prompt-processing speed and peak memory of qframe_engine on the tinyllama-1.1b synth preset
# (TinyLlama-1.1B's shapes, Q8_0 matrices, ~1.2 GB), and llama.cpp's llama-bench on the same file
# for comparison when it is at hand. docs/engine.md quotes its output.
#   tools/bench/engine/prompt_speed.sh [BUILD] [WORKDIR] [LLAMA_BIN]
# BUILD: qframe's build folder (build/bin/{qframe,engine_logits}); LLAMA_BIN: a folder holding
# llama-bench (default /work/llama-build/bin; skipped when absent). THREADS (default 2),
# TOKENS (default "128 512") and REPEAT (default 3; the best run is kept) come from the environment.
set -euo pipefail
BUILD=${1:-build}
WORK=${2:-/tmp/qframe-bench}
LLAMA_BIN=${3:-/work/llama-build/bin}
THREADS=${THREADS:-2}
TOKENS=${TOKENS:-128 512}
REPEAT=${REPEAT:-3}
mkdir -p "$WORK"
MODEL="$WORK/tinyllama-1.1b.gguf"
[ -f "$MODEL" ] || "$BUILD/bin/qframe" synth -q --preset tinyllama-1.1b --out "$MODEL"
size=$(stat -c %s "$MODEL")
echo "model: $MODEL, $size bytes ($((size / 1048576)) MiB), $THREADS threads, $(nproc) CPUs, load average $(cut -d' ' -f1 /proc/loadavg)"
echo
echo "| engine | prompt tokens | tokens/s (best of $REPEAT) | max RSS MiB | RSS / model size |"
echo "|---|---:|---:|---:|---:|"
for n in $TOKENS; do
  best=0 rss_kib=0
  for ((i = 0; i < REPEAT; i++)); do
    # One context of n positions, the prompt in one batch of n tokens, logits of the last only.
    /usr/bin/time -v "$BUILD/bin/engine_logits" "$MODEL" "random:$n" /dev/null --threads "$THREADS" \
      --batch "$n" --last 1 --time 1 2> "$WORK/time.txt"
    tps=$(grep -o '[0-9.]* tokens/s' "$WORK/time.txt" | cut -d' ' -f1)
    best=$(awk -v a="$best" -v b="$tps" 'BEGIN {print (b > a) ? b : a}')
    r=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/time.txt")
    [ "$r" -gt "$rss_kib" ] && rss_kib=$r
  done
  echo "| qframe_engine | $n | $best | $((rss_kib / 1024)) | $(awk -v r="$rss_kib" -v s="$size" 'BEGIN {printf "%.3f", r * 1024 / s}') |"
done
if [ -x "$LLAMA_BIN/llama-bench" ]; then
  for n in $TOKENS; do
    /usr/bin/time -v "$LLAMA_BIN/llama-bench" -m "$MODEL" -p "$n" -n 0 -t "$THREADS" -r "$REPEAT" -o csv \
      > "$WORK/llama.csv" 2> "$WORK/time.txt"
    # avg_ts is the mean over the repetitions.
    tps=$(awk -F, 'NR == 1 {for (i = 1; i <= NF; i++) {gsub(/"/, "", $i); if ($i == "avg_ts") c = i}} NR == 2 {gsub(/"/, "", $c); print $c}' "$WORK/llama.csv")
    rss_kib=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/time.txt")
    echo "| llama.cpp llama-bench (mean of $REPEAT) | $n | $tps | $((rss_kib / 1024)) | $(awk -v r="$rss_kib" -v s="$size" 'BEGIN {printf "%.3f", r * 1024 / s}') |"
  done
else
  echo "(llama-bench not found in $LLAMA_BIN: no llama.cpp comparison)"
fi
