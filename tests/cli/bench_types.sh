# qframe bench-types on the default model (trained-a: 4 layers, 256 wide, 5 matrix shapes): every
# matrix shape at 4 types, timed in passes; the table (one file per CPU, threads and batch) holds
# one positive entry per shape × type and the rest of a pass, the report names every matrix of the
# model once, and a later run with one more type times only that type (the rest read back
# unchanged); --force times everything again. --predict gives a mix's tokens/s as the table and the
# rest add up (recomputed here), --measure times it too, and a file of another shape is refused.
# Bad input (an unknown type, a damaged table) stops before any work and leaves the table as it was.
# No time is asserted: timings belong in docs/speed.md, measured by a benchmark.
source "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
MODEL=$ROOT/models/trained-a-f16.gguf
FAST=(--threads 1 --repetitions 1 --prompt-tokens 32 --gen-tokens 4 --min-seconds 0)
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
rests = table["rests"]
assert len(rests) == 1 and rests[0]["gen_tokens"] == 4 and rests[0]["prompt_seconds"] > 0 and "trained-a-f16.gguf" in rests[0]["from"], rests
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

# A mix predicted and measured: its types the table lacked (Q6_K) are timed first; the prediction
# is the table's entries at the mix's types plus the rest.
"$QFRAME" quantize "$MODEL" "$WORK/q4km.gguf" Q4_K_M > /dev/null 2>&1 || fail "quantize Q4_K_M"
"$QFRAME" bench-types "$MODEL" --types F16 "${FAST[@]}" --out "$WORK/bt" --predict "$WORK/q4km.gguf" --measure > "$WORK/mix.txt" 2> "$WORK/mix.log" ||
  fail "--predict: $(cat "$WORK/mix.log")"
grep -q "^q4km.gguf: predicted .* prompt tok/s, .* generation tok/s; measured" "$WORK/mix.txt" || fail "--predict: $(cat "$WORK/mix.txt")"
"$QFRAME" inspect --json "$WORK/q4km.gguf" > "$WORK/mix.json" || fail "inspect the mix"
$PY - "$WORK"/bt/types-*.json "$WORK/bt/trained-a-f16/report.json" "$WORK/mix.json" <<'PYEOF' || fail "the mix's prediction"
import json, sys
table, report, mix = (json.load(open(p)) for p in sys.argv[1:4])
by = {(e["type"], e["cols"], e["rows"]): e for e in table["entries"]}
rest = table["rests"][0]
prompt = rest["prompt_seconds"]
gen = rest["generation_seconds_per_token"]
for t in mix["tensors"]:
    if len(t["shape"]) < 2 or t["name"] == "token_embd.weight":
        continue
    e = by[(t["type"], t["shape"][0], t["shape"][1])]  # KeyError: a type of the mix not timed
    prompt += e["prompt_seconds_per_token"] * table["prompt_tokens"]
    gen += e["generation_seconds"]
row = report["speed_model"]["mixes"][0]
assert row["file"] == "q4km.gguf"
assert abs(row["predicted_prompt_tps"] - table["prompt_tokens"] / prompt) <= 1e-9 * row["predicted_prompt_tps"], (row, prompt)
assert abs(row["predicted_gen_tps"] - 1 / gen) <= 1e-9 * row["predicted_gen_tps"], (row, gen)
assert row["measured_prompt_tps"] > 0 and row["measured_gen_tps"] > 0
assert abs(row["prompt_error"] - (row["predicted_prompt_tps"] / row["measured_prompt_tps"] - 1)) < 1e-12
assert "mean_abs_error" in report["speed_model"]
PYEOF
grep -q "## The speed model: mixes predicted and measured" "$WORK/bt/trained-a-f16/REPORT.md" || fail "no speed model section"
if [ -f "$DATA/models/stories260K.gguf" ]; then
  if "$QFRAME" bench-types "$MODEL" --types F16 --out "$WORK/bt" --predict "$DATA/models/stories260K.gguf" 2> "$WORK/err.txt"; then fail "a file of another shape was predicted"; fi
  grep -q "not of trained-a-f16.gguf's shape" "$WORK/err.txt" || fail "another shape: $(cat "$WORK/err.txt")"
else
  echo "SKIPPED: a file of another shape (no $DATA/models/stories260K.gguf)"
fi
if "$QFRAME" bench-types "$MODEL" --types F16 --out "$WORK/bt" --measure 2> "$WORK/err.txt"; then fail "--measure without --predict"; fi
grep -q "name at least one" "$WORK/err.txt" || fail "--measure alone: $(cat "$WORK/err.txt")"

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
