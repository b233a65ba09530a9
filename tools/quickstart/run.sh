#!/usr/bin/env bash
# Quick start, part 1: set up, build, and run the study's recipe on the default model
# (models/trained-a-f16.gguf, a small Llama trained on English that ships in the repo).
set -euo pipefail
cd "$(dirname "$0")/../.."
tools/quickstart/setup.sh
build/bin/qframe run recipes/ffn_norm_bf16.yaml
echo "report: out/ffn_norm_bf16/REPORT.md"
