# qframe plan under a speed bound: a study of a synthesized Llama-3-shaped model's attention and
# FFN matrices at Q4_K, Q8_0 and IQ4_NL (whose one-token products are the slowest: a generation
# bound rules them out), the speed table `qframe bench-types` times for it. The plan predicts its
# tokens/s (recomputed here from the table and the output's types); under --min-gen-speed it meets
# the bound and costs no less than the plan without it, which the bound must change; a bound no
# choice reaches is refused naming the fastest, with no file written; a bound alone (no size) plans.
# With --frontier --measure the report gives each plan's and mix's predicted and measured speed.
# No time is asserted: the speeds are the table's, whatever they are on this machine.
source "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
export SOURCE_DATE_EPOCH=1700000000
"$QFRAME" synth -q --preset llama3 --out "$WORK/l3.gguf"
cat > "$WORK/study.yaml" <<'YAML'
qframe: 1
study:
  ctx: 64
  chunks: 2
  groups: { per: tensor, select: { name: "blk.*.weight", type: F16 } }
  treatments:
    - { quantize: gguf_type, options: { type: Q4_K }, name: q4_k }
    - { quantize: gguf_type, options: { type: Q8_0 }, name: q8_0 }
    - { quantize: gguf_type, options: { type: IQ4_NL }, name: iq4_nl }
YAML
"$QFRAME" sweep -q "$WORK/study.yaml" --input "$WORK/l3.gguf" --out "$WORK/study" -j 2 > "$WORK/sweep.log" 2>&1 || fail "sweep: $(tail -5 "$WORK/sweep.log")"
"$QFRAME" bench-types "$WORK/l3.gguf" --types F16,Q4_K,Q8_0,IQ4_NL,Q4_0,Q6_K --threads 1 --repetitions 1 --prompt-tokens 32 --gen-tokens 4 --min-seconds 0 \
  --out "$WORK/bt" > "$WORK/bt.txt" 2>&1 || fail "bench-types: $(cat "$WORK/bt.txt")"
TABLE=$(ls "$WORK"/bt/types-*.json)
gen_tps() { sed -n 's/.*predicted speed: .* prompt tokens\/s .*, \([0-9.]*\) generated tokens\/s.*/\1/p' "$1"; }
cost() { sed -n 's/^plan for .* predicted kld_mean \([0-9.e+-]*\)$/\1/p' "$1"; }

"$QFRAME" plan "$WORK/study" --target-bpw 9 --speed-table "$TABLE" --out "$WORK/free.yaml" --apply --output "$WORK/free.gguf" > "$WORK/free.txt" 2>&1 ||
  fail "plan with a speed table: $(cat "$WORK/free.txt")"
FREE=$(gen_tps "$WORK/free.txt")
[ -n "$FREE" ] || fail "no predicted speed: $(cat "$WORK/free.txt")"
# The fastest plan: every group at its fastest one-token type; a bound between it and the free plan.
"$QFRAME" plan "$WORK/study" --target-bpw 9 --speed-table "$TABLE" --min-gen-speed 1e12 --out "$WORK/none.yaml" > "$WORK/none.txt" 2>&1 &&
  fail "a bound no plan reaches was accepted"
grep -q "no plan within .* is predicted to reach the speed asked (generation): the fastest choices" "$WORK/none.txt" || fail "unreachable bound: $(cat "$WORK/none.txt")"
[ ! -e "$WORK/none.yaml" ] || fail "a refused plan wrote its recipe"
FASTEST=$(sed -n 's/.* predict .* prompt tokens\/s and \([0-9.]*\) generated tokens\/s.*/\1/p' "$WORK/none.txt")
BOUND=$($PY -c "import sys; f, s = float(sys.argv[1]), float(sys.argv[2]); print(f + 0.5 * (s - f))" "$FREE" "$FASTEST")
"$QFRAME" plan "$WORK/study" --target-bpw 9 --speed-table "$TABLE" --min-gen-speed "$BOUND" --out "$WORK/bound.yaml" --apply --output "$WORK/bound.gguf" \
  > "$WORK/bound.txt" 2>&1 || fail "plan under a bound: $(cat "$WORK/bound.txt")"
$PY - "$(gen_tps "$WORK/bound.txt")" "$BOUND" "$FREE" "$(cost "$WORK/bound.txt")" "$(cost "$WORK/free.txt")" <<'PYEOF' || fail "the bounded plan: $(cat "$WORK/bound.txt")"
import sys
tps, bound, free, cost, free_cost = map(float, sys.argv[1:6])
assert free < bound <= tps * (1 + 1e-4), (free, bound, tps)   # the bound binds, and is met
assert cost >= free_cost, (cost, free_cost)                   # at no less cost than the free plan
PYEOF
# The predicted speed is the table's: the rest of a pass plus each product at its type in the file.
for f in free bound; do "$QFRAME" inspect --json "$WORK/$f.gguf" > "$WORK/$f.json" || fail "inspect $f"; done
$PY - "$TABLE" "$WORK" <<'PYEOF' || fail "the predicted speeds are not the table's"
import json, re, sys
table, work = json.load(open(sys.argv[1])), sys.argv[2]
by = {(e["type"], e["cols"], e["rows"]): e for e in table["entries"]}
rest = table["rests"][0]
for name in ("free", "bound"):
    gen = rest["generation_seconds_per_token"]
    for t in json.load(open(f"{work}/{name}.json"))["tensors"]:
        if len(t["shape"]) >= 2 and t["name"] != "token_embd.weight":
            gen += by[(t["type"], t["shape"][0], t["shape"][1])]["generation_seconds"]
    printed = float(re.search(r"predicted speed: .*, ([0-9.]+) generated tokens/s", open(f"{work}/{name}.txt").read()).group(1))
    assert abs(printed - 1 / gen) <= 0.01, (name, printed, 1 / gen)
