# qframe run on synthesized models: the study's recipe (0 values change on TinyLlama-like
# norms), every F32 tensor on a Llama-3-like model (rope_freqs.weight changes), checked
# independently from the bytes; --dry-run, --set, reports.
source "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
CHECK="$(dirname "$0")/check_bf16_run.py"

"$QFRAME" synth -q --preset tinyllama --out "$WORK/tiny.gguf"
"$QFRAME" synth -q --preset llama3 --out "$WORK/l3.gguf"

# 1. The study on the TinyLlama-like model: 4 ffn_norm tensors selected, none changes.
"$QFRAME" run -q recipes/ffn_norm_bf16.yaml --input "$WORK/tiny.gguf" --output "$WORK/tiny-out.gguf" --report "$WORK/r1"
[ -f "$WORK/r1/REPORT.json" ] && [ -f "$WORK/r1/REPORT.md" ] || fail "reports missing"
$PY "$CHECK" "$WORK/tiny.gguf" "$WORK/tiny-out.gguf" "$WORK/r1/REPORT.json" || fail "independent check (tinyllama)"
$PY "$(dirname "$0")/gguf_bytes.py" same-model "$WORK/tiny.gguf" "$WORK/tiny-out.gguf" || fail "BF16-exact norms changed the model"
$PY "$(dirname "$0")/gguf_bytes.py" provenance "$WORK/tiny-out.gguf" "$WORK/tiny.gguf" recipes/ffn_norm_bf16.yaml || fail "provenance keys"
$PY - "$WORK/r1/REPORT.json" "$WORK/tiny.gguf" <<'PYEOF' || fail "REPORT.json content (tinyllama)"
import hashlib, json, sys
r = json.load(open(sys.argv[1]))
stages = {s["stage"]: s for s in r["stages"]}
assert r["input"]["sha256"] == hashlib.sha256(open(sys.argv[2], "rb").read()).hexdigest()
assert r["output"]["sha256"] != r["input"]["sha256"]  # the same model, plus the qframe.* keys
assert r["output"]["sha256"] == hashlib.sha256(open(r["output"]["path"], "rb").read()).hexdigest()
assert r["changed_tensors"] == [] and len(r["rewritten_tensors"]) == 4, (r["changed_tensors"], r["rewritten_tensors"])
q = stages["quant.bf16_truncate"]
assert q["selected"] == [f"blk.{i}.ffn_norm.weight" for i in range(4)], q["selected"]
assert all(row["values_changed"] == 0 for row in q["results"])
d = stages["eval.tensor_diff"]
assert len(d["results"]) == 4 and all(row["changed"] == 0 and row["max_abs"] == 0 for row in d["results"])
p = stages["analyze.precision"]
assert len(p["results"]) == 9 and all(row["bf16_exact"] for row in p["results"])
assert all(s["seconds"] >= 0 for s in r["stages"])
PYEOF
grep -q "| \`blk.0.ffn_norm.weight\` |" "$WORK/r1/REPORT.md" || fail "REPORT.md lacks the tensor table"
"$QFRAME" inspect "$WORK/tiny-out.gguf" > "$WORK/inspect.txt"  # whole: grep -q would cut the pipe (pipefail)
grep -q "qframe.padding .*spaces that place the data section" "$WORK/inspect.txt" || fail "inspect does not summarise qframe.padding"

# The input's digest, computed by run 1, comes from the digest cache next time; once the input
# changes (one byte in its last tensor, same size), it is computed again.
"$QFRAME" run recipes/ffn_norm_bf16.yaml --input "$WORK/tiny.gguf" --output "$WORK/again.gguf" --report "$WORK/r-again" 2> "$WORK/again.log"
grep -q "SHA-256 from the digest cache" "$WORK/again.log" || fail "the unchanged input was hashed again"
grep -q "\"sha256\": \"$(sha256sum "$WORK/tiny.gguf" | cut -c1-64)\"" "$WORK/r-again/REPORT.json" || fail "the cached input digest is wrong"
printf '\x7f' | dd of="$WORK/tiny.gguf" bs=1 seek=$(($(stat -c %s "$WORK/tiny.gguf") - 5)) conv=notrunc status=none
"$QFRAME" run recipes/ffn_norm_bf16.yaml --input "$WORK/tiny.gguf" --output "$WORK/changed.gguf" --report "$WORK/r-changed" 2> "$WORK/changed.log"
grep -q "digest cache" "$WORK/changed.log" && fail "a changed input's digest came from the cache"
grep -q "\"sha256\": \"$(sha256sum "$WORK/tiny.gguf" | cut -c1-64)\"" "$WORK/r-changed/REPORT.json" || fail "the changed input's digest is wrong"

# The same run with --no-hash: the same model, no digests; and with the output on another file
# system (tmpfs), where the kernel cannot copy, the bytes and the digest are still right.
"$QFRAME" run -q recipes/ffn_norm_bf16.yaml --input "$WORK/tiny.gguf" --output "$WORK/nohash.gguf" --report "$WORK/r-nohash" --no-hash
$PY "$(dirname "$0")/gguf_bytes.py" same-model "$WORK/tiny.gguf" "$WORK/nohash.gguf" || fail "--no-hash changed the model"
grep -q '"sha256": ""' "$WORK/r-nohash/REPORT.json" || fail "--no-hash still hashed"
grep -q "not computed (--no-hash)" "$WORK/r-nohash/REPORT.md" || fail "REPORT.md does not say the digests were skipped"
# --sync (fsync before the rename) writes the same bytes.
SOURCE_DATE_EPOCH=1700000000 "$QFRAME" run -q recipes/ffn_norm_bf16.yaml --input "$WORK/tiny.gguf" --output "$WORK/sync.gguf" --report "$WORK/r-sync" --sync
SOURCE_DATE_EPOCH=1700000000 "$QFRAME" run -q recipes/ffn_norm_bf16.yaml --input "$WORK/tiny.gguf" --output "$WORK/nosync.gguf" --report "$WORK/r-sync"
cmp -s "$WORK/sync.gguf" "$WORK/nosync.gguf" || fail "--sync changed the output"
if SHM=$(mktemp -d -p /dev/shm 2> /dev/null); then
  "$QFRAME" run -q recipes/ffn_norm_bf16.yaml --input "$WORK/tiny.gguf" --output "$SHM/out.gguf" --report "$WORK/r-shm"
  $PY "$(dirname "$0")/gguf_bytes.py" same-model "$WORK/tiny.gguf" "$SHM/out.gguf" || fail "a copy across file systems changed the model"
  grep -q "\"sha256\": \"$(sha256sum "$SHM/out.gguf" | cut -c1-64)\"" "$WORK/r-shm/REPORT.json" || fail "the digest across file systems is wrong"
  rm -rf "$SHM"
