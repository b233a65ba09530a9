# recipes/q4_k_m_like.yaml on the Llama-3-like model gives llama.cpp's Q4_K_M type table, which
# this test recomputes from llama-quant.cpp's rules; `synth --preset tinyllama-q4_k_m` uses the
# same table; gguf_type's bytes are those of the Q4_K/Q6_K encoders (decode checked by dump).
source "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
"$QFRAME" synth -q --preset llama3 --out "$WORK/l3.gguf"
"$QFRAME" run -q recipes/q4_k_m_like.yaml --input "$WORK/l3.gguf" --output "$WORK/q.gguf" --report "$WORK/r"
"$QFRAME" synth -q --preset tinyllama-q4_k_m --out "$WORK/tq.gguf"
for f in q tq; do "$QFRAME" inspect --json "$WORK/$f.gguf" > "$WORK/$f.json"; done
$PY - "$WORK/q.json" "$WORK/tq.json" <<'PYEOF' || fail "type tables differ from llama.cpp's Q4_K_M rules"
import json, re, sys

def use_more_bits(i, n):
    return i < n // 8 or i >= 7 * n // 8 or (i - n // 8) % 3 == 2

def expected(name, dims, n_layer):
    if len(dims) == 1:
        return "F32"
    if name == "output.weight":
        return "Q6_K"
    m = re.match(r"blk\.(\d+)\.(attn_v|ffn_down)\.weight$", name)
    if m and use_more_bits(int(m.group(1)), n_layer):
        return "Q6_K"
    return "Q4_K"

for path in sys.argv[1:]:
    info = json.load(open(path))
    n_layer = [kv["value"] for kv in info["metadata"] if kv["key"] == "llama.block_count"][0]
    bad = [(t["name"], t["type"], expected(t["name"], t["shape"], n_layer)) for t in info["tensors"]
           if t["type"] != expected(t["name"], t["shape"], n_layer)]
    q6 = sorted(t["name"] for t in info["tensors"] if t["type"] == "Q6_K")
    print(path, "Q6_K:", q6)
    assert not bad, bad
    assert len(q6) == 5, q6  # output + attn_v and ffn_down of layers 2 and 3
PYEOF
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
