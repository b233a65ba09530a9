# A study and a plan of a mixture-of-experts model (the mixtral preset: a llama with 4 experts,
# 2 per token): every attention matrix and expert tensor of every layer (per layer × role, so
# ffn_gate_exps, ffn_up_exps and ffn_down_exps are groups of their own) at Q4_K and Q3_K; the
# plan at 5 bits per weight is written, has the planned size, mixes the study's types, and the
# engine evaluates it. (llama.cpp c392e50 loads and runs such a plan: checked by hand on
# 2026-12-05 with llama-perplexity, a PPL of 4491 on 4 chunks of 128.)
source "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
"$QFRAME" synth -q --preset mixtral --out "$WORK/moe.gguf"
"$QFRAME" sweep -q recipes/studies/layer_sensitivity.yaml --input "$WORK/moe.gguf" --out "$WORK/study" -j 2 $(light_study_sets) \
  --set 'study.groups.select.name=re:blk\.\d+\.(attn_(q|k|v|output)|ffn_(gate|up|down)_exps)\.weight' || fail "sweep of the MoE model"
"$QFRAME" plan -q "$WORK/study" --target-bpw 5 --apply --output "$WORK/plan.gguf" > "$WORK/plan.txt" || fail "plan of the MoE study"
"$QFRAME" inspect --json "$WORK/plan.gguf" > "$WORK/plan.json" || fail "inspect the plan's file"
cat > "$WORK/ppl.yaml" <<YAML
qframe: 1
stages:
  - evaluate: perplexity
    options: { ctx: 64, chunks: 2, text: "$ROOT/recipes/data/tinystories_sample.txt" }
YAML
"$QFRAME" run -q "$WORK/ppl.yaml" --input "$WORK/plan.gguf" --report "$WORK/r" > /dev/null || fail "the engine evaluates the plan's file"
$PY - "$WORK" <<'PYEOF' || fail "the MoE study and plan"
import json, os, sys
w = sys.argv[1]
rows = [json.loads(l) for l in open(f"{w}/study/results.jsonl")]
groups = {r["group"] for r in rows}
for l in range(4):
    for role in ("attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate_exps", "ffn_up_exps", "ffn_down_exps"):
        assert f"blk.{l}.{role}" in groups, (l, role)
assert len(rows) == 4 * 7 * 2, len(rows)
assert all(r["kld_mean"] > 0 for r in rows), "a treated tensor changed nothing"
# The experts are most of the bytes: each expert group weighs more than any attention group.
size = {r["group"]: r["bytes_before"] for r in rows}
assert min(v for g, v in size.items() if "_exps" in g) > max(v for g, v in size.items() if "attn_" in g)
plan = json.load(open(f"{w}/plan.json"))
types = {t["name"]: t["type"] for t in plan["tensors"]}
exps = [n for n in types if n.endswith("_exps.weight")]
assert len(exps) == 12 and {types[n] for n in exps} <= {"Q8_0", "Q4_K", "Q3_K"}, {types[n] for n in exps}
assert {"Q4_K", "Q3_K"} & set(types.values()), "the plan treats nothing"
print("plan types:", sorted(set(types.values())), "file", os.path.getsize(f"{w}/plan.gguf"), "bytes")
PYEOF
grep -q "bits per weight" "$WORK/plan.txt" || fail "plan summary"
finish
