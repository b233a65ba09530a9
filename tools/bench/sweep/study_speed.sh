#!/usr/bin/env bash
# The sweep benchmark of issue 11: a one-at-a-time study of all 154 matrices of the 1.1B
# synthesized model (tinyllama-1.1b-f16: TinyLlama's shapes, F16 matrices) at Q4_K, 10 chunks ×
# 512 tokens of wikitext-2. A full run takes long on 2 cores, so this times a stated subset —
# the 7 matrices of layers 0, 10 and 21 (21 candidates) on CHUNKS chunks — and extrapolates to
# the whole study: per-candidate time is linear in the chunks and, with layer-prefix reuse, in
# the layers a candidate runs (interpolated between the measured layers), plus the baseline.
# The naive way (every candidate a full evaluation, no baseline reuse) is the layer-0 time for
# all 154 candidates plus a baseline each. docs/performance.md quotes the output.
#   tools/bench/sweep/study_speed.sh [BUILD] [WORKDIR]     (CHUNKS, default 2; THREADS, default 2)
set -euo pipefail
BUILD=${1:-build}
WORK=${2:-/tmp/qframe-bench}
CHUNKS=${CHUNKS:-2}
THREADS=${THREADS:-2}
TEXT=${TEXT:-../shared/data/text/wikitext-2-raw-test.txt}
QF="$BUILD/bin/qframe"
mkdir -p "$WORK"
MODEL="$WORK/tinyllama-1.1b-f16.gguf"
[ -f "$MODEL" ] || "$QF" synth -q --preset tinyllama-1.1b-f16 --out "$MODEL"
cat > "$WORK/study.yaml" <<Y
qframe: 1
name: bench-1.1b-q4_k
model: { input: $MODEL }
study:
  text: $TEXT
  ctx: 512
  chunks: $CHUNKS
  groups: { per: tensor, select: { name: 're:blk\.\d+\.(attn_(q|k|v|output)|ffn_(gate|up|down))\.weight', layers: "0,10,21" } }
  treatments: [{ quantize: gguf_type, options: { type: Q4_K }, name: q4_k }]
out: $WORK/study
Y
rm -rf "$WORK/study" "$WORK/.tensor-bank"
echo "model $MODEL ($(($(stat -c %s "$MODEL") / 1048576)) MiB), $CHUNKS chunks × 512 tokens, $THREADS threads, $(nproc) CPUs, load $(cut -d' ' -f1 /proc/loadavg), $(date -u +%F)"
/usr/bin/time -v "$QF" sweep -q "$WORK/study.yaml" --threads "$THREADS" 2> "$WORK/time.txt" || { cat "$WORK/time.txt"; exit 1; }
wall=$(grep 'Elapsed (wall clock)' "$WORK/time.txt" | awk '{print $NF}')
rss=$(grep 'Maximum resident set size' "$WORK/time.txt" | awk '{print $NF}')
/usr/bin/python3 - "$WORK/study/results.jsonl" "$wall" "$rss" "$CHUNKS" <<'PY'
import json, re, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
wall = sys.argv[2]
parts = [float(p) for p in wall.split(":")]
wall_s = sum(p * 60 ** i for i, p in enumerate(reversed(parts)))
chunks = int(sys.argv[4])
by_layer = {}
for r in rows:
    layer = int(re.match(r"blk\.(\d+)\.", r["group"]).group(1))
    by_layer.setdefault(layer, []).append(r["seconds"])
mean = {l: sum(v) / len(v) for l, v in by_layer.items()}
cand_total = sum(sum(v) for v in by_layer.values())
baseline_s = wall_s - cand_total  # the baseline pass, loading, writing
def at(l):  # linear between the measured layers
    ls = sorted(mean)
    for a, b in zip(ls, ls[1:]):
        if a <= l <= b: return mean[a] + (mean[b] - mean[a]) * (l - a) / (b - a)
    return mean[ls[-1]]
scale = 10 / chunks
full = (baseline_s + sum(7 * at(l) for l in range(22))) * scale
naive = 154 * (mean[0] + baseline_s) * scale
print(f"measured: {len(rows)} candidates in {wall_s:.0f} s wall (baseline and set-up {baseline_s:.0f} s), max RSS {int(sys.argv[3]) // 1024} MiB")
print("| layer | candidates | mean s / candidate |")
print("|---:|---:|---:|")
for l in sorted(mean): print(f"| {l} | {len(by_layer[l])} | {mean[l]:.1f} |")
print(f"extrapolated, 154 matrices × 10 chunks: {full / 60:.0f} min (naive, a full evaluation of both models per candidate: {naive / 60:.0f} min; ratio {naive / full:.1f}×)")
PY
