# Quantizing with an importance matrix: trained-a with llama-imatrix's file
# (tests/cli/data/imatrix/trained-a_ctx256_chunks8.dat), every matrix at one type through a recipe
# with `imatrix:` — each tensor's bytes identical with llama-quantize --imatrix … --pure's
# (tests/cli/data/imatrix/trained-a_quantize_imatrix.tsv: digests per type and tensor; the
# tensors without an entry, token_embd and output, are encoded unweighted on both sides). Also:
# without the importance matrix the weighted types give other bytes; a mismatched importance
# matrix is refused before any work.
source "$(dirname "$0")/lib.sh"
need_data
PY=/usr/bin/python3
MODEL="$DATA/models/trained-a-f16.gguf"
IMATRIX="$ROOT/tests/cli/data/imatrix/trained-a_ctx256_chunks8.dat"
FACTS="$ROOT/tests/cli/data/imatrix/trained-a_quantize_imatrix.tsv"
TYPES="Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 Q2_K Q3_K Q4_K Q5_K Q6_K"
[ "$SANITIZED" = 1 ] && TYPES="Q4_0 Q2_K Q4_K"  # the encoders' memory safety needs no more
recipe() {  # recipe TYPE [IMATRIX]
  cat <<YAML
qframe: 1
name: all-$1
${2:+imatrix: $2}
stages:
  - quantize: gguf_type
    select: { name: [token_embd.weight, output.weight, "blk.*.weight"], type: F16 }
    options: { type: $1 }
    require_match: true
YAML
}
for t in $TYPES; do
  recipe "$t" "$IMATRIX" > "$WORK/$t.yaml"
  "$QFRAME" run -q "$WORK/$t.yaml" --input "$MODEL" --output "$WORK/$t.gguf" --no-hash > /dev/null || { fail "qframe run at $t with the importance matrix"; continue; }
  $PY "$ROOT/tests/cli/gguf_bytes.py" digests "$WORK/$t.gguf" | awk -v t="$t" '$2 != 0 {print t "\t" $0}' > "$WORK/$t.tsv"
  grep "^$t	" "$FACTS" | diff - "$WORK/$t.tsv" > "$WORK/$t.diff" ||
    fail "$t: $(grep -c '^>' "$WORK/$t.diff") of 30 tensors differ from llama-quantize --imatrix's, e.g. $(grep -m1 '^>' "$WORK/$t.diff" | cut -f2)"
done
# The importance matrix matters: without it, Q4_K's blocks are other bytes.
recipe Q4_K > "$WORK/plain.yaml"
"$QFRAME" run -q "$WORK/plain.yaml" --input "$MODEL" --output "$WORK/plain.gguf" --no-hash > /dev/null || fail "qframe run without importance"
$PY "$ROOT/tests/cli/gguf_bytes.py" digests "$WORK/plain.gguf" | grep -q "$(grep -m1 '^Q4_K	blk.0.attn_q.weight' "$FACTS" | cut -f4)" &&
  fail "Q4_K without an importance matrix gave the weighted bytes"
# Another model's importance matrix (mixtral's tensors) is refused before anything is written.
"$QFRAME" synth -q --preset mixtral --out "$WORK/moe.gguf"
"$QFRAME" imatrix -q "$WORK/moe.gguf" --text "$DATA/text/wikitext-2-raw-test.txt" --ctx 64 --chunks 2 -o "$WORK/moe.dat" || fail "imatrix of the MoE model"
recipe Q4_K "$WORK/moe.dat" > "$WORK/other.yaml"
if "$QFRAME" run -q "$WORK/other.yaml" --input "$MODEL" --output "$WORK/other.gguf" 2> "$WORK/err.txt"; then
  fail "an importance matrix of another model was accepted"
else
  grep -q "moe.dat: importance of blk.0.ffn_down_exps.weight, which .* does not have" "$WORK/err.txt" || fail "other model: $(cat "$WORK/err.txt")"
fi
[ ! -e "$WORK/other.gguf" ] || fail "a refused run wrote its output"

# A stage's own `imatrix:` weighs that stage only: blk.0 with it (llama-quantize --imatrix's
# bytes), blk.1 without (other bytes); an analyzer cannot name one.
cat > "$WORK/staged.yaml" <<YAML
qframe: 1
stages:
  - { quantize: gguf_type, select: { name: "blk.0.*.weight", type: F16 }, options: { type: Q4_K }, imatrix: $IMATRIX }
  - { quantize: gguf_type, select: { name: "blk.1.*.weight", type: F16 }, options: { type: Q4_K } }
