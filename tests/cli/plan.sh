# qframe plan on a study of every matrix of trained-a-f16 at Q2_K … Q6_K and Q8_0: at exactly the
# file size of llama.cpp's Q4_K_M, Q3_K_M and Q2_K mixes (quant.mix), the plan's measured mean KLD
# (eval.kl_divergence, the study's text, ctx and chunks) is lower than the mix's; --apply writes
# exactly the planned size, and `qframe run plan.yaml` the same bytes; an infeasible budget names
# the smallest reachable size; --pin, --tie and --types shape the plan.
source "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
# qframe.date from here, not the clock: runs of the same recipe compare byte for byte.
export SOURCE_DATE_EPOCH=1700000000

# A study with baseline stages (FFN matrices at Q8_0 first): the plan keeps those stages for the
# tensors it does not treat and treats the others from the input's values, as the study measured.
"$QFRAME" synth -q --preset llama3 --out "$WORK/l3.gguf"
"$QFRAME" sweep -q tests/cli/data/baseline_q8_ffn.yaml --input "$WORK/l3.gguf" --out "$WORK/based" -j 2 --set study.groups.per=tensor \
  --set 'study.groups.select.name=blk.*.attn_*.weight' \
  --set 'study.treatments=[{quantize: gguf_type, options: {type: Q4_K}, name: q4_k}, {quantize: gguf_type, options: {type: Q8_0}, name: q8_0}]' ||
  fail "sweep with a baseline"
"$QFRAME" plan -q "$WORK/based" --target-bpw 9 --out "$WORK/based-plan.yaml" --apply --output "$WORK/based-plan.gguf" --measure --mixes none \
  --report "$WORK/based-report" > "$WORK/based-plan.txt" || fail "plan of a study with baseline stages"
"$QFRAME" run -q "$WORK/based-plan.yaml" --output "$WORK/based-run.gguf" || fail "qframe run of that plan"
cmp -s "$WORK/based-plan.gguf" "$WORK/based-run.gguf" || fail "qframe run differs from --apply (baseline stages)"
printf 'qframe: 1\nstages: [{ quantize: gguf_type, select: { name: "blk.*.attn_*.weight" }, options: { type: Q4_K } }]\n' > "$WORK/q4.yaml"
"$QFRAME" run -q "$WORK/q4.yaml" --input "$WORK/l3.gguf" --output "$WORK/q4.gguf" || fail "direct Q4_K"
for f in based-plan q4 l3; do "$QFRAME" inspect --json "$WORK/$f.gguf" > "$WORK/$f.json"; done
$PY - "$WORK" <<'PYEOF' || fail "the plan's tensors are not the study's baseline and treatments"
import hashlib, json, sys
w = sys.argv[1]
def tensors(name):
    j = json.load(open(f"{w}/{name}.json")); data = open(f"{w}/{name}.gguf", "rb").read()
    return {t["name"]: (t["type"], hashlib.sha256(data[j["data_offset"] + t["offset"]:][:t["bytes"]]).hexdigest()) for t in j["tensors"]}
plan, q4, f16 = tensors("based-plan"), tensors("q4"), tensors("l3")
types = {n: t for n, (t, _) in plan.items()}
assert all(types[n] == "Q8_0" for n in plan if ".ffn_" in n and n.endswith(".weight") and f16[n][0] == "F16"), "baseline stage lost"
attn = [n for n in plan if ".attn_" in n and n.endswith(".weight") and "norm" not in n]
assert {types[n] for n in attn} <= {"Q4_K", "Q8_0", "F16"} and "Q4_K" in {types[n] for n in attn}, {types[n] for n in attn}
for n in attn:
    if types[n] == "Q4_K": assert plan[n] == q4[n], f"{n}: not the input's values at Q4_K"
    if types[n] == "F16": assert plan[n] == f16[n], f"{n}: baseline bytes changed"
PYEOF

need_data
LIGHT=$(light_study_sets)  # one chunk in the sanitizer pass
CHUNKS=4; [ "$SANITIZED" = 1 ] && CHUNKS=1
MODEL=$DATA/models/trained-a-f16.gguf
TEXT=$DATA/text/wikitext-2-raw-test.txt
"$QFRAME" sweep $LIGHT -q tests/cli/data/trained_a_plan.yaml --out "$WORK/study" -j 2 || fail "sweep"

