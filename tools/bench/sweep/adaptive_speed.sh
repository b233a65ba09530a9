#!/usr/bin/env bash
# Wall time of an adaptive study against the full one-at-a-time study it replaces:
# tests/cli/data/trained_a_k.yaml (every matrix of trained-a at Q2_K … Q6_K, 150 candidates,
# 8 chunks × 256 tokens), full and with --set study.mode=adaptive --set study.measure_budget=BUDGET,
# each from an empty study folder and an empty tensor bank, in turn (A B A B …: paired_time.py),
# RUNS pairs. docs/performance.md quotes the output.
#   tools/bench/sweep/adaptive_speed.sh [BUILD] [WORKDIR]     (RUNS, default 5; BUDGET, default 0.25)
set -euo pipefail
BUILD=${1:-build}
WORK=${2:-/tmp/qframe-adaptive-bench}
RUNS=${RUNS:-5}
BUDGET=${BUDGET:-0.25}
QF="$(realpath "$BUILD/bin/qframe")"
STUDY="$(realpath tests/cli/data/trained_a_k.yaml)"
mkdir -p "$WORK"
/usr/bin/python3 tools/bench/paired_time.py -n "$RUNS" --prepare "rm -rf '$WORK/a' '$WORK/b' '$WORK/.tensor-bank'" \
  --vs "$QF sweep -q $STUDY --out $WORK/b -j 2" \
  -- "$QF" sweep -q "$STUDY" --out "$WORK/a" -j 2 --set study.mode=adaptive --set "study.measure_budget=$BUDGET"
