# Fake INT8/INT4 stages through the CLI: types stay (F16 in, F32 out), error bounds hold per
# tensor as reported, bad options are refused with their location.
source "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
"$QFRAME" synth -q --preset llama3 --out "$WORK/l3.gguf"
"$QFRAME" run -q recipes/int8_int4_fake.yaml --input "$WORK/l3.gguf" --output "$WORK/o.gguf" --report "$WORK/r"
$PY - "$WORK/r/REPORT.json" <<'PYEOF' || fail "fake quant report"
import json, sys
r = json.load(open(sys.argv[1]))
s = {st["stage"]: st for st in r["stages"]}
int4, int8 = s["quant.int4"], s["quant.int8"]
assert len(int4["selected"]) == 6, int4["selected"]              # ffn gate/up/down of layers 0-1
assert len(int8["selected"]) == 4 * 7 - 6, len(int8["selected"])  # the rest are F32 by then
for row in int8["results"]:
    assert row["bits"] == 8 and row["max_error_in_scales"] <= 0.5 + 1e-6, row
for row in int4["results"]:
    assert row["bits"] == 4 and row["max_abs_error"] > 0, row
d = {row["tensor"]: row for row in s["eval.tensor_diff"]["results"]}
assert len(d) == 28
assert all(row["after_type"] == "F32" and row["before_type"] == "F16" for row in d.values())
# 4-bit NF4 costs more than 8-bit: compare SNR of the same kind of tensor
assert d["blk.0.ffn_up.weight"]["snr_db"] < d["blk.2.ffn_up.weight"]["snr_db"] - 15
m = s["eval.model_size"]["results"]
assert len(m) == 1 and m[0]["tensor"] == "(model)", m
m = m[0]
# fake quantization widens the F16 block matrices to F32; token_embd and output stay F16
assert m["original"]["matrix_bits_per_weight"] == 16 and 16 < m["result"]["matrix_bits_per_weight"] < 32, m
assert m["result"]["bytes_by_type"]["F16"] == 2 * 256 * 512 * 2, m
assert m["size_ratio"] > 1.5 and m["result"]["bytes_by_type"]["F32"] > m["original"]["bytes_by_type"]["F32"]
PYEOF

bad() {  # bad PATTERN OPTIONS
  cat > "$WORK/bad.yaml" <<Y
qframe: 1
stages:
  - quantize: $2
    options: $3
Y
  set +e; "$QFRAME" run -q "$WORK/bad.yaml" --input "$WORK/l3.gguf" 2> "$WORK/err"; local code=$?; set -e
  [ "$code" -eq 1 ] && grep -- "$1" "$WORK/err" > /dev/null || fail "$2 $3: exit $code, $(cat "$WORK/err")"
}
bad "bad.yaml:4:22: option 'bits' of quant.int is 9, out of range \[2, 8\]" int "{ bits: 9 }"
bad "bad.yaml:4:28: option 'group_size' of quant.int8 is 0, out of range" int8 "{ group_size: 0 }"
bad "bad.yaml:3:15: quant.int needs option 'bits'" int "{}"
bad "bad.yaml:4:24: option 'format' of quant.int4 must be one of int|nf4|fp4, not 'e3m2'" int4 "{ format: e3m2 }"
bad "bad.yaml:3:15: quant.gguf_type: type: qframe cannot encode MXFP4" gguf_type "{ type: MXFP4 }"
bad "bad.yaml:3:15: quant.gguf_type: type: 'Q9_9' is not a ggml type" gguf_type "{ type: Q9_9 }"
cat > "$WORK/shape.yaml" <<Y
qframe: 1
stages:
  - quantize: gguf_type
    select: { name: rope_freqs.weight }
    options: { type: Q8_0 }
Y
set +e; "$QFRAME" run -q "$WORK/shape.yaml" --input "$WORK/l3.gguf" 2> "$WORK/err"; code=$?; set -e
[ "$code" -eq 1 ] && grep "failed on tensor 'rope_freqs.weight': row length 16 is not a multiple of Q8_0's block size 32" "$WORK/err" > /dev/null \
  || fail "shape: exit $code, $(cat "$WORK/err")"
finish