# kld FILE.yaml: the recipe's stages then eval.kl_divergence against the input, as the study measured.
kld() {
  { cat "$1"; printf '  - evaluate: kl_divergence\n    options: { ctx: 128, chunks: %s, text: %s }\n' "$CHUNKS" "$TEXT"; } > "$1.measure.yaml"
  "$QFRAME" run -q "$1.measure.yaml" --input "$MODEL" --report "$1.report" || fail "measure $1"
  $PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["stages"][-1]["model"]["kld_mean"])' "$1.report/REPORT.json" 2> /dev/null ||
    $PY - "$1.report/REPORT.json" <<'PYEOF'
import json, sys
def walk(x):
    if isinstance(x, dict):
        if "kld_mean" in x: return x["kld_mean"]
        for v in x.values():
            r = walk(v)
            if r is not None: return r
    if isinstance(x, list):
        for v in x:
            r = walk(v)
            if r is not None: return r
print(walk(json.load(open(sys.argv[1]))))
PYEOF
}

for mix in Q4_K_M Q3_K_M Q2_K; do
  printf 'qframe: 1\nname: %s\nmodel: { input: %s }\nstages:\n  - quantize: mix\n    options: { mix: %s }\n' "$mix" "$MODEL" "$mix" > "$WORK/$mix.yaml"
  "$QFRAME" run -q "$WORK/$mix.yaml" --output "$WORK/$mix.gguf" || fail "mix $mix"
  size=$(stat -c %s "$WORK/$mix.gguf")
  "$QFRAME" plan -q "$WORK/study" --target-size "$size" --out "$WORK/plan-$mix.yaml" --apply --output "$WORK/plan-$mix.gguf" > "$WORK/plan-$mix.txt" ||
    fail "plan at $mix's size"
  planned=$(stat -c %s "$WORK/plan-$mix.gguf")
  [ "$planned" -le "$size" ] || fail "plan for $mix: $planned bytes > $size"
  grep -q "within $size bytes: $planned bytes" "$WORK/plan-$mix.txt" || fail "plan for $mix: printed size differs: $(head -1 "$WORK/plan-$mix.txt")"
  "$QFRAME" run -q "$WORK/plan-$mix.yaml" --output "$WORK/run-$mix.gguf" || fail "qframe run plan-$mix.yaml"
  cmp -s "$WORK/plan-$mix.gguf" "$WORK/run-$mix.gguf" || fail "qframe run plan.yaml differs from --apply ($mix)"
  if [ "$mix" = Q4_K_M ]; then
    # Back to llama.cpp: the plan as a tensor type file, applied by qframe quantize (as current
    # llama-quantize would), gives --apply's tensors.
    "$QFRAME" plan -q "$WORK/study" --target-size "$size" --out "$WORK/plan2.yaml" --emit-tensor-types "$WORK/plan.types" > /dev/null ||
      fail "--emit-tensor-types"
    [ "$(grep -c '^\^.*\$=[a-z0-9_]*$' "$WORK/plan.types")" = 30 ] || fail "the tensor type file has no line per matrix: $(head -3 "$WORK/plan.types")"
    "$QFRAME" quantize -q --tensor-type-file "$WORK/plan.types" "$MODEL" "$WORK/plan-quantize.gguf" Q8_0 || fail "quantize --tensor-type-file"
    cmp -s <($PY tests/cli/gguf_bytes.py digests "$WORK/plan-$mix.gguf") <($PY tests/cli/gguf_bytes.py digests "$WORK/plan-quantize.gguf") ||
      fail "the tensor type file gives other tensors than plan --apply"
  fi
  mix_kld=$(kld "$WORK/$mix.yaml")
  plan_kld=$(kld "$WORK/plan-$mix.yaml")
  grep -q "the proxy rel_l2 ranks the study's 180 candidates with Spearman's rho 0\.[5-9]" "$WORK/plan-$mix.txt" ||
    fail "rel_l2 should rank the candidates (fewer bits, more damage): $(tail -1 "$WORK/plan-$mix.txt")"
  predicted=$(sed -n 's/.*predicted kld_mean \([0-9.e+-]*\).*/\1/p' "$WORK/plan-$mix.txt")
  echo "$mix: $size bytes; llama.cpp's mix KLD $mix_kld; the plan ($planned bytes) KLD $plan_kld, predicted $predicted"
  $PY -c 'import sys; m, p = map(float, sys.argv[1:3]); sys.exit(0 if 0 < p < m else 1)' "$mix_kld" "$plan_kld" ||
    fail "at $mix's size the plan's KLD $plan_kld is not below the mix's $mix_kld"