YAML
"$QFRAME" run -q "$WORK/staged.yaml" --input "$MODEL" --output "$WORK/staged.gguf" --no-hash > /dev/null || fail "a stage with its own imatrix"
$PY "$ROOT/tests/cli/gguf_bytes.py" digests "$WORK/staged.gguf" > "$WORK/staged.txt"
grep -qxF "Q4_K	$(grep -F 'blk.0.attn_q.weight	' "$WORK/staged.txt")" "$FACTS" || fail "the stage's own imatrix did not weigh blk.0"
grep -qF "$(grep -F 'blk.1.attn_q.weight	' "$WORK/staged.txt" | cut -f3)" "$FACTS" && fail "the other stage weighed blk.1 too"
printf 'qframe: 1\nstages:\n  - { analyze: precision, imatrix: %s }\n' "$IMATRIX" > "$WORK/bad_stage.yaml"
"$QFRAME" run -q "$WORK/bad_stage.yaml" --input "$MODEL" 2> "$WORK/err.txt" && fail "an analyzer with an imatrix was accepted"
grep -q "only quantizers weigh by an importance matrix" "$WORK/err.txt" || fail "analyzer imatrix: $(cat "$WORK/err.txt")"

# A study with `imatrix:` measures what llama-quantize --imatrix ships: its treatments weigh by
# it, its results are keyed by it (not those of the same study without it), and its plan's
# recipe carries it — every Q4_K tensor of the plan is llama-quantize --imatrix's.
study() {  # study NAME [IMATRIX]
  cat <<YAML
qframe: 1
name: $1
model: { input: $MODEL }
${2:+imatrix: $2}
study:
  text: $DATA/text/wikitext-2-raw-test.txt
  ctx: 64
  chunks: 1
  groups: { per: tensor, select: { name: 're:blk\.[01]\.(attn_q|ffn_down)\.weight' } }
  treatments: [{ quantize: gguf_type, options: { type: Q4_K }, name: q4_k }]
YAML
}
study weighed "$IMATRIX" > "$WORK/weighed.yaml"
study plain > "$WORK/plain_study.yaml"
"$QFRAME" sweep -q "$WORK/weighed.yaml" --out "$WORK/weighed" -j 1 > /dev/null || fail "sweep with imatrix:"
"$QFRAME" sweep -q "$WORK/plain_study.yaml" --out "$WORK/plain" -j 1 > /dev/null || fail "sweep without"
rel() { $PY -c 'import json,sys; print(sorted((json.loads(l)["group"], json.loads(l)["rel_l2"]) for l in open(sys.argv[1])))' "$1/results.jsonl"; }
[ "$(rel "$WORK/weighed")" != "$(rel "$WORK/plain")" ] || fail "the study's treatments did not weigh by its importance matrix"
"$QFRAME" plan -q "$WORK/weighed" --target-size 1G --pin '.*=q4_k' --out "$WORK/weighed-plan.yaml" --apply --output "$WORK/weighed-plan.gguf" > "$WORK/weighed-plan.txt" ||
  fail "plan --apply of the weighed study"
# The proxy under the activation statistics: each candidate's error weighed by its columns' mean
# squares, ranked against the measured cost; a study without an importance matrix has none.
grep -q "the proxy output_err2 (E|dW x|^2 under the importance matrix) ranks the 4 candidates it covers" "$WORK/weighed-plan.txt" ||
  fail "no weighted proxy in the plan: $(cat "$WORK/weighed-plan.txt")"
grep -q output_err2 "$WORK/plain/results.jsonl" && fail "a study without an importance matrix has a weighted proxy"
grep -q "^imatrix: { file: \"$IMATRIX\" }" "$WORK/weighed-plan.yaml" || fail "the plan's recipe does not name the study's importance matrix"
$PY "$ROOT/tests/cli/gguf_bytes.py" digests "$WORK/weighed-plan.gguf" | awk '$2 == 12 {print "Q4_K\t" $0}' > "$WORK/plan_q4k.tsv"
[ "$(wc -l < "$WORK/plan_q4k.tsv")" = 4 ] || fail "the pinned plan should take Q4_K for the 4 tensors: $(cat "$WORK/plan_q4k.tsv")"
while read -r line; do
  grep -qxF "$line" "$FACTS" || fail "plan tensor differs from llama-quantize --imatrix's: $line"
done < "$WORK/plan_q4k.tsv"
finish
