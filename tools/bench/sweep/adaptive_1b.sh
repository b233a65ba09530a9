#!/usr/bin/env bash
# Time to a plan for the 1.1B synthesized model (tinyllama-1.1b-f16: TinyLlama's shapes, F16
# matrices) at 5 types: an adaptive study of its 154 matrices × {Q2_K … Q6_K} (770 candidates),
# 10 chunks × 512 tokens of wikitext-2, measure_budget BUDGET (its calibration: a few layers of
# each role when the budget cannot pay for every group), candidates stopping once their mean KLD
# is known to KLD_REL_ERROR; then `qframe plan` at 4.5 bits per weight. Prints the dry run, the
# study's and the plan's wall time, peak RSS and what was measured. docs/performance.md quotes it.
#   tools/bench/sweep/adaptive_1b.sh [BUILD] [WORKDIR]   (BUDGET 0.1, KLD_REL_ERROR 0.1, THREADS 2)
set -euo pipefail
BUILD=${1:-build}
WORK=${2:-/tmp/qframe-adaptive-1b}
BUDGET=${BUDGET:-0.1}
KLD_REL_ERROR=${KLD_REL_ERROR:-0.1}
THREADS=${THREADS:-2}
TEXT=$(realpath "${TEXT:-../shared/data/text/wikitext-2-raw-test.txt}")
QF="$BUILD/bin/qframe"
mkdir -p "$WORK"
MODEL="$WORK/tinyllama-1.1b-f16.gguf"
[ -f "$MODEL" ] || "$QF" synth -q --preset tinyllama-1.1b-f16 --out "$MODEL"
cat > "$WORK/study.yaml" <<Y
qframe: 1
name: adaptive-1.1b-k
model: { input: $MODEL }
study:
  text: $TEXT
  ctx: 512
  chunks: 10
  kld_rel_error: $KLD_REL_ERROR
  mode: adaptive
  measure_budget: $BUDGET
  groups: { per: tensor, select: { name: 're:blk\.\d+\.(attn_(q|k|v|output)|ffn_(gate|up|down))\.weight' } }
  treatments:
    - { quantize: gguf_type, options: { type: Q2_K }, name: q2_k }
    - { quantize: gguf_type, options: { type: Q3_K }, name: q3_k }
    - { quantize: gguf_type, options: { type: Q4_K }, name: q4_k }
    - { quantize: gguf_type, options: { type: Q5_K }, name: q5_k }
    - { quantize: gguf_type, options: { type: Q6_K }, name: q6_k }
out: $WORK/study
Y
rm -rf "$WORK/study" "$WORK/.tensor-bank"
echo "model $MODEL ($(($(stat -c %s "$MODEL") / 1048576)) MiB), $THREADS threads, $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2), load $(cut -d' ' -f1 /proc/loadavg), $(date -u +%F)"
"$QF" sweep "$WORK/study.yaml" --dry-run | grep -v '^  '
/usr/bin/time -v "$QF" sweep "$WORK/study.yaml" --threads "$THREADS" 2> "$WORK/sweep.log" || { tail -30 "$WORK/sweep.log"; exit 1; }
/usr/bin/time -v "$QF" plan -q "$WORK/study" --target-bpw 4.5 --out "$WORK/plan-4.5.yaml" > "$WORK/plan.txt" 2> "$WORK/plan.time" ||
  { cat "$WORK/plan.time"; exit 1; }
grep "adaptive study:" "$WORK/sweep.log" | tail -1
/usr/bin/python3 - "$WORK" <<'PY'
import json, sys
work = sys.argv[1]
def seconds(path):
    for line in open(path):
        if "Elapsed (wall clock)" in line:
            parts = [float(p) for p in line.split()[-1].split(":")]
            return sum(p * 60 ** i for i, p in enumerate(reversed(parts)))
def rss(path):
    for line in open(path):
        if "Maximum resident set size" in line: return int(line.split()[-1]) // 1024
rows = [json.loads(l) for l in open(f"{work}/study/results.jsonl")]
measured = [r for r in rows if "predicted" not in r]
summary = json.load(open(f"{work}/study/adaptive.json"))
chunks = [r.get("chunks_scored", 10) for r in measured]
study_s, plan_s = seconds(f"{work}/sweep.log"), seconds(f"{work}/plan.time")
print(f"study: {study_s / 60:.1f} min wall, peak RSS {rss(f'{work}/sweep.log')} MiB; {len(measured)} of {len(rows)} candidates measured "
      f"({summary['calibrated_groups']} groups calibrated at {summary['calibration']}, {summary['rounds']} round(s), settled: {summary['settled']}), "
      f"chunks scored: mean {sum(chunks) / len(chunks):.1f}, {sum(c < 10 for c in chunks)} stopped early; candidates' own time "
      f"{sum(r['seconds'] for r in measured) / 60:.1f} min")
held = summary["held_out"]
print(f"held-out predictions: {held['checked']} checked, rho {held['rho']:.3f}, median error x{held['median_factor']:.2f}")
print(f"plan at 4.5 bpw: {plan_s:.1f} s; time to a plan: {(study_s + plan_s) / 60:.1f} min")
PY
