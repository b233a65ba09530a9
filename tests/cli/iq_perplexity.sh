# The IQ and TQ files qframe quantize writes (byte for byte llama-quantize's: tests/cli/quantize.sh)
# decode, tensor by tensor, to ggml's values (facts: tests/cli/data/iq_decode/trained-a.tsv, the
# SHA-256 of ggml's to_float of llama-quantize's files), and run in qframe's engine with
# llama-perplexity's perplexity. Reference values (facts) measured with llama.cpp c392e50 (CPU
# build, AVX-512) on llama-quantize's files of trained-a (IQ2_S, IQ2_M, IQ1_S, IQ1_M on 2026-12-07, the others
# on 2026-12-06):
#   llama-quantize [--pure] --imatrix tests/cli/data/imatrix/trained-a_ctx256_chunks8.dat \
#       ../shared/data/models/trained-a-f16.gguf out.gguf TYPE 2      (TQ1_0, TQ2_0: no imatrix)
#   llama-perplexity -m out.gguf -f ../shared/data/text/wikitext-2-raw-test.txt --chunks 4 -c 128 -b 128 -t 1
# What holds: every type of these files has a quantized-domain kernel in ggml's order (tinyBLAS
# for IQ4_NL, vec_dot_iq*_q8_K and vec_dot_tq*_q8_K for the others: the products bit for bit,
# tests/engine/test_ggml_products.cpp), so the perplexity is llama-perplexity's within 1e-5 —
# its printed 6 digits; measured 9e-8 … 3.3e-6 (2026-12-07). The float path the engine took
# before (decoded weights times ggml-rounded activations) missed by 1e-4 … 2.6e-3; a wrong decoder
# would miss by far more.
source "$(dirname "$0")/lib.sh"
need_data
TEXT="$DATA/text/wikitext-2-raw-test.txt"
IMATRIX="$ROOT/tests/cli/data/imatrix/trained-a_ctx256_chunks8.dat"
cat > "$WORK/reference.txt" <<'REF'
IQ4_NL --imatrix 11.8439 1e-5
IQ4_XS --imatrix 11.8803 1e-5
IQ3_S --imatrix 11.8642 1e-5
IQ3_XS --imatrix 12.0510 1e-5
IQ3_M --imatrix 11.8339 1e-5
IQ3_XXS --pure,--imatrix 13.3146 1e-5
IQ2_XXS --imatrix 16.3857 1e-5
IQ2_XS --imatrix 15.1313 1e-5
IQ2_S --imatrix 13.6567 1e-5
IQ2_M --imatrix 12.7691 1e-5
IQ1_S --imatrix 20.3422 1e-5
IQ1_M --imatrix 18.0037 1e-5
TQ1_0 - 135.7207 1e-5
TQ2_0 - 135.7207 1e-5
REF
if [ "$SANITIZED" = 1 ]; then  # one lattice type, one non-linear, one ternary: the memory paths
  grep -E "^(IQ4_XS|IQ2_XXS|TQ1_0) " "$WORK/reference.txt" > "$WORK/r" && mv "$WORK/r" "$WORK/reference.txt"
fi
cat > "$WORK/ppl.yaml" <<YAML
qframe: 1
stages:
  - evaluate: perplexity
    options: { ctx: 128, chunks: 4, text: "$TEXT", numerics: ggml }
YAML
while read -r type opts ref bound; do
  args=()
  [ "$opts" = "-" ] || IFS=, read -r -a args <<< "$opts"
  for i in "${!args[@]}"; do [ "${args[$i]}" = "--imatrix" ] && args[$i]="--imatrix=$IMATRIX"; done
  "$QFRAME" quantize -q --no-hash "${args[@]}" "$DATA/models/trained-a-f16.gguf" "$WORK/$type.gguf" "$type" 2 || { fail "$type: quantize"; continue; }
  decoded=0
  while IFS=$'\t' read -r label name _ digest; do
    [ "$label" = "$type" ] || continue
    got=$("$QFRAME" dump -q "$WORK/$type.gguf" "$name" | sha256sum | cut -c1-64)
    [ "$got" = "$digest" ] || fail "$type: $name decodes to other values than ggml's"
    decoded=$((decoded + 1))
  done < <(grep -v '^#' "$ROOT/tests/cli/data/iq_decode/trained-a.tsv")
  [ "$decoded" -eq 39 ] || fail "$type: $decoded tensors checked against ggml's decode, not 39"
  "$QFRAME" run -q "$WORK/ppl.yaml" --input "$WORK/$type.gguf" --output "$WORK/out.gguf" --report "$WORK/r" > /dev/null || { fail "$type: perplexity"; continue; }
  /usr/bin/python3 - "$WORK/r/REPORT.json" "$type" "$ref" "$bound" <<'PYEOF' || fail "$type: perplexity off llama-perplexity's"
import json, sys
r = json.load(open(sys.argv[1]))
got = [s["results"][0]["ppl_original"] for s in r["stages"] if s["stage"] == "eval.perplexity"][0]
ref = float(sys.argv[3])
rel = abs(got / ref - 1)
print(f"{sys.argv[2]:<8} llama-perplexity {ref:>9.4f}  qframe {got:>9.4f}  rel {rel:.1e}  (bound {sys.argv[4]})")
sys.exit(0 if rel < float(sys.argv[4]) else 1)
PYEOF
  rm -f "$WORK/$type.gguf"
done < "$WORK/reference.txt"
finish
