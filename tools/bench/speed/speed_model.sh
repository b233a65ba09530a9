#!/usr/bin/env bash
# The speed model checked on llama.cpp's 14 mixes of a model (docs/performance.md "The speed
# model"): the mixes written by `qframe quantize` into WORKDIR/mixes (kept for later runs), then
# `qframe bench-types MODEL --predict MIXES --measure` with a fresh table (--force): each mix's
# tokens/s predicted from the table and the rest of a pass, and measured (passes in rounds).
#   tools/bench/speed/speed_model.sh BUILD MODEL WORKDIR [bench-types options]   (THREADS, default 2)
set -euo pipefail
BUILD=$1 MODEL=$2 WORK=$3
shift 3
THREADS=${THREADS:-2}
QF="$BUILD/bin/qframe"
MIXES=(Q2_K Q3_K_S Q3_K_M Q3_K_L Q4_0 Q4_1 Q4_K_S Q4_K_M Q5_0 Q5_1 Q5_K_S Q5_K_M Q6_K Q8_0)
mkdir -p "$WORK/mixes"
FILES=()
for m in "${MIXES[@]}"; do
  FILES+=("$WORK/mixes/$m.gguf")
  [ -f "$WORK/mixes/$m.gguf" ] || "$QF" quantize "$MODEL" "$WORK/mixes/$m.gguf" "$m" "$THREADS" > /dev/null 2>&1
done
echo "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) CPUs, $THREADS threads, load $(cut -d' ' -f1 /proc/loadavg), $(date -u +%F)"
/usr/bin/time -f "%e s wall, peak RSS %M KiB" "$QF" bench-types "$MODEL" --threads "$THREADS" --types F16 --out "$WORK/bench-types" --force \
  --predict "${FILES[@]}" --measure "$@"
sed -n '/## The speed model/,$p' "$WORK/bench-types/$(basename "$MODEL" .gguf)/REPORT.md"
