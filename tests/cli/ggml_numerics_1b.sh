# numerics: ggml on the 1.1B model (TinyLlama-1.1B's shapes: rows of 2048 and 5632, 32 heads of 64,
# 4 KV heads) against llama.cpp's own perplexities. Reference values (facts, not outputs of qframe)
# measured on 2026-12-02 with llama.cpp c392e50 (CPU backend, AVX-512 build, GGML_NATIVE=ON, F16
# KV cache, flash attention off):
#   qframe synth --preset tinyllama-1.1b-f16 --out F16.gguf
#   llama-quantize F16.gguf Q8_0.gguf Q8_0; llama-quantize F16.gguf Q4_K_M.gguf Q4_K_M
#   llama-perplexity -m FILE -f ../shared/data/text/wikitext-2-raw-test.txt --chunks 4 -c 128 -b 128 -t 2
# The test quantizes with recipes/llama_mix.yaml, whose tensors are llama-quantize's byte for byte
# (tests/cli/llama_mix.sh); it measured the same perplexities to the last digit on llama-quantize's
# files. On an AVX-512 VNNI CPU the engine's arithmetic is the reference build's bit for bit, so
# the values agree to 1e-7; elsewhere (other addition orders on random weights, which amplify
# last-bit differences) to 1e-2.
#
# About a minute and 4.5 GB of disk: skipped under the sanitizers (it tests nothing more of memory
# safety than cli.ggml_numerics) and when the scratch disk has less than 8 GB free.
source "$(dirname "$0")/lib.sh"
need_data
TEXT="$DATA/text/wikitext-2-raw-test.txt"
[ -f "$TEXT" ] || { echo "SKIP: $TEXT not present"; exit 77; }
[ "$SANITIZED" = 1 ] && { echo "SKIP: sanitizer build"; exit 77; }
free_kb=$(df -Pk "$WORK" | awk 'NR == 2 {print $4}')
[ "$free_kb" -ge $((8 * 1024 * 1024)) ] || { echo "SKIP: $((free_kb / 1024)) MB free in $WORK, 8 GB needed"; exit 77; }
"$QFRAME" synth -q --preset tinyllama-1.1b-f16 --out "$WORK/f16.gguf"
for mix in Q8_0 Q4_K_M; do
  "$QFRAME" run -q recipes/llama_mix.yaml --set 1.mix=$mix --input "$WORK/f16.gguf" --output "$WORK/$mix.gguf" \
    --report "$WORK/mix_$mix" > /dev/null || fail "$mix: quantize"
done
cat > "$WORK/ppl.yaml" <<YAML
qframe: 1
stages:
  - evaluate: perplexity
    options: { ctx: 128, chunks: 4, text: "$TEXT", numerics: ggml }
YAML
while read -r file ref; do
  "$QFRAME" run -q "$WORK/ppl.yaml" --input "$WORK/$file.gguf" --output "$WORK/out.gguf" --report "$WORK/r" > /dev/null ||
    { fail "$file: run"; continue; }
  rm -f "$WORK/out.gguf"
  /usr/bin/python3 - "$WORK/r/REPORT.json" "$file" "$ref" <<'PYEOF' || fail "$file against llama-perplexity"
import json, sys
r = json.load(open(sys.argv[1]))
got = [s["results"][0]["ppl_original"] for s in r["stages"] if s["stage"] == "eval.perplexity"][0]
ref = float(sys.argv[3])
rel = abs(got / ref - 1)
vnni = "avx512_vnni" in open("/proc/cpuinfo").read()
print(f"{sys.argv[2]:<7} llama.cpp {ref:.4f}  qframe {got:.4f}  rel {rel:.1e}")
assert rel < (1e-7 if vnni else 1e-2), rel
PYEOF
done <<'REF'
f16 56705.3647
Q8_0 56706.8815
Q4_K_M 56659.5738
REF
finish
