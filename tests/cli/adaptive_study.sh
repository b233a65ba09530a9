# An adaptive study (mode: adaptive, measure_budget 0.25) of every matrix of trained-a at Q2_K …
# Q6_K against the full one-at-a-time study: it measures at most a quarter of the candidates
# (one per group to calibrate the gain predictor, then what the plans choose or stand next to),
# predicts the rest, and its plans at the sizes of llama.cpp's Q2_K, Q3_K_M and Q4_K_M mixes have
# a mean KLD within 10% of the full study's plans, measured on text neither study saw (the last
# 290 lines of wikitext-2, which trained-a did not see either). A second run measures nothing;
# results.jsonl marks the predicted candidates; `qframe plan` says how many chosen costs are
# predicted. Also: the dry run's budget and memory; a compact baseline's KLD within its stated
# bound on every candidate; candidates that stop early (study.kld_rel_error) measure exactly what
# a shorter study does. The sanitizer pass runs the studies on one chunk and checks the mechanics
# only.
source "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
need_data
MODEL=$DATA/models/trained-a-f16.gguf
STUDY=tests/cli/data/trained_a_k.yaml
LIGHT=$(light_study_sets)
ADAPTIVE=(--set study.mode=adaptive --set study.measure_budget=0.25)

# The dry run: the budget, the work and the memory (trained-a: 4096 tokens, 4 layers 256 wide;
# 8 chunks × 127 scored positions × 4096 × 4 bytes = 16 MiB of log-probabilities; the streams
# entering layers 1, 2, 3 and the output, where candidates start (layer 0's start from the
# tokens): 8 × 4 × 256 × 256 × 4 bytes = 8 MiB); nothing written.
"$QFRAME" sweep "$STUDY" --out "$WORK/dry" "${ADAPTIVE[@]}" --dry-run > "$WORK/dry.txt" || fail "dry run"
grep -q "adaptive: at most 37 of the 150 candidates measured (measure_budget 0.25), 30 of the 30 groups calibrated" "$WORK/dry.txt" || fail "dry run: $(cat "$WORK/dry.txt")"
grep -q "memory (estimated): the model mapped, [0-9]* MiB; besides it, the baseline's log-probabilities 16 MiB, layer streams 8 MiB" "$WORK/dry.txt" ||
  fail "dry run memory: $(grep memory "$WORK/dry.txt")"
[ ! -e "$WORK/dry" ] || fail "a dry run created the study folder"

"$QFRAME" sweep -q $LIGHT "$STUDY" --out "$WORK/full" -j 2 || fail "the full study"
"$QFRAME" sweep $LIGHT "$STUDY" --out "$WORK/adaptive" -j 2 "${ADAPTIVE[@]}" 2> "$WORK/adaptive.log" || fail "the adaptive study: $(tail -3 "$WORK/adaptive.log")"
grep -q "adaptive study: [0-9]* of 150 candidates measured (budget 37), 30 of 30 groups calibrated at q4_k" "$WORK/adaptive.log" ||
  fail "the adaptive study's summary: $(tail -1 "$WORK/adaptive.log")"

$PY - "$WORK/adaptive" "$WORK/full" <<'PYEOF' || fail "the adaptive study's results"
import json, sys
adaptive, full = sys.argv[1:3]
summary = json.load(open(f"{adaptive}/adaptive.json"))
rows = [json.loads(l) for l in open(f"{adaptive}/results.jsonl")]
measured = [r for r in rows if "predicted" not in r]
predicted = [r for r in rows if "predicted" in r]
assert len(rows) == 150 and summary["candidates"] == 150 and summary["groups"] == 30, summary
# At most the budget measured; every group calibrated at the middle type by error.
assert 30 <= len(measured) == summary["measured"] <= summary["budget"] == 37, (len(measured), summary)
assert {r["group"] for r in measured if r["treatment"] == "q4_k"} == {r["group"] for r in rows}
# A predicted candidate: the model-free keys, the costs a plan may minimise, what it came from.
for r in predicted:
    assert all(k in r for k in ("kld_mean", "kld_p99", "dppl", "rel_l2", "bytes_after_per_tensor")), r.keys()
    assert "ppl" not in r and f'{r["group"]}@q4_k' in r["predicted"]["from"] and r["predicted"]["error_key"] == "rel_l2^2", r
    assert r["kld_mean"] > 0
# The measured candidates are the full study's, to the last digit (the same key, the same arithmetic).
full_rows = {(r["group"], r["treatment"]): r for r in map(json.loads, open(f"{full}/results.jsonl"))}
for r in measured:
    assert r["kld_mean"] == full_rows[(r["group"], r["treatment"])]["kld_mean"], r["group"]
# Held out: candidates measured after they were predicted.
held = summary["held_out"]
assert held["checked"] == len(measured) - 30 == len(held["candidates"]), held
print(f"adaptive: {len(measured)} measured, {len(predicted)} predicted; held-out check of {held['checked']}: "
      f"rho {held['rho']:.3f}, median error x{held['median_factor']:.2f}")
