#!/bin/bash
# Each architecture the engine runs, against llama.cpp on a synthesized model of it.
#   arch_references.sh QFRAME ENGINE_LOGITS DATA
# Reference values (facts, not outputs of qframe), measured with llama.cpp c392e50 (CPU backend,
# AVX-512 VNNI build with GGML_NATIVE=ON, F16 KV cache, flash attention off) on the models
# `qframe synth --preset P --seed 1 --out P.gguf` writes, on 2026-12-05 (AMD EPYC, Zen 5) — and, for
# a row "P+f16", on that model with every Q8_0 matrix made F16 by
# `llama-quantize --allow-requantize P.gguf P+f16.gguf F16` (F16 experts: ggml_mul_mat_id's vec_dot),
# whose tensors are those the recipe below writes:
#   llama-perplexity -m P.gguf -f DATA/text/wikitext-2-raw-test.txt -c 128 -b 128 --chunks 8 -t 2
#     ("Final estimate: PPL = …")
#   greedy P.gguf 1,100,200,300,400 16: the 16 ids llama.cpp's greedy choice generates after that
#     prompt (a 40-line program on libllama: llama_decode of the prompt as one batch, then the
#     argmax of llama_get_logits_ith, one token at a time; 2 threads, n_ctx 256)
# With numerics: ggml the engine computes llama.cpp's arithmetic; on an AVX-512 VNNI CPU (the
# reference build's) the perplexity must equal the printed value to its 4 decimals, elsewhere
# to 1e-3; the generated ids must be the same everywhere.
set -euo pipefail
QFRAME=$1
LOGITS=$2
DATA=$3
TEXT="$DATA/text/wikitext-2-raw-test.txt"
[ -f "$TEXT" ] || { echo "SKIP: $TEXT not present"; exit 77; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export QFRAME_CACHE_DIR="$WORK/cache"
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
VNNI=0
grep -qw avx512_vnni /proc/cpuinfo && VNNI=1

cat > "$WORK/ppl.yaml" <<YAML
qframe: 1
stages:
  - evaluate: perplexity
    options: { ctx: 128, chunks: 8, text: "$TEXT", numerics: ggml, threads: 2 }
YAML

cat > "$WORK/f16.yaml" <<YAML
qframe: 1
stages:
  - quantize: gguf_type
    select: { name: ["*.weight"], type: Q8_0 }
    options: { type: F16 }
YAML

# preset  llama-perplexity  greedy ids
while read -r preset ref_ppl ref_ids; do
  "$QFRAME" synth -q --preset "${preset%+f16}" --seed 1 --out "$WORK/$preset.gguf"
  if [ "$preset" != "${preset%+f16}" ]; then
    "$QFRAME" run -q "$WORK/f16.yaml" --input "$WORK/$preset.gguf" --output "$WORK/f16.gguf" --report "$WORK/r_f16" > /dev/null
    mv "$WORK/f16.gguf" "$WORK/$preset.gguf"
  fi
  "$QFRAME" run -q "$WORK/ppl.yaml" --input "$WORK/$preset.gguf" --report "$WORK/r_$preset" > /dev/null ||
    { fail "$preset: perplexity run"; continue; }
  ppl=$(/usr/bin/python3 -c "
import json, sys
r = json.load(open(sys.argv[1]))
print([s['results'][0]['ppl_original'] for s in r['stages'] if s['stage'] == 'eval.perplexity'][0])" "$WORK/r_$preset/REPORT.json")
  ids=$("$LOGITS" "$WORK/$preset.gguf" 1,100,200,300,400 "$WORK/unused.f32" --threads 2 --generate 16 | tr " " ",")
  echo "$preset: perplexity $ppl (llama.cpp $ref_ppl), greedy $ids (llama.cpp $ref_ids)"
  /usr/bin/python3 - "$ppl" "$ref_ppl" "$VNNI" <<'PYEOF' || fail "$preset: perplexity $ppl against llama.cpp's $ref_ppl"
import sys
got, ref, vnni = float(sys.argv[1]), float(sys.argv[2]), sys.argv[3] == "1"
assert abs(got - ref) <= 5.01e-5 if vnni else abs(got / ref - 1) < 1e-3
PYEOF
  [ "$ids" = "$ref_ids" ] || fail "$preset: greedy ids differ"
done <<'REF'
qwen2 4567.9802 279,279,178,492,304,195,92,414,314,487,223,319,494,62,354,157
qwen2-untied 4370.4319 168,39,187,491,39,75,498,39,382,78,39,75,85,82,82,259
gemma 3473.0846 40,52,52,52,52,52,52,52,52,52,52,509,509,509,509,509
gemma2 6217.2868 10,58,80,364,454,364,454,318,318,318,318,318,318,318,318,318
phi3 5078.5300 113,182,157,153,14,79,298,204,399,95,133,69,125,78,14,369
mixtral 3876.8132 99,33,412,322,399,315,452,48,171,368,25,235,48,399,357,483
qwen2moe 5848.5521 309,269,492,492,492,492,492,492,492,492,155,349,66,293,82,155
qwen2moe+f16 5891.7270 309,269,492,492,492,492,492,492,492,492,155,325,349,66,155,109
REF

if [ "$failures" -ne 0 ]; then echo "$failures failure(s)" >&2; exit 1; fi
echo "all checks passed"
