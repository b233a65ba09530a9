# recipes/q4_k_m_like.yaml on the Llama-3-like model of LAYERS layers gives llama.cpp's Q4_K_M
# type table, as llama-quantize chose it (tests/cli/data/llama_quantize_q4_k_m_<LAYERS>l.tsv);
# `synth --preset tinyllama-q4_k_m` at that depth uses the same types; gguf_type's bytes are
# those of the Q4_K/Q6_K encoders (decode checked by dump).
# Usage: q4_k_m_recipe.sh QFRAME DATA BUILD LAYERS
source "$(dirname "$0")/lib.sh"
LAYERS=${4:?usage: q4_k_m_recipe.sh QFRAME DATA BUILD LAYERS}
FACTS=tests/cli/data/llama_quantize_q4_k_m_${LAYERS}l.tsv
PY=/usr/bin/python3
[ -f "$FACTS" ] || { echo "FAIL: no llama-quantize facts $FACTS" >&2; exit 1; }
"$QFRAME" synth -q --preset llama3 --layers "$LAYERS" --out "$WORK/l3.gguf"
"$QFRAME" run -q recipes/q4_k_m_like.yaml --input "$WORK/l3.gguf" --output "$WORK/q.gguf" --report "$WORK/r"
"$QFRAME" synth -q --preset tinyllama-q4_k_m --layers "$LAYERS" --out "$WORK/tq.gguf"
for f in q tq; do "$QFRAME" inspect --json "$WORK/$f.gguf" > "$WORK/$f.json"; done

# compare_types FACTS JSON [--subset]: every tensor of JSON has the type FACTS gives it; without
# --subset, JSON also has every tensor FACTS lists.
compare_types() {
  $PY - "$@" <<'PYEOF'
import json, sys
facts_path, json_path = sys.argv[1:3]
subset = "--subset" in sys.argv[3:]
facts = {}
for line in open(facts_path):
    if line.startswith("#") or line.startswith("tensor\t"):
        continue
    name, type_ = line.rstrip("\n").split("\t")
    facts[name] = type_
got = {t["name"]: t["type"] for t in json.load(open(json_path))["tensors"]}
unknown = sorted(set(got) - set(facts))
missing = [] if subset else sorted(set(facts) - set(got))
wrong = [f"{n}: {got[n]}, llama.cpp {facts[n]}" for n in sorted(set(got) & set(facts)) if got[n] != facts[n]]
for what, items in (("not in the facts", unknown), ("missing", missing), ("wrong type", wrong)):
    if items:
        print(f"{json_path}: {len(items)} tensor(s) {what}: {items[:8]}", file=sys.stderr)
q6 = sum(t == "Q6_K" for t in got.values())
print(f"{json_path}: {len(got)} tensors, {q6} Q6_K, {len(wrong)} differ from llama-quantize")
sys.exit(1 if unknown or missing or wrong else 0)
PYEOF
}
compare_types "$FACTS" "$WORK/q.json" || fail "the recipe's types differ from llama-quantize's Q4_K_M at $LAYERS layers"
compare_types "$FACTS" "$WORK/tq.json" --subset || fail "synth tinyllama-q4_k_m differs from llama-quantize's Q4_K_M at $LAYERS layers"

# The quantized model decodes, and the Q4_K values stay close to the F16 originals.
"$QFRAME" dump "$WORK/q.gguf" blk.0.ffn_up.weight --format text > "$WORK/after.txt"
"$QFRAME" dump "$WORK/l3.gguf" blk.0.ffn_up.weight --format text > "$WORK/before.txt"
$PY - "$WORK/before.txt" "$WORK/after.txt" <<'PYEOF' || fail "Q4_K values far from the originals"
import math, sys
a = [float(x) for x in open(sys.argv[1])]
b = [float(x) for x in open(sys.argv[2])]
err = math.sqrt(sum((x - y) ** 2 for x, y in zip(a, b)) / len(a))
rms = math.sqrt(sum(x * x for x in a) / len(a))
print(f"Q4_K relative RMSE {err / rms:.4f}")
assert len(a) == len(b) and 0 < err / rms < 0.15
PYEOF
finish