PYEOF

# A calibration of 2 layers per role (study.calibrate_layers; the default when the budget cannot
# pay for every group): layers 0 and 3 of each role and the two groups outside the blocks are
# measured; a group of layer 1 or 2 none of whose candidates is measured takes its gain from its
# role's nearest measured layers below and above, and its predictions rank the full study's
# measurements.
"$QFRAME" sweep $LIGHT "$STUDY" --out "$WORK/layers" -j 2 --set study.mode=adaptive --set study.measure_budget=0.2 \
  --set study.calibrate_layers=2 2> "$WORK/layers.log" || fail "the adaptive study calibrated on 2 layers per role: $(tail -3 "$WORK/layers.log")"
grep -q "adaptive study: [0-9]* of 150 candidates measured (budget 30), 16 of 30 groups calibrated at q4_k" "$WORK/layers.log" ||
  fail "the layer-calibrated study's summary: $(tail -1 "$WORK/layers.log")"
$PY - "$WORK/layers" "$WORK/full" "$SANITIZED" <<'PYEOF' || fail "the layer-calibrated study's results"
import json, sys
layers, full, sanitized = sys.argv[1:4]
summary = json.load(open(f"{layers}/adaptive.json"))
rows = [json.loads(l) for l in open(f"{layers}/results.jsonl")]
assert summary["calibrated_groups"] == 16 and summary["measured"] <= 30, summary
measured = {r["group"] for r in rows if "predicted" not in r}
outside = {r["group"] for r in rows if not r["group"].startswith("blk.")}
assert outside == {"token_embd.weight", "output.weight"} and outside <= measured, outside
for role in ("attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down"):
    assert {f"blk.0.{role}.weight", f"blk.3.{role}.weight"} <= measured, role
full_kld = {(r["group"], r["treatment"]): r["kld_mean"] for r in map(json.loads, open(f"{full}/results.jsonl"))}
borrowed = [r for r in rows if r["group"] not in measured]
assert borrowed, "every group was measured"
for r in borrowed:  # from its role's nearest measured layers below and above
    layer, role = r["group"].split(".", 2)[1:]
    assert layer in ("1", "2"), r["group"]
    layers = [int(g.split(".")[1]) for g in measured if g.startswith("blk.") and g.split(".", 2)[2] == role]
    near = {f"blk.{max(l for l in layers if l < int(layer))}.{role}", f"blk.{min(l for l in layers if l > int(layer))}.{role}"}
    assert {f.split("@")[0] for f in r["predicted"]["from"]} == near, (r["group"], r["predicted"], near)
def ranks(v):
    order = sorted(range(len(v)), key=lambda i: v[i])
    out = [0] * len(v)
    for rank, i in enumerate(order): out[i] = rank
    return out
p = ranks([r["kld_mean"] for r in borrowed])
m = ranks([full_kld[(r["group"], r["treatment"])] for r in borrowed])
n = len(p)
rho = 1 - 6 * sum((a - b) ** 2 for a, b in zip(p, m)) / (n * (n * n - 1))
print(f"calibrated on layers 0 and 3: {len(borrowed)} candidates of unmeasured groups predicted from their role's neighbours, "
      f"Spearman's rho {rho:.3f} against the full study")
assert sanitized == "1" or rho >= 0.9, rho
PYEOF

# Resumed: nothing measured again, the same results.
before=$(sha256sum < "$WORK/adaptive/results.jsonl")
"$QFRAME" sweep $LIGHT "$STUDY" --out "$WORK/adaptive" -j 2 "${ADAPTIVE[@]}" 2> "$WORK/again.log" || fail "the adaptive study again"
grep -q "candidate(s) to evaluate\|evaluating the baseline" "$WORK/again.log" && fail "a resumed adaptive study measured again: $(cat "$WORK/again.log")"
[ "$(sha256sum < "$WORK/adaptive/results.jsonl")" = "$before" ] || fail "a resumed adaptive study changed its results"
grep -q "of the 150 candidates' costs are predicted" "$WORK/adaptive/REPORT.md" || fail "REPORT.md does not say which costs are predicted"

# A compact baseline (study.baseline_tail_mass 1e-4: each position's most likely tokens until at
# most 1e-4 of the probability is left, and that rest): on every candidate of the full study the
# mean KLD is at most 0.1% low and never high (the coarsened divergence is a lower bound), the
# top-1 agreement and perplexity are the same; no full log-probabilities are stored.
"$QFRAME" sweep -q $LIGHT "$STUDY" --out "$WORK/compact" -j 2 --set study.baseline_tail_mass=1e-4 || fail "a study with a compact baseline"
[ -s "$WORK/compact/baseline.compact.bin" ] && [ ! -e "$WORK/compact/baseline.logprobs.f32" ] || fail "the compact baseline's cache: $(ls "$WORK/compact")"
$PY - "$WORK/full/results.jsonl" "$WORK/compact/results.jsonl" <<'PYEOF' || fail "the compact baseline's KLD"
import json, sys
full = {(r["group"], r["treatment"]): r for r in map(json.loads, open(sys.argv[1]))}
worst = 0
for r in map(json.loads, open(sys.argv[2])):
    f = full[(r["group"], r["treatment"])]
    gap = (f["kld_mean"] - r["kld_mean"]) / f["kld_mean"]
    assert -1e-9 <= gap <= 1e-3, (r["group"], r["treatment"], f["kld_mean"], r["kld_mean"])
    assert r["top1_agreement"] == f["top1_agreement"] and r["ppl"] == f["ppl"], r["group"]
    worst = max(worst, gap)
