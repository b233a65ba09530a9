# The quick start's model: models/trained-a-f16.gguf ships in the repo as its card describes, and
# the study's recipe run on it (no --input: the recipe's own default) reports what a trained
# model gives — every FFN-norm value changed by BF16, a real perplexity moved a little, English
# generations.
source "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
MODEL=models/trained-a-f16.gguf
[ -f "$MODEL" ] || fail "$MODEL is missing from the checkout"
card_sum=$(grep -o 'SHA-256 `[0-9a-f]\{64\}`' models/README.md | grep -o '[0-9a-f]\{64\}')
[ "$(sha256sum "$MODEL" | cut -c1-64)" = "$card_sum" ] || fail "$MODEL differs from the digest its card gives"
"$QFRAME" run -q recipes/ffn_norm_bf16.yaml --output "$WORK/out.gguf" --report "$WORK/r" || fail "the quick start's recipe"
$PY - "$WORK/r/REPORT.json" <<'PYEOF' || fail "the default model's report"
import json, re, sys
r = json.load(open(sys.argv[1]))
assert r["input"]["path"].endswith("models/trained-a-f16.gguf"), r["input"]
stage = {s["stage"]: s["results"] for s in r["stages"]}
changed = {t["tensor"]: t["values_changed"] for t in stage["quant.bf16_truncate"]}
assert changed == {f"blk.{l}.ffn_norm.weight": 256 for l in range(4)}, changed
p = stage["eval.perplexity"][0]
# Trained on WikiText and manuals, scored on children's stories: far better than chance (4096
# tokens), far from perfect; BF16 norms move it by well under 1 %.
assert 50 < p["ppl_original"] < 1000 and p["ppl_original"] != p["ppl_result"], p
assert abs(p["ppl_ratio"] - 1) < 0.01, p
k = stage["eval.kl_divergence"][0]
assert 0 < k["kld_mean"] < 1e-3, k
common = {"the", "a", "of", "and", "in", "was", "to", "is"}
for s in stage["eval.generate"][0]["samples"]:
    words = re.findall(r"[a-z]+", s["original"].lower())
    assert len(words) >= 6 and len(common & set(words)) >= 2, s
PYEOF
finish
