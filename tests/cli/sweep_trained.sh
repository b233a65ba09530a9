# A study of every matrix of ../shared/data/models/trained-a-f16.gguf at Q2_K, Q3_K and Q4_K:
# the same results with 1 and 2 jobs, from the tensor bank and without it, without layer-prefix
# reuse (every pass from the first layer), from a run killed halfway and resumed, over damaged
# caches and with a bank that cannot store.
source "$(dirname "$0")/lib.sh"
need_data
LIGHT=$(light_study_sets)  # one chunk in the sanitizer pass
PY=/usr/bin/python3
STUDY=tests/cli/data/trained_a_matrices.yaml
"$QFRAME" sweep $LIGHT -q "$STUDY" --out "$WORK/one" -j 1 || fail "sweep -j 1"
"$QFRAME" sweep $LIGHT -q "$STUDY" --out "$WORK/two" -j 2 || fail "sweep -j 2"
"$QFRAME" sweep $LIGHT -q "$STUDY" --out "$WORK/full" -j 2 --no-prefix-reuse --no-bank || fail "sweep --no-prefix-reuse --no-bank"
# The first run made the 90 treated tensors into the bank beside the study folders; the second reused them.
$PY -c 'import json,sys; b=json.load(open(sys.argv[1]))["tensor_bank"]; assert b == {"hits": 0, "misses": 90}, b' "$WORK/one/REPORT.json" || fail "first run's bank"
$PY -c 'import json,sys; b=json.load(open(sys.argv[1]))["tensor_bank"]; assert b == {"hits": 90, "misses": 0}, b' "$WORK/two/REPORT.json" || fail "second run's bank"
$PY -c 'import json,sys; b=json.load(open(sys.argv[1]))["tensor_bank"]; assert b == {"hits": 0, "misses": 0}, b' "$WORK/full/REPORT.json" || fail "--no-bank used the bank"

# Killed once 30 of the 90 results are in, then run again.
"$QFRAME" sweep $LIGHT -q "$STUDY" --out "$WORK/killed" -j 2 &
pid=$!
for _ in $(seq 600); do
  [ "$(ls "$WORK/killed/candidates" 2> /dev/null | wc -l)" -ge 30 ] && break
  sleep 0.05
done
kill -9 "$pid" 2> /dev/null || true
wait "$pid" 2> /dev/null || true
left=$(ls "$WORK/killed/candidates" | wc -l)
[ "$left" -lt 90 ] || fail "the run finished before it was killed ($left results)"
"$QFRAME" sweep $LIGHT "$STUDY" --out "$WORK/killed" -j 2 2> "$WORK/resume.log" || fail "resume"
grep -q "90 candidates, $((90 - left)) to evaluate ($left finished earlier)" "$WORK/resume.log" || fail "resume: $(cat "$WORK/resume.log")"

# Caches verify what they hold: one flipped byte in a bank entry and in the baseline's cached
# log-probabilities is reported and made again, never used (the results below stay equal).
flip_last_byte() { $PY -c 'import sys; f=open(sys.argv[1],"r+b"); f.seek(-1,2); b=f.read(1); f.seek(-1,2); f.write(bytes([b[0]^1]))' "$1"; }
flip_last_byte "$(ls "$WORK"/.tensor-bank/*.tensor | head -1)"
flip_last_byte "$WORK/two/baseline.logprobs.f32"
rm -r "$WORK/two/candidates" "$WORK/two/results.jsonl"
"$QFRAME" sweep $LIGHT "$STUDY" --out "$WORK/two" -j 2 2> "$WORK/damaged.log" || fail "sweep over damaged caches"
grep -q "a damaged tensor-bank entry" "$WORK/damaged.log" || fail "the damaged bank entry went unreported: $(cat "$WORK/damaged.log")"
grep -q "do not match their digest; evaluating the baseline again" "$WORK/damaged.log" || fail "the damaged baseline cache went unreported"
$PY -c 'import json,sys; b=json.load(open(sys.argv[1]))["tensor_bank"]; assert b == {"hits": 89, "misses": 1}, b' "$WORK/two/REPORT.json" || fail "bank after damage"
# A bank that cannot store an entry (here: a folder where each entry would go) is a miss each
# time, never a failed or skipped candidate.
mkdir "$WORK/blocked-bank"
for entry in "$WORK"/.tensor-bank/*.tensor; do mkdir "$WORK/blocked-bank/$(basename "$entry")"; done
"$QFRAME" sweep $LIGHT "$STUDY" --out "$WORK/blocked" -j 2 --bank "$WORK/blocked-bank" 2> "$WORK/blocked.log" || fail "sweep with a blocked bank"
grep -q "tensor bank: not stored" "$WORK/blocked.log" || fail "the blocked bank went unreported: $(cat "$WORK/blocked.log")"

$PY - "$WORK/one/results.jsonl" "$WORK/two/results.jsonl" "$WORK/killed/results.jsonl" "$WORK/full/results.jsonl" \
  "$WORK/blocked/results.jsonl" <<'PYEOF' || fail "results differ"
import json, sys
strip = lambda l: {k: v for k, v in json.loads(l).items() if k != "seconds"}
runs = [list(map(strip, open(p))) for p in sys.argv[1:]]
assert len(runs[0]) == 90 and all(r["kld_mean"] > 0 for r in runs[0])
assert runs[0] == runs[1], "1 job vs 2 jobs"
assert runs[0] == runs[2], "uninterrupted vs killed and resumed"
assert runs[0] == runs[3], "layer-prefix reuse vs full passes (bit-identical)"
assert runs[0] == runs[4], "a bank that stores nothing"
# Fewer bits, more damage: for every matrix Q2_K > Q3_K > Q4_K in relative L2 error.
by = {(r["group"], r["treatment"]): r for r in runs[0]}
for g in {r["group"] for r in runs[0]}:
    assert by[g, "q2_k"]["rel_l2"] > by[g, "q3_k"]["rel_l2"] > by[g, "q4_k"]["rel_l2"], g
PYEOF
finish