print(f"compact baseline (tail mass 1e-4): mean KLD at most {worst:.2e} low (relative)")
PYEOF

if [ "$SANITIZED" = 1 ]; then
  echo "SKIPPED: the plans' KLD on held-out text (one-chunk studies in the sanitizer pass)"
  finish
  exit 0
fi

# Candidates that stop early (study.kld_rel_error: the mean KLD's relative standard error over
# the chunks so far, 4 chunks at least): a candidate that stopped after N chunks measured what a
# study of N chunks measures, to the last digit, and said how well it knew it.
Q3=(--set 'study.treatments=[{quantize: gguf_type, options: {type: Q3_K}, name: q3_k}]')
"$QFRAME" sweep -q "$STUDY" --out "$WORK/stop" -j 2 "${Q3[@]}" --set study.kld_rel_error=0.1 || fail "a study with kld_rel_error"
"$QFRAME" sweep -q "$STUDY" --out "$WORK/four" -j 2 "${Q3[@]}" --set study.chunks=4 || fail "a study of 4 chunks"
$PY - "$WORK/stop/results.jsonl" "$WORK/four/results.jsonl" <<'PYEOF' || fail "early stops"
import json, sys
stop = [json.loads(l) for l in open(sys.argv[1])]
four = {r["group"]: r for r in map(json.loads, open(sys.argv[2]))}
assert all(4 <= r["chunks_scored"] <= 8 and r["scored_tokens"] == 127 * r["chunks_scored"] for r in stop)
early = [r for r in stop if r["chunks_scored"] < 8]
assert len(early) >= 10, len(early)
assert all(r["kld_rel_error"] <= 0.1 for r in early)
at_four = [r for r in early if r["chunks_scored"] == 4]
assert at_four
for r in at_four:
    for key in ("kld_mean", "kld_p99", "ppl", "ppl_baseline", "dppl"):
        assert r[key] == four[r["group"]][key], (r["group"], key, r[key], four[r["group"]][key])
print(f"kld_rel_error 0.1: {len(early)} of {len(stop)} candidates stopped early, {len(at_four)} after 4 chunks")
PYEOF

# The plans, measured on held-out text.
tail -n 290 "$DATA/text/wikitext-2-raw-test.txt" > "$WORK/held_out.txt"
kld() {
  { cat "$1"; printf '  - evaluate: kl_divergence\n    options: { ctx: 256, chunks: 16, text: %s }\n' "$WORK/held_out.txt"; } > "$1.measure.yaml"
  "$QFRAME" run -q "$1.measure.yaml" --input "$MODEL" --report "$1.report" > /dev/null || fail "measure $1"
  $PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["stages"][-1]["results"][0]["kld_mean"])' "$1.report/REPORT.json"
}
for mix in Q2_K Q3_K_M Q4_K_M; do
  printf 'qframe: 1\nname: %s\nmodel: { input: %s }\nstages:\n  - quantize: mix\n    options: { mix: %s }\n' "$mix" "$MODEL" "$mix" > "$WORK/$mix.yaml"
  "$QFRAME" run -q "$WORK/$mix.yaml" --output "$WORK/$mix.gguf" || fail "mix $mix"
  size=$(stat -c %s "$WORK/$mix.gguf")
  for study in full adaptive; do
    "$QFRAME" plan -q "$WORK/$study" --target-size "$size" --out "$WORK/$study-$mix.yaml" > "$WORK/$study-$mix.txt" || fail "plan of the $study study at $mix's size"
  done
  grep -q "of the 30 groups' chosen costs are predicted by the adaptive study" "$WORK/adaptive-$mix.txt" ||
    fail "the adaptive plan does not say which costs are predicted: $(cat "$WORK/adaptive-$mix.txt")"
  full=$(kld "$WORK/full-$mix.yaml")
  adaptive=$(kld "$WORK/adaptive-$mix.yaml")
  echo "$mix ($size bytes): held-out KLD of the full study's plan $full, of the adaptive study's $adaptive"
  $PY -c 'import sys; f, a = map(float, sys.argv[1:3]); sys.exit(0 if 0 < a <= 1.10 * f else 1)' "$full" "$adaptive" ||
    fail "at $mix's size the adaptive plan's KLD $adaptive is not within 10% of the full study's $full"
done
finish
