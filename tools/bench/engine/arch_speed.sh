#!/usr/bin/env bash
# Every architecture's prompt and generation speed, qframe_engine against llama.cpp on the same
# synthesized files, interleaved run by run (the machine is shared: only medians and same-run
# ratios mean anything). docs/engine.md quotes its output.
#   tools/bench/engine/arch_speed.sh [BUILD] [WORKDIR] [LLAMA_BIN]
# Files: `qframe synth --preset P --layers LAYERS` (default 16; gemma2 keeps its 26, the only
# depth of its size class llama.cpp c392e50 loads), with the toy presets' widths (256; gemma2
# 128). Prompt: one chunk of PROMPT tokens (default 512) in one batch — engine_logits' own timer
# vs llama-perplexity's "prompt eval time" on one chunk of wikitext-2. Generation: GEN tokens
# (default 32) after a short prompt — engine_logits vs llama-simple's "eval time". The mixtral
# preset (4 experts, 2 per token) is paired with mixtral-active, a dense llama of its active size;
# qwen2.5-0.5b (Qwen2.5-0.5B's full shapes, 24 layers) shows a real width beside the toy ones.
# THREADS (default 2), REPEAT (default 5), PRESETS (default: every architecture's).
set -euo pipefail
BUILD=${1:-build}
WORK=${2:-/tmp/qframe-bench}
LLAMA_BIN=${3:-/work/llama.cpp/build/bin}
THREADS=${THREADS:-2}
REPEAT=${REPEAT:-5}
PROMPT=${PROMPT:-512}
GEN=${GEN:-32}
LAYERS=${LAYERS:-16}
PRESETS=${PRESETS:-tinyllama qwen2 qwen2-untied gemma gemma2 phi3 mixtral mixtral-active qwen2moe qwen2.5-0.5b}
TEXT=${TEXT:-../shared/data/text/wikitext-2-raw-test.txt}
export LD_LIBRARY_PATH="$LLAMA_BIN${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
mkdir -p "$WORK"

source "$(dirname "$0")/interleaved.sh"
machine_line
echo
echo "| preset | layers | file MiB | prompt $PROMPT: qframe tok/s | llama.cpp tok/s | ratio | generation $GEN: qframe tok/s | llama.cpp tok/s | ratio |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for p in $PRESETS; do
  case $p in
    gemma2) layers=26 ;;        # the only depth of its size class llama.cpp c392e50 loads
    qwen2.5-0.5b) layers=24 ;;  # a full-size preset keeps its depth
    *) layers=$LAYERS ;;
  esac
  f="$WORK/arch-$p-${layers}l.gguf"
  [ -f "$f" ] || "$BUILD/bin/qframe" synth -q --preset "$p" --layers "$layers" --out "$f"
  measure_interleaved "$f"
  printf '| %s | %d | %.1f | %.0f | %.0f | %.2f× | %.0f | %.0f | %.2f× |\n' "$p" "$layers" "$(stat -c %s "$f" | awk '{print $1 / 1048576}')" \
    "$pq" "$pl" "$pr" "$gq" "$gl" "$gr"
done
echo
echo "(ratio: median of the paired runs' ratios, qframe over llama.cpp; qframe with numerics: ggml)"
