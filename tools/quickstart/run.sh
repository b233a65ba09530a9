#!/usr/bin/env bash
# Quick start, part 1: set up, build, synthesize the default model if absent, run the study's recipe.
set -euo pipefail
cd "$(dirname "$0")/../.."
tools/quickstart/setup.sh
QFRAME=build/bin/qframe
DEFAULT_MODEL=models/default.gguf
if [ ! -f "$DEFAULT_MODEL" ]; then
  mkdir -p models
  "$QFRAME" synth --out "$DEFAULT_MODEL"
fi
"$QFRAME" run recipes/ffn_norm_bf16.yaml
echo "report: out/ffn_norm_bf16/REPORT.md"
