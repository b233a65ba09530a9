# The Slurm executor on a real single-node cluster started here (tools/slurm/local_cluster.sh):
# the acceptance study (every matrix of trained-a-f16 at Q2_K, Q3_K, Q4_K) gives the same results
# through Slurm as locally; a failed array task is named with its log, the merge is cancelled, and
# the next run evaluates only what that task left; Slurm's refusal of a setting comes before any work.
source "$(dirname "$0")/lib.sh"
need_data
LIGHT=$(light_study_sets)  # one chunk in the sanitizer pass
if [ "$(id -u)" -ne 0 ] || ! command -v slurmctld > /dev/null || ! command -v slurmd > /dev/null || ! command -v sbatch > /dev/null; then
  echo "SKIP: a local Slurm cluster needs root and Debian's slurmctld, slurmd and slurm-client (tools/quickstart/test.sh installs them)"
  exit 77
fi
PY=/usr/bin/python3
STUDY=tests/cli/data/trained_a_matrices.yaml
CLUSTER=tools/slurm/local_cluster.sh
trap '"$CLUSTER" stop "$WORK/cluster"; rm -rf "$WORK"' EXIT
"$CLUSTER" start "$WORK/cluster" > /dev/null || { fail "the local cluster did not start"; finish; }
export SLURM_CONF=$WORK/cluster/slurm.conf

"$QFRAME" sweep $LIGHT -q "$STUDY" --out "$WORK/local" -j 2 || fail "local sweep"

# Settings from the study's executor: section (through --set); they are not part of the study's key.
"$QFRAME" sweep $LIGHT "$STUDY" --out "$WORK/slurm" --set executor.kind=slurm --set executor.tasks=3 --set executor.cpus_per_task=1 --poll 0.1 \
  2> "$WORK/slurm.log" || fail "slurm sweep: $(cat "$WORK/slurm.log")"
grep -q "array job [0-9]* (3 tasks for 90 candidates)" "$WORK/slurm.log" || fail "not 3 array tasks: $(cat "$WORK/slurm.log")"
grep -q -- "--cpus-per-task=1" "$WORK"/slurm/slurm/1/*.sh && fail "sbatch options went into the job scripts"
[ -f "$WORK/slurm/slurm/1/task-2.log" ] || fail "no log of array task 2"
"$QFRAME" sweep $LIGHT "$STUDY" --out "$WORK/slurm" 2> "$WORK/local-over-slurm.log" || fail "local re-run"
grep -q "90 candidates, 0 to evaluate (90 finished earlier)" "$WORK/local-over-slurm.log" || fail "the executor changed the study's key"

# A task that cannot write a result fails; the others finish; the merge never runs.
blocked="$WORK/fail/candidates/token_embd.weight@q3_k.json"
mkdir -p "$blocked/in-the-way"
"$QFRAME" sweep $LIGHT "$STUDY" --out "$WORK/fail" --executor slurm --tasks 3 --poll 0.1 2> "$WORK/fail.log" && fail "a failed array task went unreported"
grep -q "1 of 3 array tasks failed" "$WORK/fail.log" || fail "no failed task named: $(cat "$WORK/fail.log")"
grep -q "array task 1 (job [0-9]*_1) failed (FAILED, exit 1:0.*); log: $WORK/fail/slurm/1/task-1.log" "$WORK/fail.log" || fail "failed task without its log: $(cat "$WORK/fail.log")"
grep -q "token_embd.weight@q3_k.json: is a folder; the output is a file" "$WORK/fail/slurm/1/task-1.log" || fail "the task's log does not say why"
[ -e "$WORK/fail/results.jsonl" ] && fail "the merge ran after a failed task"
[ -z "$(squeue -h)" ] || fail "jobs left in the queue: $(squeue)"
done_before=$(find "$WORK/fail/candidates" -name '*.json' -type f | wc -l)
rm -rf "$blocked"
"$QFRAME" sweep $LIGHT "$STUDY" --out "$WORK/fail" --executor slurm --tasks 3 --poll 0.1 2> "$WORK/resume.log" || fail "resume: $(cat "$WORK/resume.log")"
grep -q "90 candidates, $((90 - done_before)) to evaluate ($done_before finished earlier)" "$WORK/resume.log" || fail "resume: $(cat "$WORK/resume.log")"
[ -d "$WORK/fail/slurm/2" ] || fail "the second submission has no folder of its own"

# Slurm's word on a setting comes before anything is written.
"$QFRAME" sweep $LIGHT "$STUDY" --out "$WORK/refused" --executor slurm --partition no-such-partition 2> "$WORK/refused.log" && fail "a bad partition was accepted"
grep -q "invalid partition" "$WORK/refused.log" || fail "no reason given: $(cat "$WORK/refused.log")"
[ -e "$WORK/refused" ] && fail "a refused submission wrote its study folder"

$PY - "$WORK/local/results.jsonl" "$WORK/slurm/results.jsonl" "$WORK/fail/results.jsonl" <<'PYEOF' || fail "results differ"
import json, sys
strip = lambda l: {k: v for k, v in json.loads(l).items() if k != "seconds"}
local, slurm, resumed = [list(map(strip, open(p))) for p in sys.argv[1:]]
assert len(local) == 90 and all(r["kld_mean"] > 0 for r in local)
assert local == slurm, "local vs slurm"
assert local == resumed, "local vs slurm with a failed task, resumed"
PYEOF
finish