PYEOF
# The frontier with the table: each plan's predicted speed; --measure times each plan's and mix's
# passes as the table was timed (its threads, prompt and generation lengths) and states the error.
"$QFRAME" plan "$WORK/study" --frontier 3 --speed-table "$TABLE" --measure --mixes Q4_0 --report "$WORK/front" > "$WORK/front.txt" 2>&1 ||
  fail "frontier with a speed table: $(tail -5 "$WORK/front.txt")"
$PY - "$WORK/front/REPORT.json" <<'PYEOF' || fail "the frontier's speeds"
import json, sys
report = json.load(open(sys.argv[1]))
plans = [p for p in report["points"] if not p["mix"]]
assert len(plans) == 3 and all(p["predicted_prompt_tps"] > 0 and p["predicted_gen_tps"] > 0 for p in plans), plans
for p in report["points"]:
    assert p["measured_prompt_tps"] > 0 and p["measured_gen_tps"] > 0 and p["speed_threads"] == 1, p
mix = [p for p in report["points"] if p["mix"]][0]
assert mix["predicted_gen_tps"] > 0, mix  # Q4_0 and the F16 the mix keeps are in the table
sm = report["speed_model"]
assert sm["points"] == 4 and sm["mean_abs_error_gen"] >= 0 and sm["max_abs_error_gen"] >= sm["mean_abs_error_gen"], sm
PYEOF
grep -q "^## Speed" "$WORK/front/REPORT.md" || fail "no speed section in the frontier's report"
if command -v gnuplot > /dev/null; then
  [ -s "$WORK/front/frontier_speed.svg" ] || fail "no speed frontier plot: $(ls "$WORK/front")"
else
  echo "SKIPPED: the speed frontier plot (no gnuplot)"
fi

# A table of llama.cpp's speed (bench-types --from-llama-bench writes one; here qframe's, relabelled):
# the plan says whose speed it predicts, and --measure (qframe's engine here) is refused for it.
$PY - "$TABLE" "$WORK/llama.json" <<'PYEOF' || fail "relabel the table"
import json, sys
t = json.load(open(sys.argv[1]))
t["numerics"], t["cpu"] = "llama.cpp b1234 (CUDA)", "Some CPU + Some GPU"
t["key"] = f"cpu={t['cpu']} threads={t['threads']} prompt_tokens={t['prompt_tokens']} numerics={t['numerics']}"
json.dump(t, open(sys.argv[2], "w"))
PYEOF
"$QFRAME" plan "$WORK/study" --target-bpw 9 --speed-table "$WORK/llama.json" --out "$WORK/llama.yaml" > "$WORK/llama.txt" 2>&1 ||
  fail "plan with llama.cpp's table: $(cat "$WORK/llama.txt")"
grep -q "generated tokens/s (llama.cpp b1234 (CUDA) numerics on Some CPU + Some GPU, 1 thread(s))" "$WORK/llama.txt" || fail "whose speed: $(cat "$WORK/llama.txt")"
if "$QFRAME" plan "$WORK/study" --frontier 2 --speed-table "$WORK/llama.json" --measure --report "$WORK/front2" 2> "$WORK/err.txt"; then
  fail "--measure with llama.cpp's table"
fi
grep -q "the speed table is of llama.cpp b1234" "$WORK/err.txt" || fail "--measure with llama.cpp's table: $(cat "$WORK/err.txt")"
[ ! -e "$WORK/front2" ] || fail "a refused frontier wrote its report"

# A bound alone: the plan is as large as it needs to be.
"$QFRAME" plan "$WORK/study" --speed-table "$TABLE" --min-gen-speed "$BOUND" --out "$WORK/alone.yaml" > "$WORK/alone.txt" 2>&1 ||
  fail "a speed bound without a size: $(cat "$WORK/alone.txt")"
if "$QFRAME" plan "$WORK/study" --target-bpw 9 --min-gen-speed 10 2> "$WORK/err.txt"; then fail "a bound without a table"; fi
grep -q "need --speed-table" "$WORK/err.txt" || fail "bound without a table: $(cat "$WORK/err.txt")"
if "$QFRAME" plan "$WORK/study" --target-bpw 9 --speed-table "$WORK/missing.json" 2> "$WORK/err.txt"; then fail "a missing table"; fi
grep -q "cannot read the table of type timings" "$WORK/err.txt" || fail "missing table: $(cat "$WORK/err.txt")"
finish