done

# --measure: the plan and the mix measured against the study's baseline agree with the recipes'
# eval.kl_divergence above; the mix's file size is that of the file quant.mix wrote, less the
# qframe.* keys naming its recipe (measured mixes are sized with the input's header).
size=$(stat -c %s "$WORK/Q4_K_M.gguf")
"$QFRAME" plan -q "$WORK/study" --target-size "$size" --out "$WORK/m.yaml" --measure --mixes Q4_K_M --report "$WORK/measured" > /dev/null ||
  fail "plan --measure"
$PY - "$WORK/measured/REPORT.json" "$size" "$(kld "$WORK/plan-Q4_K_M.yaml")" "$(kld "$WORK/Q4_K_M.yaml")" "$WORK/Q4_K_M.gguf" "$MODEL" <<'PYEOF' || fail "--measure disagrees"
import json, sys
sys.path.insert(0, "tests/cli")
from gguf_bytes import Gguf
points = {p["name"]: p for p in json.load(open(sys.argv[1]))["points"]}
size, plan_kld, mix_kld = int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
size -= Gguf(sys.argv[5]).data_start - Gguf(sys.argv[6]).data_start
assert points["Q4_K_M"]["file_bytes"] == size, points["Q4_K_M"]["file_bytes"]
for name, ref in (("plan 1", plan_kld), ("Q4_K_M", mix_kld)):
    got = points[name]["measured"]["kld_mean"]
    assert abs(got - ref) <= 1e-4 * ref, (name, got, ref)
PYEOF

# --frontier: plans from the smallest to the largest size, predicted cost falling as size grows,
# measured, with the mixes on one plot.
"$QFRAME" plan -q "$WORK/study" --frontier 5 --measure --mixes Q2_K,Q4_K_M,Q8_0 --report "$WORK/frontier" > "$WORK/frontier.txt" || fail "--frontier"
for f in REPORT.md REPORT.json frontier.svg frontier.png plan-1.yaml plan-5.yaml; do
  [ -s "$WORK/frontier/$f" ] || fail "--frontier wrote no $f"
done
$PY - "$WORK/frontier/REPORT.json" <<'PYEOF' || fail "frontier"
import json, sys
r = json.load(open(sys.argv[1]))
plans = [p for p in r["points"] if not p["mix"]]
mixes = [p for p in r["points"] if p["mix"]]
assert len(plans) == 5 and len(mixes) == 3
assert plans[0]["file_bytes"] == r["smallest"] and plans[-1]["file_bytes"] <= r["largest"]
assert all(a["file_bytes"] < b["file_bytes"] and a["predicted"] >= b["predicted"] for a, b in zip(plans, plans[1:]))
assert all("kld_mean" in p["measured"] for p in r["points"])
# The gain predictor without an importance matrix (kld_mean ≈ g(group) × rel_l2², g from one
# type of the group): the other types' candidates, held out, ranked at rho ≥ 0.9 overall and
# within each type (rel_l2 alone: about 0.16 within a type), for gains from any of the 6 types.
gains = r["gain_predictor"]
assert gains["error"] == "rel_l2^2", gains["error"]
assert len(gains["checks"]) == 6, gains["checks"]
for c in gains["checks"]:
    assert c["pairs"] == 5 * 30 and c["rho"] >= 0.9 and c["rho_within_min"] >= 0.9, c
PYEOF

