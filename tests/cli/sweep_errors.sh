# Bad study files fail before any work: file:line:column, exit code 1, one line, no study folder.
source "$(dirname "$0")/lib.sh"
"$QFRAME" synth -q --out "$WORK/m.gguf"

check() {  # check NAME PATTERN [sweep args]: study text on stdin (its model and out are filled in)
  local name=$1 pattern=$2; shift 2
  rm -rf "$WORK/out"
  { echo "qframe: 1"; echo "model: { input: $WORK/m.gguf }"; echo "out: $WORK/out"; cat; } > "$WORK/$name.yaml"
  set +e; "$QFRAME" sweep -q "$WORK/$name.yaml" "$@" 2> "$WORK/err"; local code=$?; set -e
  [ "$code" -eq 1 ] || fail "$name: exit code $code, expected 1 ($(cat "$WORK/err"))"
  grep -qF -- "$pattern" "$WORK/err" || fail "$name: expected '$pattern', got: $(cat "$WORK/err")"
  [ "$(wc -l < "$WORK/err")" -eq 1 ] || fail "$name: $(wc -l < "$WORK/err") lines on stderr"
  [ ! -e "$WORK/out" ] || fail "$name: the study folder was created"
}

check unknown_per "unknown_per.yaml:5:18: study.groups.per must be one of tensor|layer|role|layer_role, not 'block'" <<'Y'
study:
  groups: { per: block }
  treatments: [{ quantize: int8 }]
Y
check not_a_quantizer "not_a_quantizer.yaml:7:19: unknown quantizer stage 'quant.precision'" <<'Y'
study:
  groups: { per: layer }
  treatments:
    - { quantize: precision }
Y
check analyzer_treatment "analyzer_treatment.yaml:7:18: a treatment is a quantizer (quantize: …), not the analyzer analyze.precision" <<'Y'
study:
  groups: { per: layer }
  treatments:
    - { analyze: precision }
Y
check empty_groups "empty_groups.yaml:5:11: the groups select no tensor" <<'Y'
study:
  groups: { per: tensor, select: { name: "blk.99.*" } }
  treatments: [{ quantize: int8 }]
Y
check missing_text "missing_text.yaml:5:9: $WORK/nowhere.txt: no such text file (a relative path is read from the study file's folder)" <<'Y'
study:
  text: nowhere.txt
  groups: { per: tensor }
  treatments: [{ quantize: int8 }]
Y
check no_treatments "no_treatments.yaml:5:3: study.treatments must be a non-empty list" <<'Y'
study:
  groups: { per: tensor }
Y
check same_names "same_names.yaml:8:60: two treatments are named 'x'" <<'Y'
study:
  groups: { per: tensor }
  treatments:
    - { quantize: int8, name: x }
    - { quantize: int4, options: { group_size: 64 }, name: x }
Y
check bad_option "bad_option.yaml:7:47: option 'type' of quant.gguf_type must be a single value" <<'Y'
study:
  groups: { per: tensor }
  treatments:
    - { quantize: gguf_type, options: { type: [Q4_K] } }
Y
check refused_option "refused_option.yaml:7:19: quant.gguf_type: type: 'Q9_X' is not a ggml type" <<'Y'
study:
  groups: { per: tensor }
  treatments:
    - { quantize: gguf_type, options: { type: Q9_X } }
Y
check bad_set "bad_set.yaml (--set study.ctx=4): study.ctx must be an integer in [8, 1048576]" --set study.ctx=4 <<'Y'
study:
  groups: { per: tensor }
  treatments: [{ quantize: int8 }]
Y
check unknown_executor "unknown_executor.yaml:4:19: executor.kind must be local|slurm, not 'pbs'" <<'Y'
executor: { kind: pbs }
study:
  groups: { per: tensor }
  treatments: [{ quantize: int8 }]
Y
check executor_key "executor_key.yaml:4:13: unknown key 'queue' in executor" <<'Y'
executor: { queue: gpu }
study:
  groups: { per: tensor }
  treatments: [{ quantize: int8 }]
