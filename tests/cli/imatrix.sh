# qframe imatrix against llama-imatrix's own file (tests/cli/data/imatrix: trained-a, 8 chunks
# of 256 tokens of wikitext-2): the same entries, ncall and values (to 1e-5 relative; the values
# are llama-imatrix's bit for bit on the machine that recorded them); both formats converted
# into each other and back byte for byte; bad input refused before any work, nothing written.
source "$(dirname "$0")/lib.sh"
need_data
PY=/usr/bin/python3
MODEL="$DATA/models/trained-a-f16.gguf"
TEXT="$DATA/text/wikitext-2-raw-test.txt"
FACT="$ROOT/tests/cli/data/imatrix/trained-a_ctx256_chunks8.dat"
"$QFRAME" imatrix -q "$MODEL" --text "$TEXT" --ctx 256 --chunks 8 -t 2 -o "$WORK/q.dat" || fail "qframe imatrix"
compare() {  # compare OURS LLAMA
$PY - "$1" "$2" <<'PYEOF' || fail "qframe imatrix equals llama-imatrix's file $(basename "$2")"
import struct, sys
def read(path):
    b = open(path, "rb").read(); o = 0
    def i32():
        nonlocal o; v = struct.unpack_from("<i", b, o)[0]; o += 4; return v
    entries = {}
    for _ in range(i32()):
        n = i32(); name = b[o:o + n].decode(); o += n
        ncall = i32(); nval = i32()
        entries[name] = (ncall, struct.unpack_from(f"<{nval}f", b, o)); o += 4 * nval
    return entries, b[o:]
ours, our_tail = read(sys.argv[1]); ref, ref_tail = read(sys.argv[2])
assert sorted(ours) == sorted(ref), (sorted(ours), sorted(ref))
worst = 0.0; identical = 0; total = 0
for name, (ncall, values) in ref.items():
    assert ours[name][0] == ncall, (name, ours[name][0], ncall)
    for a, b in zip(ours[name][1], values):
        total += 1; identical += a == b
        worst = max(worst, abs(a - b) / max(abs(b), 1e-30))
assert worst <= 1e-5, worst
assert our_tail[:4] == ref_tail[:4], "chunk count"
print(f"{len(ref)} entries, {total} values: worst relative difference {worst:.2e}, {identical} bit-identical")
PYEOF
}
compare "$WORK/q.dat" "$FACT"
# The whole text (1818 chunks; about a minute): the acceptance run. Not under the sanitizers,
# where the 8 chunks above check the same code.
if [ "$SANITIZED" = 0 ]; then
  "$QFRAME" imatrix -q "$MODEL" --text "$TEXT" --ctx 256 -t 2 -o "$WORK/full.dat" || fail "qframe imatrix on the whole text"
  compare "$WORK/full.dat" "$ROOT/tests/cli/data/imatrix/trained-a_ctx256_full.dat"
fi
# Mixtures of experts: every entry's values bit for bit those of llama-imatrix (per expert, over
# the tokens routed to it), as digests.
for preset in mixtral qwen2moe; do
  "$QFRAME" synth -q --preset "$preset" --out "$WORK/$preset.gguf"
  "$QFRAME" imatrix -q "$WORK/$preset.gguf" --text "$TEXT" --ctx 128 --chunks 2 -t 2 -o "$WORK/$preset.dat" || fail "qframe imatrix on $preset"
  $PY - "$WORK/$preset.dat" > "$WORK/$preset.tsv" <<'PYEOF'
import hashlib, struct, sys
b = open(sys.argv[1], "rb").read(); o = 0
def i32():
    global o; v = struct.unpack_from("<i", b, o)[0]; o += 4; return v
rows = []
for _ in range(i32()):
    n = i32(); name = b[o:o + n].decode(); o += n
    ncall = i32(); nval = i32()
    rows.append((name, ncall, nval, hashlib.sha256(b[o:o + 4 * nval]).hexdigest())); o += 4 * nval
for r in sorted(rows): print("\t".join(map(str, r)))
PYEOF
  diff "$WORK/$preset.tsv" "$ROOT/tests/cli/data/imatrix/${preset}_ctx128_chunks2.tsv" > "$WORK/diff.txt" ||
    fail "$preset: entries that differ from llama-imatrix's: $(grep -c '^<' "$WORK/diff.txt")"
done
# .dat → GGUF → .dat and GGUF → .dat → GGUF: the same bytes.
"$QFRAME" imatrix -q --convert "$WORK/q.dat" "$WORK/q.gguf" || fail "convert to GGUF"
"$QFRAME" imatrix -q --convert "$WORK/q.gguf" "$WORK/q2.dat" || fail "convert back to .dat"
cmp -s "$WORK/q.dat" "$WORK/q2.dat" || fail ".dat → GGUF → .dat changed bytes"
"$QFRAME" imatrix -q --convert "$WORK/q2.dat" "$WORK/q2.gguf" || fail "convert to GGUF again"
cmp -s "$WORK/q.gguf" "$WORK/q2.gguf" || fail "GGUF → .dat → GGUF changed bytes"
"$QFRAME" inspect "$WORK/q.gguf" > "$WORK/inspect.txt" || fail "inspect reads the GGUF importance matrix"
grep -q "imatrix" "$WORK/inspect.txt" || fail "inspect names the file's type"
# Bad input: one line naming the problem, exit 1 or 2, no output file.
expect_error() {
  local what=$1 pattern=$2; shift 2
  if "$QFRAME" imatrix "$@" > "$WORK/out.txt" 2> "$WORK/err.txt"; then fail "$what: accepted"; return; fi
  grep -q -- "$pattern" "$WORK/err.txt" || fail "$what: $(cat "$WORK/err.txt")"
}
expect_error "no text" "--text is required" "$MODEL" -o "$WORK/x.dat"
expect_error "a text too short" "needs at least" "$MODEL" --text "$ROOT/README.md" --ctx 4096 -o "$WORK/x.dat"
expect_error "the model as output" "" "$MODEL" --text "$TEXT" -o "$MODEL"
expect_error "a model as importance matrix" "not part of an importance matrix" --convert "$MODEL" "$WORK/x.dat"
printf 'not an imatrix at all' > "$WORK/junk.dat"
expect_error "a foreign file" "not an importance matrix" --convert "$WORK/junk.dat" "$WORK/x.gguf"
[ ! -e "$WORK/x.dat" ] && [ ! -e "$WORK/x.gguf" ] || fail "a refused run left a file"
finish
