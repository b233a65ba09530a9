# qframe quantize speaks llama-quantize's command line and gives its tensors: every case of
# tests/cli/data/quantize/cases.tsv (every K and legacy type, F16/BF16/F32, with and without an
# importance matrix, and the options that change types) on trained-a and on a 22-layer
# synthesized llama — each tensor's type and bytes equal to llama-quantize's (facts: per case, a
# digest of every tensor's name, type and bytes; README.md there). Also: --dry-run's exact size, --tensor-type precedence,
# --print-recipe run by `qframe run`, and the refusals llama-quantize makes, before any work.
source "$(dirname "$0")/lib.sh"
need_data
PY=/usr/bin/python3
FACTS="$ROOT/tests/cli/data/quantize"
TEXT="$DATA/text/wikitext-2-raw-test.txt"
TRAINED="$DATA/models/trained-a-f16.gguf"
"$QFRAME" synth -q --preset llama3 --layers 22 --out "$WORK/synth22.gguf"
# The synthesized model's importance matrix, made by qframe: it equals llama-imatrix's bit for bit
# (tests/cli/imatrix.sh), and the facts were recorded with llama-imatrix's.
"$QFRAME" imatrix -q "$WORK/synth22.gguf" --text "$TEXT" --ctx 128 --chunks 2 -t 2 -o "$WORK/synth22.dat" || fail "imatrix of the 22-layer model"

