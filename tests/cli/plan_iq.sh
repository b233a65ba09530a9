# Plans with the IQ types against llama.cpp's imatrix IQ mixes, on text the study did not see. A
# study of every matrix of trained-a-f16 at IQ2_XXS … IQ4_XS and Q4_K … Q6_K, weighed by
# llama-imatrix's matrix (tests/cli/data/trained_a_plan_iq.yaml); at exactly the file size of
# `qframe quantize --imatrix` 's IQ2_XS, IQ3_XXS, IQ3_S, IQ4_XS and Q4_K_M (llama-quantize's
# tensors byte for byte: tests/cli/quantize.sh), the plan's file is no larger and its mean KLD
# against the F16 model, on 8 chunks × 128 tokens of wikitext-2 from 200 000 bytes on (the study
# scores the first 4), is lower than the mix's. And `plan --measure` names the mixes that lie
# below the plans' curve with types the study has no treatment with, and checks the gain predictor.
source "$(dirname "$0")/lib.sh"
need_data
PY=/usr/bin/python3
export SOURCE_DATE_EPOCH=1700000000
LIGHT=$(light_study_sets)  # one chunk in the sanitizer pass
MODEL=$DATA/models/trained-a-f16.gguf
IMATRIX=$ROOT/tests/cli/data/imatrix/trained-a_ctx256_chunks8.dat
tail -c +200001 "$DATA/text/wikitext-2-raw-test.txt" > "$WORK/held-out.txt"
CHUNKS=8
MIXES="IQ2_XS IQ3_XXS IQ3_S IQ4_XS Q4_K_M"
if [ "$SANITIZED" = 1 ]; then  # the memory paths of both kinds of mix, on less text
  CHUNKS=2
  MIXES="IQ2_XS Q4_K_M"
fi
"$QFRAME" sweep $LIGHT -q tests/cli/data/trained_a_plan_iq.yaml --out "$WORK/study" -j 2 || fail "sweep"

# kld RECIPE: the recipe's stages, then eval.kl_divergence against the input on the held-out text.
kld() {
  { cat "$1"; printf '  - evaluate: kl_divergence\n    options: { ctx: 128, chunks: %s, text: %s }\n' "$CHUNKS" "$WORK/held-out.txt"; } > "$1.measure.yaml"
  "$QFRAME" run -q "$1.measure.yaml" --input "$MODEL" --output "$1.gguf" --report "$1.report" > /dev/null || fail "measure $1"
  $PY -c 'import json,sys; print([s for s in json.load(open(sys.argv[1]))["stages"] if s["stage"] == "eval.kl_divergence"][0]["results"][0]["kld_mean"])' \
    "$1.report/REPORT.json"
}

for mix in $MIXES; do
  "$QFRAME" quantize -q --imatrix="$IMATRIX" "$MODEL" "$WORK/$mix.gguf" "$mix" 2 || { fail "quantize $mix"; continue; }
  size=$(stat -c %s "$WORK/$mix.gguf")
  # The mix as a recipe (what kld runs): quantize's tensors.
  printf 'qframe: 1\nmodel: { input: %s }\nimatrix: %s\nstages:\n  - quantize: mix\n    options: { mix: %s }\n' "$MODEL" "$IMATRIX" "$mix" > "$WORK/mix-$mix.yaml"
  "$QFRAME" plan -q "$WORK/study" --target-size "$size" --out "$WORK/plan-$mix.yaml" --apply --output "$WORK/plan-$mix.gguf" > "$WORK/plan-$mix.txt" ||
    { fail "plan at $mix's size"; continue; }
  planned=$(stat -c %s "$WORK/plan-$mix.gguf")
  [ "$planned" -le "$size" ] || fail "plan for $mix: $planned bytes > $size"
  mix_kld=$(kld "$WORK/mix-$mix.yaml")
  cmp -s <($PY tests/cli/gguf_bytes.py digests "$WORK/mix-$mix.yaml.gguf") <($PY tests/cli/gguf_bytes.py digests "$WORK/$mix.gguf") ||
    fail "$mix: the recipe's tensors are not qframe quantize's"
  plan_kld=$(kld "$WORK/plan-$mix.yaml")
  echo "$mix: $size bytes, KLD $mix_kld on the held-out text; the plan: $planned bytes, KLD $plan_kld"
  $PY -c 'import sys; m, p = map(float, sys.argv[1:3]); sys.exit(0 if 0 < p < m else 1)' "$mix_kld" "$plan_kld" ||
    fail "at $mix's size the plan's KLD $plan_kld is not below the mix's $mix_kld"
done

# The study has no Q8_0 treatment: llama.cpp's Q8_0 lies below the plans' curve with a type the
# plans cannot use, and the report says so; IQ3_S uses only types the study offers.
"$QFRAME" plan "$WORK/study" --frontier 4 --measure --mixes Q8_0,IQ3_S --report "$WORK/frontier" -t 2 > /dev/null 2> "$WORK/frontier.log" ||
  fail "plan --frontier --measure"
grep -q "llama.cpp's Q8_0 lies below the plans' curve and uses types the study has no treatment with: Q8_0 (30 tensors)" "$WORK/frontier.log" ||
  fail "no warning for Q8_0: $(cat "$WORK/frontier.log")"
grep -q "llama.cpp's IQ3_S lies below" "$WORK/frontier.log" && fail "a warning for IQ3_S, whose types the study has"
$PY - "$WORK/frontier/REPORT.json" <<'PYEOF' || fail "REPORT.json's types_not_studied"
import json, sys
points = {p["name"]: p for p in json.load(open(sys.argv[1]))["points"]}
assert points["Q8_0"]["types_not_studied"] == ["Q8_0 (30 tensors)"], points["Q8_0"]
assert points["IQ3_S"]["types_not_studied"] == [], points["IQ3_S"]
PYEOF
grep -q "Warning: the plans could not use every type of these mixes" "$WORK/frontier/REPORT.md" || fail "REPORT.md has no warning"

# The gain predictor (kld_mean ≈ g(group) × output_err2, g measured at one type of the group):
# calibrated at each of the study's types in turn, it ranks the other types' candidates, which
# it never saw, with Spearman's rho of at least 0.9 — over all of them, and within each type.
$PY - "$WORK/frontier/REPORT.json" <<'PYEOF' || fail "the gain predictor's check"
import json, sys
gains = json.load(open(sys.argv[1]))["gain_predictor"]
assert gains["error"] == "output_err2", gains["error"]
checks = gains["checks"]
assert sorted(c["calibration"] for c in checks) == sorted(["iq2_xxs", "iq2_xs", "iq3_xxs", "iq3_s", "iq4_xs", "q4_k", "q5_k", "q6_k"]), checks
for c in checks:
    print(f'gains at {c["calibration"]}: held-out rho {c["rho"]:.3f} over {c["pairs"]}, within a type >= {c["rho_within_min"]:.3f}, median error x{c["median_factor"]:.2f}')
    assert c["pairs"] >= 6 * 28, c
    assert c["rho"] >= 0.9 and c["rho_within_min"] >= 0.9, c
PYEOF
grep -q "The gain predictor" "$WORK/frontier/REPORT.md" || fail "REPORT.md has no gain predictor table"
finish
