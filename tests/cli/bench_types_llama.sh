# qframe bench-types --from-llama-bench: llama-bench's rows of single-type files of the default
# model (tests/cli/data/llama_bench: measured with llama.cpp, the command in its README) become a
# table of llama.cpp's speed beside qframe's. Each single-type file is predicted from it exactly as
# llama-bench measured it (the median of its samples); within a type the entries keep the
# proportions of qframe's own; the rest of a pass is never more than 95% of the fastest file; the
# mix is predicted from the table's entries. Generation from -pg less -p where the rows have no -n.
# Bad rows (another thread count, a broken line, a file missing or of another shape, no
# single-type file, a test missing, lengths given otherwise) stop before any work, writing nothing.
# No time is asserted: the times here are llama-bench's, stored.
source "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
MODEL=$ROOT/models/trained-a-f16.gguf
ROWS=$ROOT/tests/cli/data/llama_bench/trained-a.jsonl
FAST=(--threads 1 --repetitions 1 --min-seconds 0)
cp "$MODEL" "$WORK/a-F16.gguf"
for t in Q8_0 Q6_K Q4_K; do
  "$QFRAME" quantize --pure "$MODEL" "$WORK/a-$t.gguf" "$t" > /dev/null 2>&1 || fail "quantize --pure $t"
done
"$QFRAME" quantize "$MODEL" "$WORK/a-Q4_K_M.gguf" Q4_K_M > /dev/null 2>&1 || fail "quantize Q4_K_M"
for f in F16 Q8_0 Q6_K Q4_K Q4_K_M; do "$QFRAME" inspect --json "$WORK/a-$f.gguf" > "$WORK/a-$f.json" || fail "inspect $f"; done
cp "$ROWS" "$WORK/rows.jsonl"  # the rows name bare files: found beside the rows

"$QFRAME" bench-types "$MODEL" --from-llama-bench "$WORK/rows.jsonl" "${FAST[@]}" --out "$WORK/bt" > "$WORK/out.txt" 2> "$WORK/log.txt" ||
  fail "--from-llama-bench: $(cat "$WORK/log.txt")"
grep -q "^llama.cpp's speed from 5 file(s) of llama-bench" "$WORK/out.txt" || fail "summary: $(cat "$WORK/out.txt")"
check_tables() {  # check_tables OUT_DIR ROWS GEN_AFTER_PROMPT
  $PY - "$1" "$2" "$3" "$WORK" <<'PYEOF'
import glob, json, statistics, sys
out, rows_file, after_prompt, work = sys.argv[1], sys.argv[2], sys.argv[3] == "1", sys.argv[4]
tables = [json.load(open(p)) for p in glob.glob(f"{out}/types-*.json")]
ours = [t for t in tables if t["numerics"] == "ggml"]
llama = [t for t in tables if t["numerics"].startswith("llama.cpp ")]
assert len(ours) == 1 and len(llama) == 1, [t["key"] for t in tables]
ours, llama = ours[0], llama[0]
rows = [json.loads(l) for l in open(rows_file) if l.strip()]
assert llama["cpu"] == rows[0]["cpu_info"] and llama["threads"] == rows[0]["n_threads"], llama["key"]
assert llama["numerics"] == f"llama.cpp {rows[0]['build_commit']} ({rows[0]['backends']})", llama["numerics"]
assert llama["prompt_tokens"] == ours["prompt_tokens"] == 64, (llama["prompt_tokens"], ours["prompt_tokens"])
rest = llama["rests"][0]
assert len(llama["rests"]) == 1 and rest["gen_tokens"] == 8, llama["rests"]
# llama-bench's times: the median of each row's samples.
secs = lambda r: statistics.median(r["samples_ns"]) * 1e-9
measured = {}
for r in rows:
    name = r["model_filename"]
    m = measured.setdefault(name, {})
    if r["n_prompt"] and r["n_gen"]: m["pg"] = secs(r)
    elif r["n_prompt"]: m["prompt"] = secs(r)
    else: m["gen"] = secs(r) / r["n_gen"]
for m in measured.values():
    if after_prompt: m["gen"] = (m["pg"] - m["prompt"]) / 8
by = lambda table: {(e["type"], e["cols"], e["rows"]): e for e in table["entries"]}
mine, theirs = by(ours), by(llama)
def matrices(f):
    return [t for t in json.load(open(f"{work}/{f}.json"))["tensors"] if len(t["shape"]) >= 2 and t["name"] != "token_embd.weight"]
def predicted(f):
    p, g = rest["prompt_seconds"], rest["generation_seconds_per_token"]
    for t in matrices(f):
        e = theirs[(t["type"], t["shape"][0], t["shape"][1])]
        p += e["prompt_seconds_per_token"] * 64
        g += e["generation_seconds"]
    return p, g
for f, t in [("a-F16", "F16"), ("a-Q8_0", "Q8_0"), ("a-Q6_K", "Q6_K"), ("a-Q4_K", "Q4_K")]:
    p, g = predicted(f)
    m = measured[f + ".gguf"]
    assert abs(p - m["prompt"]) <= 1e-9 * p and abs(g - m["gen"]) <= 1e-9 * g, (f, p, g, m)
    # Within a type, llama.cpp's entries keep qframe's proportions.
    ratios = {(k[1], k[2]): (theirs[k]["prompt_seconds_per_token"] / mine[k]["prompt_seconds_per_token"],
                             theirs[k]["generation_seconds"] / mine[k]["generation_seconds"]) for k in theirs if k[0] == t}
    assert len(ratios) == 5, ratios
    first = next(iter(ratios.values()))
    assert all(abs(r[0] - first[0]) <= 1e-9 * first[0] and abs(r[1] - first[1]) <= 1e-9 * first[1] for r in ratios.values()), ratios
    assert first[0] > 0 and first[1] > 0
assert 0 <= rest["prompt_seconds"] <= 0.95 * min(m["prompt"] for m in measured.values()) * (1 + 1e-12), rest
assert 0 <= rest["generation_seconds_per_token"] <= 0.95 * min(m["gen"] for m in measured.values()) * (1 + 1e-12), rest
report = json.load(open(f"{out}/trained-a-f16/report.json"))["llama_bench"]
assert report["gen_after_prompt"] == after_prompt and len(report["files"]) == 5, report
mix = [f for f in report["files"] if f["file"] == "a-Q4_K_M.gguf"][0]
assert mix["type"] == "" and mix["qframe_prompt_tps"] > 0, mix
p, g = predicted("a-Q4_K_M")
assert abs(mix["llama_predicted_prompt_tps"] - 64 / p) <= 1e-9 * 64 / p and abs(mix["llama_predicted_gen_tps"] - 1 / g) <= 1e-9 / g, (mix, p, g)
assert abs(mix["llama_prompt_tps"] - 64 / measured["a-Q4_K_M.gguf"]["prompt"]) <= 1e-9 * mix["llama_prompt_tps"], mix
assert report["speed_model"]["mixes"][0]["file"] == "a-Q4_K_M.gguf" and "mean_abs_error" in report["speed_model"], report["speed_model"]
md = open(f"{out}/trained-a-f16/REPORT.md").read()
assert "## llama.cpp's speed (llama-bench) beside qframe's" in md and "### llama.cpp's speed model on the mixes llama-bench timed" in md
assert "| Q6_K |" in md.split("beside qframe's")[1], md
PYEOF
}
check_tables "$WORK/bt" "$WORK/rows.jsonl" 0 || fail "llama.cpp's table from -p and -n rows"