fi

# 2. Every F32 tensor of the Llama-3-like model: rope_freqs.weight changes measurably.
"$QFRAME" run -q recipes/all_f32_bf16.yaml --input "$WORK/l3.gguf" --output "$WORK/l3-out.gguf" --report "$WORK/r2"
$PY "$CHECK" "$WORK/l3.gguf" "$WORK/l3-out.gguf" "$WORK/r2/REPORT.json" > "$WORK/check.txt" || { cat "$WORK/check.txt"; fail "independent check (llama3)"; }
cat "$WORK/check.txt"
grep -q "^rope_freqs.weight: [1-9]" "$WORK/check.txt" || fail "rope_freqs.weight did not change"
$PY - "$WORK/r2/REPORT.json" <<'PYEOF' || fail "REPORT.json content (llama3)"
import json, sys
r = json.load(open(sys.argv[1]))
d = {row["tensor"]: row for s in r["stages"] if s["stage"] == "eval.tensor_diff" for row in s["results"]}
rope = d["rope_freqs.weight"]
assert r["changed_tensors"] == ["rope_freqs.weight"], r["changed_tensors"]
assert rope["changed"] > 0 and rope["max_abs"] > 0 and 0 < rope["max_rel"] < 2 ** -7, rope
assert all(row["changed"] == 0 for name, row in d.items() if name != "rope_freqs.weight")
PYEOF

# 3. --dry-run lists the tensors and writes nothing; --set changes an option.
"$QFRAME" run recipes/ffn_norm_bf16.yaml --input "$WORK/tiny.gguf" --output "$WORK/dry.gguf" --report "$WORK/dry" --dry-run > "$WORK/dry.txt"
grep -q "^stage 2: quant.bf16_truncate: 4 tensor(s)" "$WORK/dry.txt" || fail "dry run output: $(cat "$WORK/dry.txt")"
grep -q "^  blk.3.ffn_norm.weight" "$WORK/dry.txt" || fail "dry run does not list blk.3.ffn_norm.weight"
[ ! -e "$WORK/dry.gguf" ] && [ ! -e "$WORK/dry" ] || fail "dry run wrote something"
"$QFRAME" run -q recipes/all_f32_bf16.yaml --input "$WORK/l3.gguf" --output "$WORK/l3-ne.gguf" --report "$WORK/r3" \
  --set bf16_truncate.rounding=nearest_even --set 2.output_type=BF16
$PY - "$WORK/r3/REPORT.json" <<'PYEOF' || fail "--set did not reach the stage"
import json, sys
r = json.load(open(sys.argv[1]))
q = [s for s in r["stages"] if s["stage"] == "quant.bf16_truncate"][0]
assert q["options"] == {"output_type": "BF16", "rounding": "nearest_even"}, q["options"]
assert all(row["output_type"] == "BF16" for row in q["results"])
PYEOF
"$QFRAME" inspect "$WORK/l3-ne.gguf" --tensors rope_freqs.weight | grep "rope_freqs.weight *BF16" > /dev/null || fail "output_type BF16 not stored"

# A shipped recipe works from any folder: its paths are its folder's, the command line's the
# working directory's (here a model and an output given relative to $WORK).
mkdir -p "$WORK/elsewhere"
(cd "$WORK/elsewhere" && "$QFRAME" run -q "$ROOT/recipes/ffn_norm_bf16.yaml" --input ../tiny.gguf --output sub/model.gguf --report rep) \
  || fail "a recipe run from another folder"
[ -f "$WORK/elsewhere/sub/model.gguf" ] && [ -f "$WORK/elsewhere/rep/REPORT.md" ] || fail "the output or report is not where the command line said"
grep -q "tinystories_sample.txt" "$WORK/elsewhere/rep/REPORT.md" || fail "the shipped text was not found from another folder"

# Where the run writes is checked before any stage works: nothing is written, not even a folder.
expect_refused() {  # expect_refused PATTERN OUTPUT
  set +e; "$QFRAME" run -q recipes/ffn_norm_bf16.yaml --input "$WORK/tiny.gguf" --output "$2" --report "$WORK/refused" 2> "$WORK/err"; local code=$?; set -e
  [ "$code" -eq 1 ] && grep -q -- "$1" "$WORK/err" || fail "output $2: exit $code, $(cat "$WORK/err")"
  [ ! -e "$WORK/refused" ] || fail "output $2: the report folder was created"
  grep -q "stage" "$WORK/err" && fail "output $2: a stage ran: $(cat "$WORK/err")"
  true
}
mkdir -p "$WORK/a-folder"
expect_refused "a-folder: is a folder; the output is a file" "$WORK/a-folder"
expect_refused "is a file" "$WORK/tiny.gguf/model.gguf"
finish
