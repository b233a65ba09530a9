# qframe sweep on the synthesized default model: the candidates a study lists, the results'
# keys, one candidate cross-checked against a recipe with eval.kl_divergence and
# eval.perplexity, a re-run that evaluates nothing, a resumed run equal to an uninterrupted one,
# and a failing candidate that does not stop the others.
source "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
"$QFRAME" synth -q --out "$WORK/m.gguf"
STUDY=recipes/studies/layer_sensitivity.yaml
SWEEP=("$QFRAME" sweep "$STUDY" --input "$WORK/m.gguf" --set study.ctx=64 --set study.chunks=3)

"${SWEEP[@]}" --out "$WORK/a" --dry-run > "$WORK/dry.txt"
grep -q "56 candidate(s) (2 treatment(s))" "$WORK/dry.txt" || fail "dry run: $(head -1 "$WORK/dry.txt")"
grep -q "blk.3.ffn_down@q3_k .* 1 tensor(s) .* 208896 bytes" "$WORK/dry.txt" || fail "dry run lacks blk.3.ffn_down@q3_k"
grep -q "work: 10944 tokens" "$WORK/dry.txt" || fail "dry run work: $(grep work "$WORK/dry.txt")"
[ ! -e "$WORK/a" ] || fail "the dry run wrote the study folder"
# all_but_one: each candidate treats the other 27 matrices (4 layers × 835584 bytes − ffn_down's 208896).
"${SWEEP[@]}" --out "$WORK/a" --set study.mode=all_but_one --dry-run > "$WORK/dry2.txt"
grep -q "blk.3.ffn_down@q3_k .* 27 tensor(s) .* 3133440 bytes" "$WORK/dry2.txt" || fail "all_but_one: $(grep ffn_down@q3_k "$WORK/dry2.txt")"

"${SWEEP[@]}" --out "$WORK/a" -q || fail "sweep"
$PY - "$WORK/a/results.jsonl" <<'PYEOF' || fail "results.jsonl"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == 56, len(rows)
keys = ["group", "treatment", "tensors", "bytes_before", "bytes_after", "kld_mean", "kld_p99", "kld_p999", "kld_max",
        "top1_agreement", "ppl", "ppl_baseline", "dppl", "dppl_err", "rel_l2", "seconds"]
for r in rows:
    missing = [k for k in keys if k not in r]
    assert not missing, (r["group"], missing)
    assert r["tensors"] == [r["group"] + ".weight"], r
    assert 0 <= r["kld_mean"] <= r["kld_p99"] <= r["kld_p999"] <= r["kld_max"], r
    assert r["bytes_after"] < r["bytes_before"] == 69632 or r["bytes_before"] in (34816, 208896), r
    assert abs(r["dppl"] - (r["ppl"] - r["ppl_baseline"])) < 1e-9 and r["dppl_err"] > 0
# 3 bits cost more than 4, in the values and, summed over the model, in the KL divergence.
by = {(r["group"], r["treatment"]): r for r in rows}
assert all(by[g, "q3_k"]["rel_l2"] > by[g, "q4_k"]["rel_l2"] for g, _ in by)
assert sum(r["kld_mean"] for r in rows if r["treatment"] == "q3_k") > sum(r["kld_mean"] for r in rows if r["treatment"] == "q4_k")
PYEOF

# The same change through a recipe, judged by the model evaluators, gives the same numbers.
cat > "$WORK/one.yaml" <<Y
qframe: 1
stages:
  - quantize: gguf_type
    select: { name: blk.1.ffn_down.weight }
    options: { type: Q3_K }
  - evaluate: kl_divergence
    options: { ctx: 64, chunks: 3, text: $ROOT/recipes/data/tinystories_sample.txt }
  - evaluate: perplexity
    options: { ctx: 64, chunks: 3, text: $ROOT/recipes/data/tinystories_sample.txt }
Y
"$QFRAME" run -q "$WORK/one.yaml" --input "$WORK/m.gguf" --report "$WORK/one"
$PY - "$WORK/a/results.jsonl" "$WORK/one/REPORT.json" <<'PYEOF' || fail "sweep and recipe disagree"
import json, sys
row = [r for r in map(json.loads, open(sys.argv[1])) if r["group"] == "blk.1.ffn_down" and r["treatment"] == "q3_k"][0]
report = json.load(open(sys.argv[2]))
found = {}
def walk(x):
    if isinstance(x, dict):
        found.update({k: v for k, v in x.items() if isinstance(v, (int, float))})
        for v in x.values(): walk(v)
    elif isinstance(x, list):
        for v in x: walk(v)
walk(report["stages"][1])
kld = found["kld_mean"]
walk(report["stages"][2])
assert abs(row["kld_mean"] - kld) <= 1e-4 * kld, (row["kld_mean"], kld)
assert abs(row["top1_agreement"] - found["top1_agreement"]) < 1e-12
assert abs(row["ppl"] - found["ppl_result"]) <= 1e-6 * row["ppl"] and abs(row["ppl_baseline"] - found["ppl_original"]) <= 1e-6 * row["ppl"]
PYEOF

