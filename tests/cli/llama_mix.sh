# quant.mix (recipes/llama_mix.yaml) on trained-a-f16 gives llama-quantize's output: the type of
# every tensor under all 14 mixes (tests/cli/data/llama_mixes/trained_a.tsv), and for Q2_K,
# Q3_K_M and Q4_K_M the very bytes of every tensor (trained_a_tensors.sha256). The rule itself is
# checked on more models in tests/quant/test_llama_mix.cpp.
source "$(dirname "$0")/lib.sh"
need_data
PY=/usr/bin/python3
MODEL=$DATA/models/trained-a-f16.gguf
FACTS=tests/cli/data/llama_mixes
for mix in Q2_K Q3_K_S Q3_K_M Q3_K_L Q4_K_S Q4_K_M Q5_K_S Q5_K_M Q6_K Q8_0 Q4_0 Q4_1 Q5_0 Q5_1; do
  "$QFRAME" run -q recipes/llama_mix.yaml --input "$MODEL" --output "$WORK/$mix.gguf" --report "$WORK/r-$mix" --set "1.mix=$mix" || fail "run $mix"
  "$QFRAME" inspect --json "$WORK/$mix.gguf" > "$WORK/$mix.json"
done
$PY - "$WORK" "$FACTS" <<'PYEOF' || fail "quant.mix differs from llama-quantize"
import hashlib, json, sys
work, facts = sys.argv[1:3]
rows = [l.rstrip("\n").split("\t") for l in open(f"{facts}/trained_a.tsv") if not l.startswith("#")]
mixes, table = rows[0][1:], {r[0]: r[1:] for r in rows[1:]}
hashes = {}
for l in open(f"{facts}/trained_a_tensors.sha256"):
    if l.startswith("#") or l.startswith("mix\t"): continue
    mix, name, digest = l.split()
    hashes[mix, name] = digest
bad = []
for m, mix in enumerate(mixes):
    j = json.load(open(f"{work}/{mix}.json"))
    got = {t["name"]: t for t in j["tensors"]}
    assert set(got) == set(table), mix
    bad += [f"{mix} {n}: {got[n]['type']}, llama.cpp {table[n][m]}" for n in table if got[n]["type"] != table[n][m]]
    data = open(f"{work}/{mix}.gguf", "rb").read()
    for (hmix, name), digest in hashes.items():
        if hmix != mix: continue
        t = got[name]
        start = j["data_offset"] + t["offset"]
        if hashlib.sha256(data[start:start + t["bytes"]]).hexdigest() != digest:
            bad.append(f"{mix} {name}: bytes differ from llama-quantize's")
checked = sum(1 for k in hashes)
print(f"{len(mixes)} mixes x {len(table)} tensors typed as llama-quantize; {checked} tensors' bytes compared")
assert checked == 3 * len(table), checked
for b in bad[:10]: print(b, file=sys.stderr)
sys.exit(1 if bad else 0)
PYEOF

# A model that is not llama, or a mix qframe does not reproduce: a clear error before any output.
"$QFRAME" run -q recipes/llama_mix.yaml --input "$MODEL" --output "$WORK/bad.gguf" --set 1.mix=IQ5_XS 2> "$WORK/err" && fail "IQ5_XS accepted"
grep -q "mix: 'IQ5_XS' is not one of llama.cpp's mixes qframe reproduces (F32, F16, Q4_0" "$WORK/err" || fail "no clear error: $(cat "$WORK/err")"
"$QFRAME" run -q recipes/llama_mix.yaml --input "$MODEL" --output "$WORK/bad.gguf" --set 1.mix=IQ2_XS 2> "$WORK/err" && fail "IQ2_XS without importance accepted"
grep -q "IQ2_XS needs an importance matrix for this tensor's IQ2_XS" "$WORK/err" || fail "no clear error: $(cat "$WORK/err")"
[ ! -e "$WORK/bad.gguf" ] || fail "a refused mix left an output"
[ -e "$WORK/bad.gguf" ] && fail "a refused mix wrote its output"
finish
