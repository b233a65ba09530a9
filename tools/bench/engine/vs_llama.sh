#!/usr/bin/env bash
# qframe_engine against llama.cpp on the same files, interleaved run by run (the machine is
# shared: only medians and same-run ratios mean anything). docs/engine.md quotes its output.
#   tools/bench/engine/vs_llama.sh [BUILD] [WORKDIR] [LLAMA_BIN]
# Files: WORKDIR/tinyllama-1.1b-{f16,q8_0,q4_k_m}.gguf (the F16 one from `qframe synth --preset
# tinyllama-1.1b-f16`, the others from it with llama-quantize … Q8_0 / Q4_K_M; made here when
# llama-quantize is at hand). Prompt processing: one chunk of PROMPT tokens (default 512) in one
# batch — engine_logits' own timer vs llama-perplexity's "prompt eval time" (one chunk of
# wikitext-2). Generation: GEN tokens (default 32) — engine_logits vs llama-simple's "eval time".
# THREADS (default 2), REPEAT (default 5).
set -euo pipefail
BUILD=${1:-build}
WORK=${2:-/tmp/qframe-bench}
LLAMA_BIN=${3:-/work/llama.cpp/build/bin}
THREADS=${THREADS:-2}
REPEAT=${REPEAT:-5}
PROMPT=${PROMPT:-512}
GEN=${GEN:-32}
TEXT=${TEXT:-../shared/data/text/wikitext-2-raw-test.txt}
export LD_LIBRARY_PATH="$LLAMA_BIN${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
mkdir -p "$WORK"
F16="$WORK/tinyllama-1.1b-f16.gguf"
[ -f "$F16" ] || "$BUILD/bin/qframe" synth -q --preset tinyllama-1.1b-f16 --out "$F16"
for t in q8_0 q4_k_m; do
  f="$WORK/tinyllama-1.1b-$t.gguf"
  [ -f "$f" ] || "$LLAMA_BIN/llama-quantize" "$F16" "$f" "${t^^}" "$THREADS" > /dev/null 2>&1
done

source "$(dirname "$0")/interleaved.sh"
machine_line
echo
echo "| weights | prompt $PROMPT: qframe tok/s | llama.cpp tok/s | ratio | generation $GEN: qframe tok/s | llama.cpp tok/s | ratio |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for t in f16 q8_0 q4_k_m; do
  f="$WORK/tinyllama-1.1b-$t.gguf"
  measure_interleaved "$f"
  printf '| %s | %.1f | %.1f | %.2f× | %.1f | %.1f | %.2f× |\n' "${t^^}" "$pq" "$pl" "$pr" "$gq" "$gl" "$gr"
done
echo
echo "(ratio: median of the paired runs' ratios, qframe over llama.cpp; qframe with numerics: ggml)"