# Below the smallest reachable size: refused, naming that size; nothing written.
"$QFRAME" plan "$WORK/study" --target-size 1MiB --out "$WORK/none.yaml" 2> "$WORK/err" && fail "an infeasible budget was accepted"
grep -q "no plan fits 1048576 bytes .* the smallest the study's choices reach is [0-9]* bytes" "$WORK/err" || fail "infeasible: $(cat "$WORK/err")"
[ -e "$WORK/none.yaml" ] && fail "an infeasible plan wrote its recipe"

# Budgets out of any range are refused with their bounds before any work.
for bad in "--target-bpw 1e15:bits per weight are above 0 and at most 64" "--target-bpw=-1:bits per weight are above 0" \
           "--target-size 1e30G:is more than a petabyte" "--frontier 1000000000:--frontier needs 1 to 1000 plans" \
           "--frontier 0:--frontier needs 1 to 1000 plans"; do
  read -r -a words <<< "${bad%%:*}"
  if "$QFRAME" plan "$WORK/study" "${words[@]}" 2> "$WORK/err" > /dev/null; then fail "plan ${bad%%:*}: accepted"; fi
  grep -q -- "${bad#*:}" "$WORK/err" || fail "plan ${bad%%:*}: $(cat "$WORK/err")"
  [ "$(wc -l < "$WORK/err")" -eq 1 ] || fail "plan ${bad%%:*}: more than one line: $(cat "$WORK/err")"
done

# A budget that fits everything: nothing changes, and the plan's recipe is a copy.
"$QFRAME" plan -q "$WORK/study" --target-size 1G --out "$WORK/all.yaml" --apply --output "$WORK/all.gguf" > /dev/null || fail "plan at 1 GB"
$PY tests/cli/gguf_bytes.py same-model "$MODEL" "$WORK/all.gguf" || fail "a plan that changes nothing is not a copy of the input (but for qframe.* keys)"

# Bits per weight; pins; ties; a restricted set of types.
"$QFRAME" plan -q "$WORK/study" --target-bpw 5 --pin 'output=q8_0' --tie 'blk\.([0-9]+)\.attn_[qkv]' --types q3_k,q4_k,q5_k,q8_0 \
  --out "$WORK/shaped.yaml" > "$WORK/shaped.txt" || fail "shaped plan"
$PY - "$WORK/shaped.yaml" "$WORK/shaped.txt" <<'PYEOF' || fail "pins, ties or types not honoured"
import re, sys
text = open(sys.argv[1]).read()
bpw = float(re.search(r"\(([0-9.]+) bits per weight\)", open(sys.argv[2]).read()).group(1))
assert bpw <= 5, bpw
stage_of = {}
for block in re.split(r"\n  # ", text)[1:]:
    treatment = block.split(":")[0]
    for name in re.findall(r'"([^"]+\.weight)"', block):
        stage_of[name] = treatment
assert stage_of.get("output.weight") == "q8_0", stage_of.get("output.weight")
assert set(stage_of.values()) <= {"q3_k", "q4_k", "q5_k", "q8_0"}, set(stage_of.values())
for layer in range(4):
    qkv = {stage_of.get(f"blk.{layer}.attn_{x}.weight", "baseline") for x in "qkv"}
    assert len(qkv) == 1, (layer, qkv)
PYEOF

# What a plan writes never replaces what it reads: the study's results and model stay.
results_sum=$(sha256sum "$WORK/study/results.jsonl" | cut -c1-64)
for target in "--out $WORK/study/results.jsonl" "--out $WORK/p.yaml --apply --output $MODEL" "--out $WORK/p.yaml --emit-tensor-types $WORK/study/study.yaml"; do
  read -r -a words <<< "$target"
  if "$QFRAME" plan -q "$WORK/study" --target-size 1G "${words[@]}" 2> "$WORK/err.txt" > /dev/null; then fail "plan $target: accepted"; fi
  grep -q "refusing to write the output onto the input file" "$WORK/err.txt" || fail "plan $target: $(cat "$WORK/err.txt")"
done
[ "$(sha256sum "$WORK/study/results.jsonl" | cut -c1-64)" = "$results_sum" ] || fail "a refused plan changed the study's results"
finish
