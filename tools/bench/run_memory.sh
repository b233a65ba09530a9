#!/usr/bin/env bash
# Peak memory (max RSS) and wall time of `qframe run` on a synthesized ~1.2 GB model, measured
# with GNU time. Usage: tools/bench/run_memory.sh [QFRAME] [WORKDIR]
# Writes a table row per recipe to stdout; docs/performance.md quotes its output.
set -euo pipefail
QFRAME=${1:-build/bin/qframe}
WORK=${2:-/tmp/qframe-bench}
mkdir -p "$WORK"
MODEL="$WORK/tinyllama-1.1b.gguf"
[ -f "$MODEL" ] || "$QFRAME" synth -q --preset tinyllama-1.1b --out "$MODEL"
size=$(stat -c %s "$MODEL")
echo "model: $MODEL, $size bytes ($((size / 1048576)) MiB)"
echo "| recipe | wall s | max RSS MiB | RSS / model size |"
echo "|---|---:|---:|---:|"
for recipe in recipes/ffn_norm_bf16.yaml recipes/all_f32_bf16.yaml; do
  sync
  /usr/bin/time -v "$QFRAME" run -q "$recipe" --input "$MODEL" --output "$WORK/out.gguf" --report "$WORK/report" 2> "$WORK/time.txt"
  rss_kib=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/time.txt")
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$WORK/time.txt")
  echo "| $recipe | $wall | $((rss_kib / 1024)) | $(awk -v r="$rss_kib" -v s="$size" 'BEGIN {printf "%.3f", r * 1024 / s}') |"
done
rm -f "$WORK/out.gguf"
