# Bad recipes: each fails before anything runs, with file:line:column, exit code 1, one line,
# and no output or report left behind.
source "$(dirname "$0")/lib.sh"
"$QFRAME" synth -q --out "$WORK/m.gguf"

check() {  # check NAME PATTERN [extra args]: recipe text on stdin; the model is $INPUT or m.gguf
  local name=$1 pattern=$2; shift 2
  cat > "$WORK/$name.yaml"
  set +e; "$QFRAME" run -q "$WORK/$name.yaml" --input "${INPUT:-$WORK/m.gguf}" --output "$WORK/out.gguf" --report "$WORK/rep" "$@" 2> "$WORK/err"; local code=$?; set -e
  [ "$code" -eq 1 ] || fail "$name: exit code $code, expected 1"
  grep -q -- "$pattern" "$WORK/err" || fail "$name: expected '$pattern', got: $(cat "$WORK/err")"
  [ "$(wc -l < "$WORK/err")" -eq 1 ] || fail "$name: $(wc -l < "$WORK/err") lines on stderr"
  [ ! -e "$WORK/out.gguf" ] && [ ! -e "$WORK/rep" ] || fail "$name: output or report left behind"
}

check syntax "syntax.yaml:4:1: YAML syntax error" <<'Y'
qframe: 1
stages:
  - quantize: [unclosed
Y
check duplicate_key "duplicate_key.yaml:4:1: key 'model' given twice in one mapping (first at line 2" <<'Y'
qframe: 1
model: { input: a.gguf }
stages: []
model: { input: b.gguf }
Y
# "Billion laughs": ten aliases of ten aliases … seven levels deep is 10^7 values to whatever reads
# it, from 600 bytes of text. Refused before it is read, naming the node that crosses the bound.
check alias_bomb "alias_bomb.yaml:7:4: this part of the recipe expands to more than 1000000 values through aliases" <<'Y'
qframe: 1
a: &a [x, x, x, x, x, x, x, x, x, x]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]
g: [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]
stages: []
Y
check alias_cycle "alias_cycle.yaml:2:4: an alias refers to a node that contains it" <<'Y'
qframe: 1
a: &a [1, *a]
stages: []
Y
check duplicate_option "duplicate_option.yaml:3:63: key 'rounding' given twice in one mapping (first at line 3" <<'Y'
qframe: 1
stages:
  - { quantize: bf16_truncate, options: { rounding: truncate, rounding: nearest } }
Y
check unknown_key "unknown_key.yaml:2:1: unknown key 'stagez'" <<'Y'
qframe: 1
stagez: []
Y
check unknown_stage "unknown_stage.yaml:3:15: unknown quantizer stage 'quant.nope'" <<'Y'
qframe: 1
stages:
  - quantize: nope
Y
check wrong_kind "wrong_kind.yaml:3:14: unknown analyzer stage 'analyze.bf16_truncate'" <<'Y'
qframe: 1
stages:
  - analyze: bf16_truncate
Y
check stage_key "stage_key.yaml:4:5: unknown key 'option' in a stage" <<'Y'
qframe: 1
stages:
  - quantize: bf16_truncate
    option: {}
Y
check bad_choice "bad_choice.yaml:4:26: option 'rounding' of quant.bf16_truncate must be one of truncate|nearest_even, not 'up'" <<'Y'
qframe: 1
stages:
  - quantize: bf16_truncate
    options: { rounding: up }
Y
check unknown_option "unknown_option.yaml:4:16: quant.bf16_truncate has no option 'bits'" <<'Y'
qframe: 1
stages:
  - quantize: bf16_truncate
    options: { bits: 8 }
Y
check bad_bool "bad_bool.yaml:4:40: option 'bf16_exact' of select.precision must be true or false" <<'Y'
qframe: 1
stages:
  - analyze: precision
    select: { precision: { bf16_exact: maybe } }
Y
check bad_regex "bad_regex.yaml:4:15: select.name: bad regex" <<'Y'
qframe: 1
stages:
  - analyze: precision
    select: { name: "re:blk.(" }
Y
check bad_layers "bad_layers.yaml:4:15: select.layers: layer range '3-x'" <<'Y'
qframe: 1
stages:
  - analyze: precision
    select: { layers: "3-x" }
Y
check bad_more_bits "bad_more_bits.yaml:4:15: select.layers: layer range '0,more_bit': 'more_bit' is neither a layer number nor more_bits" <<'Y'
qframe: 1
stages:
  - analyze: precision
    select: { layers: "0,more_bit" }
Y
check empty_selection "empty_selection.yaml:3:15: stage 1: quant.bf16_truncate selected no tensor (require_match: true)" <<'Y'
qframe: 1
stages:
  - quantize: bf16_truncate
    select: { name: "no.such.tensor" }
    require_match: true
Y
check model_select "model_select.yaml:4:13: eval.model_size evaluates the whole model and takes no select:" <<'Y'
qframe: 1
stages:
  - evaluate: model_size
    select: { type: F32 }
Y
check version "version.yaml:1:9: recipe format 2 is not supported" <<'Y'
qframe: 2
stages: []
Y
check bad_set "--set nope.rounding=x: no stage 'nope'" --set nope.rounding=x <<'Y'
qframe: 1
stages:
  - quantize: bf16_truncate
Y
check set_value "set_value.yaml (--set bf16_truncate.rounding=up): option 'rounding' of quant.bf16_truncate must be one of" --set bf16_truncate.rounding=up <<'Y'
qframe: 1
stages:
  - quantize: bf16_truncate
Y
check not_f32 "failed on tensor 'token_embd.weight': fake BF16 works on F32 tensors" <<'Y'
qframe: 1
stages:
  - quantize: bf16_truncate
    select: { name: token_embd.weight }
Y
# layers: more_bits on a model that does not say its depth (llama.block_count renamed).
/usr/bin/python3 - "$WORK/m.gguf" "$WORK/no_count.gguf" <<'PYEOF'
import sys
data = open(sys.argv[1], "rb").read()
assert data.count(b"llama.block_count") == 1
open(sys.argv[2], "wb").write(data.replace(b"llama.block_count", b"llama.block_cOunt"))
PYEOF
INPUT="$WORK/no_count.gguf" check no_block_count "no_block_count.yaml:4:15) failed on tensor 'blk.0.attn_norm.weight': the model's metadata has no llama.block_count" <<'Y'
qframe: 1
stages:
  - analyze: precision
    select: { layers: more_bits }
Y
cat > "$WORK/no_input.yaml" <<'Y'
qframe: 1
stages:
  - analyze: precision
Y
set +e; "$QFRAME" run "$WORK/no_input.yaml" 2> "$WORK/err"; code=$?; set -e
[ "$code" -eq 1 ] && grep "no_input.yaml:1:1: no input model" "$WORK/err" > /dev/null || fail "no input: exit $code, $(cat "$WORK/err")"
finish