Y
check sbatch_args "sbatch_args.yaml:4:26: executor.sbatch_args must be a list of sbatch arguments" <<'Y'
executor: { sbatch_args: --mem=8G }
study:
  groups: { per: tensor }
  treatments: [{ quantize: int8 }]
Y
check no_tasks "no_tasks.yaml (--set executor.tasks=0): executor.tasks must be an integer in [1, 1048576]" --set executor.tasks=0 <<'Y'
study:
  groups: { per: tensor }
  treatments: [{ quantize: int8 }]
Y
check kld_rel_error "kld_rel_error.yaml (--set study.kld_rel_error=2): study.kld_rel_error (0: every chunk) must be a number above 0 and at most 1" \
  --set study.kld_rel_error=2 <<'Y'
study:
  groups: { per: tensor }
  treatments: [{ quantize: int8 }]
Y
check max_tokens_alone "max_tokens_alone.yaml:6:24: study.baseline_max_tokens caps a compact baseline: set study.baseline_tail_mass too" <<'Y'
study:
  groups: { per: tensor }
  baseline_max_tokens: 256
  treatments: [{ quantize: int8 }]
Y
# An adaptive study's settings: only with mode: adaptive, in range, naming a treatment; a budget
# that cannot pay for the calibration is refused before any work.
check budget_without_adaptive "budget_without_adaptive.yaml:6:19: study.measure_budget is a setting of mode: adaptive" <<'Y'
study:
  groups: { per: tensor }
  measure_budget: 0.5
  treatments: [{ quantize: int8 }]
Y
check budget_range "budget_range.yaml (--set study.measure_budget=1.5): study.measure_budget must be a number above 0 and at most 1" \
  --set study.mode=adaptive --set study.measure_budget=1.5 <<'Y'
study:
  groups: { per: tensor }
  treatments: [{ quantize: int8 }]
Y
check calibrate_at "calibrate_at.yaml:7:17: study.calibrate_at: no treatment is named 'q4_k'" <<'Y'
study:
  groups: { per: tensor }
  mode: adaptive
  calibrate_at: q4_k
  treatments: [{ quantize: int8 }, { quantize: int4, options: { group_size: 32 } }]
Y
check plan_bpw "plan_bpw.yaml:7:13: study.plan_bpw must be a list of bits per weight" <<'Y'
study:
  groups: { per: tensor }
  mode: adaptive
  plan_bpw: 4.5
  treatments: [{ quantize: int8 }]
Y
check calibrate_layers "calibrate_layers.yaml:7:21: study.calibrate_layers must be an integer in [1, 1048576]" <<'Y'
study:
  groups: { per: tensor }
  mode: adaptive
  calibrate_layers: 0
  treatments: [{ quantize: int8 }]
Y
check small_budget "study.measure_budget 0.25 allows" <<'Y'
study:
  groups: { per: tensor }
  mode: adaptive
  treatments: [{ quantize: int8 }, { quantize: int4, options: { group_size: 32 } }]
Y
check adaptive_slurm "an adaptive study runs on this machine (executor: local)" --executor slurm <<'Y'
study:
  groups: { per: tensor }
  mode: adaptive
  measure_budget: 1
  treatments: [{ quantize: int8 }, { quantize: int4, options: { group_size: 32 } }]
Y
# A study whose out: is its own folder: the study file would be replaced by the study as run.
mkdir -p "$WORK/own"
printf 'qframe: 1\nmodel: { input: %s }\nout: .\nstudy:\n  groups: { per: tensor, select: { name: output.weight } }\n  treatments: [{ quantize: gguf_type, options: { type: Q8_0 } }]\n' \
  "$WORK/m.gguf" > "$WORK/own/study.yaml"
cp "$WORK/own/study.yaml" "$WORK/own.before"
if "$QFRAME" sweep -q "$WORK/own/study.yaml" 2> "$WORK/err.txt"; then fail "a study writing onto its own file was accepted"; fi
grep -q "study.yaml: refusing to write the output onto the input file" "$WORK/err.txt" || fail "own folder: $(cat "$WORK/err.txt")"
cmp -s "$WORK/own/study.yaml" "$WORK/own.before" || fail "the study file was replaced"
finish
