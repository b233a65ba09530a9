#!/usr/bin/env bash
# The per-type table of the 1.1B synthesized model (tinyllama-1.1b-f16: TinyLlama-1.1B's shapes)
# on this machine: `qframe bench-types` at every default type, THREADS threads, into WORKDIR
# (a fresh table: --force). docs/speed.md quotes REPORT.md and shows the plot.
#   tools/bench/speed/bench_types_1b.sh [BUILD] [WORKDIR] [bench-types options]     (THREADS, default 2)
set -euo pipefail
BUILD=${1:-build}
WORK=${2:-/tmp/qframe-bench-types}
shift $(( $# < 2 ? $# : 2 ))
THREADS=${THREADS:-2}
QF="$BUILD/bin/qframe"
mkdir -p "$WORK"
MODEL="$WORK/tinyllama-1.1b-f16.gguf"
[ -f "$MODEL" ] || "$QF" synth -q --preset tinyllama-1.1b-f16 --out "$MODEL"
echo "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) CPUs, $THREADS threads, load $(cut -d' ' -f1 /proc/loadavg), $(date -u +%F)"
/usr/bin/time -f "%e s wall, peak RSS %M KiB" "$QF" bench-types "$MODEL" --threads "$THREADS" --out "$WORK/bench-types" --force "$@"
sed -n '/## Every matrix/,/^## [0-9]/p' "$WORK/bench-types/tinyllama-1.1b-f16/REPORT.md" | sed '$d'