# Generation after the prompt: rows with -pg and no -n.
$PY -c "
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if not (r['n_gen'] and not r['n_prompt']): print(l, end='')" "$ROWS" > "$WORK/pg.jsonl"
"$QFRAME" bench-types "$MODEL" --from-llama-bench "$WORK/pg.jsonl" "${FAST[@]}" --out "$WORK/bt_pg" > /dev/null 2> "$WORK/log.txt" ||
  fail "-pg rows: $(cat "$WORK/log.txt")"
check_tables "$WORK/bt_pg" "$WORK/pg.jsonl" 1 || fail "llama.cpp's table from -p and -pg rows"

# Bad rows: refused before any work, nothing written.
refused() {  # refused WHAT EXPECTED ROWS [ARGS...]
  local what=$1 expected=$2 rows=$3
  shift 3
  if "$QFRAME" bench-types "$MODEL" --from-llama-bench "$rows" "${FAST[@]}" --out "$WORK/bad" "$@" 2> "$WORK/err.txt"; then fail "$what was accepted"; fi
  grep -q "$expected" "$WORK/err.txt" || fail "$what: $(cat "$WORK/err.txt")"
  [ ! -e "$WORK/bad" ] || fail "$what: $WORK/bad was written"
}
sed '2s/"n_threads": 2/"n_threads": 4/' "$ROWS" > "$WORK/threads.jsonl"
refused "rows of two thread counts" "line 2: n_threads 4 where earlier rows have 2" "$WORK/threads.jsonl"
sed '3s/.*/{"build_commit": "unknown", "n_prompt": /' "$ROWS" > "$WORK/broken.jsonl"
refused "a broken line" "line 3: not a row of llama-bench -o jsonl" "$WORK/broken.jsonl"
sed 's/a-Q8_0.gguf/a-Q9_9.gguf/' "$ROWS" > "$WORK/missing.jsonl"
refused "a missing file" "a-Q9_9.gguf (a file of its rows) is neither there nor beside the rows" "$WORK/missing.jsonl"
grep 'a-Q4_K_M.gguf' "$ROWS" > "$WORK/mix_only.jsonl"
refused "rows of no single-type file" "no file of its rows has one type for all its matrices" "$WORK/mix_only.jsonl"
$PY -c "
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if not (r['model_filename'] == 'a-Q4_K_M.gguf' and r['n_gen']): print(l, end='')" "$ROWS" > "$WORK/no_gen.jsonl"
refused "a file without a generation test" "a-Q4_K_M.gguf has no generation test" "$WORK/no_gen.jsonl"
refused "another prompt length" "llama-bench's rows are of 64" "$ROWS" --prompt-tokens 128
if [ -f "$DATA/models/stories260K.gguf" ]; then
  cp "$DATA/models/stories260K.gguf" "$WORK/a-Q8_0.gguf"
  refused "a file of another shape" "a-Q8_0.gguf is not of trained-a-f16.gguf's shape" "$WORK/rows.jsonl"
else
  echo "SKIPPED: a file of another shape (no $DATA/models/stories260K.gguf)"
fi
finish
