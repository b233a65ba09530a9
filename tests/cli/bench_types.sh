# qframe bench-types on the default model (trained-a: 4 layers, 256 wide, 5 matrix shapes): every
# matrix shape at 4 types, timed; the table (one file per CPU, threads and batch) holds one positive entry per
# shape × type, the report names every matrix of the model once, and a later run with one more
# type times only that type (the rest read back unchanged); --force times everything again. Bad
# input (an unknown type, a damaged table) stops before any work and leaves the table as it was.
# No time is asserted: timings belong in docs/speed.md, measured by a benchmark.
source "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
MODEL=$ROOT/models/trained-a-f16.gguf
FAST=(--threads 1 --repetitions 1 --prompt-tokens 32)
"$QFRAME" bench-types "$MODEL" --types F16,Q8_0,Q4_K,IQ2_XXS "${FAST[@]}" --out "$WORK/bt" > "$WORK/first.txt" 2> "$WORK/first.log" ||
  fail "bench-types: $(cat "$WORK/first.log")"
grep -q "trained-a-f16.gguf: 5 shape(s) × 4 type(s) (20 timed now, 0 from the table)" "$WORK/first.txt" || fail "first run: $(cat "$WORK/first.txt")"
"$QFRAME" inspect --json "$MODEL" > "$WORK/model.json" || fail "inspect"
$PY - "$WORK/bt" "$WORK/model.json" <<'PYEOF' || fail "the table and the report"
import glob, json, os, sys
out, model = sys.argv[1:3]
tables = glob.glob(f"{out}/types-*.json")
assert len(tables) == 1, tables
table = json.load(open(tables[0]))
assert table["threads"] == 1 and table["prompt_tokens"] == 32 and table["numerics"] == "ggml" and table["cpu"], table
entries = table["entries"]
assert len(entries) == 20 and all(e["prompt_seconds_per_token"] > 0 and e["generation_seconds"] > 0 for e in entries), entries
assert {e["type"] for e in entries} == {"F16", "Q8_0", "Q4_K", "IQ2_XXS"}
assert {e["bpw"] for e in entries if e["type"] == "Q4_K"} == {4.5} and {e["bpw"] for e in entries if e["type"] == "IQ2_XXS"} == {2.0625}
# The report: every 2-D tensor but the token embeddings, once, under its shape.
tensors = json.load(open(model))["tensors"]
matrices = sorted(t["name"] for t in tensors if len(t["shape"]) >= 2 and t["name"] != "token_embd.weight")
report = json.load(open(f"{out}/trained-a-f16/report.json"))
named = sorted(n for s in report["shapes"] for n in s["tensors"])
assert named == matrices, (named, matrices)
for s in report["shapes"]:
    assert [t["type"] for t in s["timings"]] == ["F16", "Q8_0", "Q4_K", "IQ2_XXS"], s  # widest first
# The whole model at one type: the sum over its matrices of their shape's time.
by = {(e["type"], e["cols"], e["rows"]): e for e in entries}
for w in report["whole_model"]:
    total = sum(len(s["tensors"]) * by[(w["type"], s["cols"], s["rows"])]["generation_seconds"] for s in report["shapes"])
    assert abs(total - w["generation_seconds"]) <= 1e-9 * total, w
md = open(f"{out}/trained-a-f16/REPORT.md").read()
assert "## Every matrix of the model at one type" in md and "| IQ2_XXS | 2.06 |" in md, md[:600]
PYEOF
if command -v gnuplot > /dev/null; then
  [ -s "$WORK/bt/trained-a-f16/types.svg" ] && [ -s "$WORK/bt/trained-a-f16/types.png" ] || fail "no plot: $(ls "$WORK/bt/trained-a-f16")"
else
  echo "SKIPPED: the plot (no gnuplot)"
fi

# One more type: only it is timed; the others are the table's, unchanged.
cp "$WORK"/bt/types-*.json "$WORK/before.json"
"$QFRAME" bench-types "$MODEL" --types F16,Q8_0,Q4_K,IQ2_XXS,Q6_K "${FAST[@]}" --out "$WORK/bt" > "$WORK/second.txt" 2> "$WORK/second.log" ||
  fail "second run: $(cat "$WORK/second.log")"
grep -q "(5 timed now, 20 from the table)" "$WORK/second.txt" || fail "second run: $(cat "$WORK/second.txt")"
$PY - "$WORK/before.json" "$WORK"/bt/types-*.json <<'PYEOF' || fail "the table after the second run"
import json, sys
before, after = (json.load(open(p))["entries"] for p in sys.argv[1:3])
key = lambda e: (e["type"], e["cols"], e["rows"])
after_by = {key(e): e for e in after}
assert len(after) == 25 and all(after_by[key(e)] == e for e in before)
PYEOF
"$QFRAME" bench-types "$MODEL" --types F16 "${FAST[@]}" --out "$WORK/bt" --force > "$WORK/force.txt" 2>&1 || fail "--force"
grep -q "(5 timed now, 0 from the table)" "$WORK/force.txt" || fail "--force: $(cat "$WORK/force.txt")"

# Bad input: refused before any work, the table untouched.
cp "$WORK"/bt/types-*.json "$WORK/kept.json"
if "$QFRAME" bench-types "$MODEL" --types F16,Q9_9 --out "$WORK/bt" 2> "$WORK/err.txt"; then fail "an unknown type was accepted"; fi
grep -q "'Q9_9' is not a ggml type" "$WORK/err.txt" || fail "unknown type: $(cat "$WORK/err.txt")"
table=$(ls "$WORK"/bt/types-*.json)
echo '{"key": "cpu=' > "$table"
if "$QFRAME" bench-types "$MODEL" --types F16 "${FAST[@]}" --out "$WORK/bt" 2> "$WORK/err.txt"; then fail "a damaged table was read"; fi
grep -q "is not a table of type timings" "$WORK/err.txt" || fail "damaged table: $(cat "$WORK/err.txt")"
[ "$(cat "$table")" = '{"key": "cpu=' ] || fail "the damaged table was overwritten"
if "$QFRAME" bench-types "$WORK/missing.gguf" --out "$WORK/bt2" 2> "$WORK/err.txt"; then fail "a missing model was accepted"; fi
[ ! -e "$WORK/bt2" ] || fail "a failed run created its folder"
finish
