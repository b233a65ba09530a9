#!/usr/bin/env bash
# qframe's speed per type against llama.cpp's, and llama.cpp's speed model from llama-bench's rows
# (docs/speed.md "llama.cpp's speed: a table from llama-bench"): single-type files of MODEL
# (`qframe quantize --pure`) and llama.cpp's 14 mixes written into WORKDIR (kept for later runs);
# llama-bench on all of them (-p 512 -n 32, the mixes in a run of their own); then
# `qframe bench-types MODEL --from-llama-bench` twice: every row without --measure (llama.cpp's
# speed model on the mixes), the single-type rows with --measure (qframe's passes beside them).
#   tools/bench/speed/vs_llama_bench.sh BUILD MODEL WORKDIR LLAMA_BIN [bench-types options]
# LLAMA_BIN: the folder of a llama.cpp build's llama-bench. THREADS (default 2), REPS (3).
set -euo pipefail
BUILD=$1 MODEL=$2 WORK=$3 LLAMA_BIN=$4
shift 4
THREADS=${THREADS:-2}
REPS=${REPS:-3}
QF="$BUILD/bin/qframe"
TYPES=(Q8_0 Q6_K Q5_K Q5_1 Q5_0 Q4_K Q4_1 Q4_0 IQ4_XS Q3_K Q2_K)
MIXES=(Q2_K Q3_K_S Q3_K_M Q3_K_L Q4_0 Q4_1 Q4_K_S Q4_K_M Q5_0 Q5_1 Q5_K_S Q5_K_M Q6_K Q8_0)
mkdir -p "$WORK"
MODEL=$(realpath "$MODEL")
SINGLES=("$WORK/F16.gguf") MIXFILES=()
ln -sf "$MODEL" "$WORK/F16.gguf"
for t in "${TYPES[@]}"; do
  SINGLES+=("$WORK/$t.gguf")
  [ -f "$WORK/$t.gguf" ] || "$QF" quantize --pure "$MODEL" "$WORK/$t.gguf" "$t" "$THREADS" > /dev/null 2>&1
done
for m in "${MIXES[@]}"; do
  MIXFILES+=("$WORK/mix-$m.gguf")
  [ -f "$WORK/mix-$m.gguf" ] || "$QF" quantize "$MODEL" "$WORK/mix-$m.gguf" "$m" "$THREADS" > /dev/null 2>&1
done
echo "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) CPUs, $THREADS threads, load $(cut -d' ' -f1 /proc/loadavg), $(date -u +%F)"
join() { local IFS=,; echo "$*"; }
"$LLAMA_BIN/llama-bench" -m "$(join "${SINGLES[@]}")" -p 512 -n 32 -r "$REPS" -t "$THREADS" -o jsonl > "$WORK/singles.jsonl"
"$LLAMA_BIN/llama-bench" -m "$(join "${MIXFILES[@]}")" -p 512 -n 32 -r "$REPS" -t "$THREADS" -o jsonl > "$WORK/mixes.jsonl"
cat "$WORK/singles.jsonl" "$WORK/mixes.jsonl" > "$WORK/all.jsonl"
REPORT="$(basename "$MODEL" .gguf)/REPORT.md"
"$QF" bench-types "$MODEL" --threads "$THREADS" --from-llama-bench "$WORK/all.jsonl" --out "$WORK/bench-types" "$@"
sed -n '/### llama.cpp.s speed model/,$p' "$WORK/bench-types/$REPORT"
/usr/bin/time -f "%e s wall, peak RSS %M KiB" "$QF" bench-types "$MODEL" --threads "$THREADS" --from-llama-bench "$WORK/singles.jsonl" \
  --out "$WORK/bench-types" --measure --repetitions "$REPS" "$@"
sed -n '/## llama.cpp.s speed (llama-bench)/,/^The rest of/p' "$WORK/bench-types/$REPORT"