# check_cases MODEL FACTS IMATRIX [LABELS...]: each case's tensors against llama-quantize's.
check_cases() {
  local model=$1 facts=$2 imatrix=$3
  shift 3
  while IFS=$'\t' read -r label opts type; do
    case "$label" in \#*) continue ;; esac
    if [ $# -gt 0 ] && ! printf '%s\n' "$@" | grep -qx "$label"; then continue; fi
    local args=()
    [ "$opts" = "-" ] || read -r -a args <<< "${opts//@IMATRIX@/$imatrix}"
    "$QFRAME" quantize -q --no-hash "${args[@]}" "$model" "$WORK/out.gguf" "$type" 2 || { fail "$(basename "$model") $label: qframe quantize failed"; continue; }
    $PY "$ROOT/tests/cli/gguf_bytes.py" digests "$WORK/out.gguf" > "$WORK/got.txt"
    local got want
    got="$label	$(wc -l < "$WORK/got.txt")	$(sha256sum < "$WORK/got.txt" | cut -c1-64)"
    want=$(grep "^$label	" "$facts") || { fail "$label: no facts in $facts"; continue; }
    [ "$got" = "$want" ] ||
      fail "$(basename "$model") $label: tensors differ from llama-quantize's (types written: $(awk '{print $2}' "$WORK/got.txt" | sort | uniq -c | tr -s ' \n' ' '))"
  done < "$FACTS/cases.tsv"
}
if [ "$SANITIZED" = 1 ]; then  # the encoders' memory safety needs no more than one of each kind
  check_cases "$TRAINED" "$FACTS/trained-a.tsv" "$ROOT/tests/cli/data/imatrix/trained-a_ctx256_chunks8.dat" Q4_K_M imatrix-Q2_K_S pure-Q4_K_M out-types-Q4_K_M
  check_cases "$WORK/synth22.gguf" "$FACTS/synth22.tsv" "$WORK/synth22.dat" Q3_K_M imatrix-Q4_K_S
else
  check_cases "$TRAINED" "$FACTS/trained-a.tsv" "$ROOT/tests/cli/data/imatrix/trained-a_ctx256_chunks8.dat"
  check_cases "$WORK/synth22.gguf" "$FACTS/synth22.tsv" "$WORK/synth22.dat"
fi

# The output says what it is as llama-quantize's does: general.file_type, the importance
# matrix's keys, --override-kv's.
"$QFRAME" quantize -q --imatrix "$ROOT/tests/cli/data/imatrix/trained-a_ctx256_chunks8.dat" --override-kv general.name=str:quantized \
  --override-kv test.count=int:7 "$TRAINED" "$WORK/meta.gguf" Q4_K_S
"$QFRAME" inspect --json "$WORK/meta.gguf" > "$WORK/meta.json"
$PY - "$WORK/meta.json" <<'PYEOF' || fail "the output's metadata is not llama-quantize's"
import json, sys
m = {e["key"]: e["value"] for e in json.load(open(sys.argv[1]))["metadata"]} if isinstance(json.load(open(sys.argv[1]))["metadata"], list) else json.load(open(sys.argv[1]))["metadata"]
want = {"general.file_type": 14, "general.name": "quantized", "test.count": 7, "quantize.imatrix.entries_count": 28, "quantize.imatrix.chunks_count": 8}
bad = {k: (m.get(k), v) for k, v in want.items() if m.get(k) != v}
assert not bad, bad
assert m["quantize.imatrix.file"].endswith("trained-a_ctx256_chunks8.dat"), m["quantize.imatrix.file"]
PYEOF

# --dry-run: each tensor's type, and the size of the file the same command then writes.
for case in "Q4_K_M" "--pure Q5_0" "--output-tensor-type q8_0 Q3_K_S"; do
  read -r -a words <<< "$case"
  type=${words[-1]}; unset 'words[-1]'
  "$QFRAME" quantize "${words[@]}" --dry-run "$TRAINED" "$WORK/dry.gguf" "$type" > "$WORK/dry.txt" || fail "dry run $case"
  [ ! -e "$WORK/dry.gguf" ] || fail "a dry run wrote its output"
  "$QFRAME" quantize -q "${words[@]}" "$TRAINED" "$WORK/wet.gguf" "$type"
  size=$(stat -c %s "$WORK/wet.gguf")
  grep -q "would write $WORK/dry.gguf: $size bytes" "$WORK/dry.txt" || fail "dry run $case: $(tail -1 "$WORK/dry.txt"), but the run wrote $size bytes"
  "$QFRAME" inspect --json "$WORK/wet.gguf" | $PY -c '
import json, sys
for t in json.load(sys.stdin)["tensors"]: print(t["name"], t["type"])' > "$WORK/wet_types.txt"
  awk '$1 ~ /^\[/ {print $2, $5}' "$WORK/dry.txt" > "$WORK/dry_types.txt"
  diff -q "$WORK/wet_types.txt" "$WORK/dry_types.txt" > /dev/null || fail "dry run $case: the types it lists are not those written"
  rm -f "$WORK/wet.gguf"
done

# --tensor-type (current llama.cpp's precedence): the first pattern that matches wins over the
# mix's rules; the token_embd/output options win over patterns; patterns are lower-cased
# regular expressions; a file of them applies after the flags.
"$QFRAME" quantize -q --tensor-type 'ATTN_V=q8_0' --tensor-type 'blk\.0\.=q4_0' --tensor-type 'output=q5_0' --output-tensor-type q8_0 \
  "$TRAINED" "$WORK/tt.gguf" Q4_K_M
"$QFRAME" inspect --json "$WORK/tt.gguf" | $PY -c '
import json, sys
t = {x["name"]: x["type"] for x in json.load(sys.stdin)["tensors"]}
want = {"blk.0.attn_v.weight": "Q8_0", "blk.3.attn_v.weight": "Q8_0", "blk.0.ffn_up.weight": "Q4_0", "blk.0.attn_q.weight": "Q4_0",
        "blk.1.ffn_down.weight": "Q4_K", "blk.0.ffn_down.weight": "Q4_0", "output.weight": "Q8_0", "blk.1.attn_q.weight": "Q4_K"}
bad = {k: (t[k], v) for k, v in want.items() if t[k] != v}
assert not bad, bad' || fail "--tensor-type precedence"
printf 'ATTN_V=q8_0\nblk\\.0\\.=q4_0 output=q5_0\n' > "$WORK/types.txt"
"$QFRAME" quantize -q --tensor-type-file "$WORK/types.txt" --output-tensor-type q8_0 "$TRAINED" "$WORK/ttf.gguf" Q4_K_M
cmp -s <($PY "$ROOT/tests/cli/gguf_bytes.py" digests "$WORK/tt.gguf") <($PY "$ROOT/tests/cli/gguf_bytes.py" digests "$WORK/ttf.gguf") ||
  fail "--tensor-type-file gives other tensors than the same rules as --tensor-type"

# --print-recipe is the recipe the command runs: `qframe run` on it writes the same tensors.
"$QFRAME" quantize --print-recipe --pure --imatrix "$ROOT/tests/cli/data/imatrix/trained-a_ctx256_chunks8.dat" "$TRAINED" "$WORK/via_run.gguf" Q4_1 > "$WORK/printed.yaml"
"$QFRAME" run -q "$WORK/printed.yaml" --no-hash > /dev/null || fail "qframe run on the printed recipe"
"$QFRAME" quantize -q --no-hash --pure --imatrix "$ROOT/tests/cli/data/imatrix/trained-a_ctx256_chunks8.dat" "$TRAINED" "$WORK/direct.gguf" Q4_1
cmp -s <($PY "$ROOT/tests/cli/gguf_bytes.py" digests "$WORK/via_run.gguf") <($PY "$ROOT/tests/cli/gguf_bytes.py" digests "$WORK/direct.gguf") ||
  fail "the printed recipe's run differs from the command's"

# IN TYPE: the output is IN's folder/ggml-model-TYPE.gguf, as llama-quantize names it.
cp "$TRAINED" "$WORK/in.gguf"
"$QFRAME" quantize -q "$WORK/in.gguf" q8_0 && [ -f "$WORK/ggml-model-Q8_0.gguf" ] || fail "IN TYPE did not write ggml-model-Q8_0.gguf beside IN"

# What llama-quantize refuses, refused before anything is written, with the reason.
refused() {  # refused "WHY" PATTERN ARGS...
  local why=$1 pattern=$2
  shift 2
  rm -f "$WORK/refused.gguf"
  if "$QFRAME" quantize -q "$@" 2> "$WORK/err.txt"; then fail "$why: accepted"; return; fi
  grep -q -- "$pattern" "$WORK/err.txt" || fail "$why: $(cat "$WORK/err.txt")"
  [ ! -e "$WORK/refused.gguf" ] || fail "$why: the output was written"
}
refused "Q2_K_S without an importance matrix" "Q2_K_S needs an importance matrix" "$TRAINED" "$WORK/refused.gguf" Q2_K_S
refused "IQ2_S without an importance matrix" "IQ2_S needs an importance matrix" "$TRAINED" "$WORK/refused.gguf" IQ2_S
refused "an unknown type" "'Q7_K' is not a type llama-quantize knows" "$TRAINED" "$WORK/refused.gguf" Q7_K
refused "include and exclude together" "cannot be used together" --imatrix x.dat --include-weights a --exclude-weights b "$TRAINED" "$WORK/refused.gguf" Q4_0
refused "a bad --tensor-type" "tensor_types: 'attn_v' is not PATTERN=TYPE" --tensor-type attn_v "$TRAINED" "$WORK/refused.gguf" Q4_K_M
refused "a bad tensor type name" "'q9_0' .* is not a ggml type" --tensor-type attn_v=q9_0 "$TRAINED" "$WORK/refused.gguf" Q4_K_M
refused "a bad --override-kv" "metadata general.name=string:x: unknown type 'string'" --override-kv general.name=string:x "$TRAINED" "$WORK/refused.gguf" Q4_K_M
refused "overriding qframe's own keys" "qframe.\* keys say how this file was made" --override-kv qframe.version=str:x "$TRAINED" "$WORK/refused.gguf" Q4_K_M
refused "a bad --output-tensor-type" "--output-tensor-type: 'q3' is not a ggml type" --output-tensor-type q3 "$TRAINED" "$WORK/refused.gguf" Q4_K_M
refused "requantizing" "requantizing from type Q8_0 is disabled" "$DATA/models/tiny-llama-q8_0.gguf" "$WORK/refused.gguf" Q4_0
"$QFRAME" quantize -q --allow-requantize "$DATA/models/tiny-llama-q8_0.gguf" "$WORK/requant.gguf" Q4_0 || fail "--allow-requantize"
finish