# A re-run evaluates no model; deleting half the results and re-running gives the same results.
"${SWEEP[@]}" --out "$WORK/a" 2> "$WORK/rerun.log" || fail "re-run"
grep -q "56 candidates, 0 to evaluate (56 finished earlier)" "$WORK/rerun.log" || fail "re-run evaluated: $(cat "$WORK/rerun.log")"
grep -q "evaluating the baseline" "$WORK/rerun.log" && fail "re-run evaluated the baseline again"
cp "$WORK/a/results.jsonl" "$WORK/first.jsonl"
ls "$WORK/a/candidates/"*.json | sort | head -28 | xargs rm
"${SWEEP[@]}" --out "$WORK/a" -j 2 2> "$WORK/resume.log" || fail "resume"
grep -q "56 candidates, 28 to evaluate" "$WORK/resume.log" || fail "resume: $(cat "$WORK/resume.log")"
$PY - "$WORK/first.jsonl" "$WORK/a/results.jsonl" <<'PYEOF' || fail "resumed results differ"
import json, sys
strip = lambda l: {k: v for k, v in json.loads(l).items() if k != "seconds"}
a, b = [list(map(strip, open(p))) for p in sys.argv[1:]]
assert a == b
PYEOF
grep -q "Most sensitive" "$WORK/a/REPORT.md" || fail "REPORT.md"
# The pictures: a heatmap and the roles across layers per treatment, as PNG and SVG, linked.
for t in q4_k q3_k; do
  for kind in heatmap roles; do
    [ "$(head -c 4 "$WORK/a/plots/${kind}_$t.png" | od -An -tx1 | tr -d ' ')" = 89504e47 ] || fail "${kind}_$t.png is not a PNG"
    grep -q "<svg" "$WORK/a/plots/${kind}_$t.svg" || fail "${kind}_$t.svg is not an SVG"
    grep -qF "](plots/${kind}_$t.png)" "$WORK/a/REPORT.md" || fail "REPORT.md does not show ${kind}_$t.png"
  done
done

# A study with baseline stages: the baseline model is written once into the study folder, and
# candidates are measured against it (its perplexity differs from the input's).
"$QFRAME" synth -q --preset llama3 --out "$WORK/l3.gguf"
BASED=(tests/cli/data/baseline_q8_ffn.yaml --input "$WORK/l3.gguf" --out "$WORK/base")
"$QFRAME" sweep -q "${BASED[@]}" || fail "sweep with a baseline"
grep -q "Q8_0 *12 tensors" <<< "$("$QFRAME" inspect "$WORK/base/baseline.gguf" --tensors 'blk.*.ffn_*')" || fail "baseline.gguf lacks the Q8_0 FFN matrices"
touch -d '2000-01-01' "$WORK/base/baseline.gguf"
"$QFRAME" sweep -q "${BASED[@]}" --set study.chunks=3 || fail "second sweep with a baseline"
[ "$(stat -c %Y "$WORK/base/baseline.gguf")" = "$(date -d 2000-01-01 +%s)" ] || fail "the baseline model was written again"
"$QFRAME" sweep -q tests/cli/data/baseline_q8_ffn.yaml --input "$WORK/l3.gguf" --out "$WORK/nobase" --set 'baseline=[]' || fail "sweep without a baseline"
$PY - "$WORK/base/results.jsonl" "$WORK/nobase/results.jsonl" <<'PYEOF' || fail "baseline results"
import json, sys
a, b = [[json.loads(l) for l in open(p)] for p in sys.argv[1:]]
assert len(a) == len(b) == 4
assert a[0]["ppl_baseline"] != b[0]["ppl_baseline"], (a[0]["ppl_baseline"], b[0]["ppl_baseline"])
PYEOF

# A candidate that fails is reported; the others finish; the exit code says so.
cat > "$WORK/bad.yaml" <<Y
qframe: 1
plugins: [$BUILD/lib/test-plugins/bad_stages.so]
model: { input: $WORK/m.gguf }
study:
  ctx: 64
  chunks: 2
  groups: { per: role, select: { name: ["blk.*.ffn_up.weight", "blk.*.ffn_down.weight"] } }
  treatments:
    - { quantize: test_throws }
    - { quantize: gguf_type, options: { type: Q8_0 }, name: q8_0 }
out: $WORK/bad
Y
set +e; "$QFRAME" sweep -q "$WORK/bad.yaml" 2> "$WORK/bad.log"; code=$?; set -e
[ "$code" -eq 1 ] || fail "failing candidate: exit $code"
grep -q "candidate ffn_up@test_throws failed: deliberate failure" "$WORK/bad.log" || fail "failure not reported: $(cat "$WORK/bad.log")"
[ "$(grep -c '"kld_mean"' "$WORK/bad/results.jsonl")" -eq 2 ] || fail "the other candidates did not finish"
grep -q "failed.*ffn_down @ test_throws: deliberate failure" "$WORK/bad/REPORT.md" || fail "REPORT.md lacks the failure"
finish
