# Optional: a real model given by QFRAME_TEST_MODEL=path (e.g. TinyLlama-1.1B Q4_K_M or
# Llama-3.2-1B F16). Skipped visibly when unset. Runs the study's recipe on it with a short
# perplexity/KLD/generation check, and checks inspect/copy on it.
source "$(dirname "$0")/lib.sh"
MODEL=${QFRAME_TEST_MODEL:-}
if [ -z "$MODEL" ]; then echo "SKIP: set QFRAME_TEST_MODEL=path/to/model.gguf to test a real model"; exit 77; fi
[ -f "$MODEL" ] || { echo "QFRAME_TEST_MODEL=$MODEL does not exist"; exit 1; }
"$QFRAME" inspect "$MODEL" > "$WORK/inspect.txt" || fail "inspect"
"$QFRAME" copy -q "$MODEL" "$WORK/copy.gguf" && cmp -s "$MODEL" "$WORK/copy.gguf" || fail "copy is not byte-identical"
rm -f "$WORK/copy.gguf"
TEXT="$DATA/text/wikitext-2-raw-test.txt"
[ -f "$TEXT" ] || TEXT=recipes/data/tinystories_sample.txt
"$QFRAME" run -q recipes/ffn_norm_bf16.yaml --input "$MODEL" --output "$WORK/out.gguf" --report "$WORK/r" \
  --set perplexity.text="$TEXT" --set perplexity.chunks=2 --set kl_divergence.text="$TEXT" --set kl_divergence.chunks=2 \
  --set generate.max_tokens=16 || fail "run"
/usr/bin/python3 - "$WORK/r/REPORT.json" <<'PYEOF' || fail "report"
import json, sys
r = json.load(open(sys.argv[1]))
s = {st["stage"]: st["results"][0] for st in r["stages"] if st["results"] and st["results"][0]["tensor"] == "(model)"}
p = s["eval.perplexity"]
print("PPL original", p["ppl_original"], "result", p["ppl_result"], "changed tensors", r["changed_tensors"])
assert 1 < p["ppl_original"] < 1e4
if not r["changed_tensors"]:
    assert p["identical"] and s["eval.kl_divergence"]["kld_max"] == 0 and s["eval.generate"]["all_identical"]
PYEOF
finish
