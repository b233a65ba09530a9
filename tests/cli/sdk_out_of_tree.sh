# The SDK: install qframe, build docs/examples/pow2_quantizer out of tree with find_package(qframe),
# load it from a recipe and check what it wrote.
source "$(dirname "$0")/lib.sh"
SRC=$(pwd)
cmake --install "$BUILD" --prefix "$WORK/prefix" > /dev/null
# The installed headers are the SDK and nothing else: the same files as framework/include/qframe.
diff <(cd "$SRC/framework/include" && find qframe -type f | sort) <(cd "$WORK/prefix/include" && find qframe -type f | sort) \
  || fail "the installed headers are not exactly the SDK's"
cmake -S "$SRC/docs/examples/pow2_quantizer" -B "$WORK/build" -DCMAKE_PREFIX_PATH="$WORK/prefix" -DCMAKE_BUILD_TYPE=Release > "$WORK/cmake.log" 2>&1 \
  || { cat "$WORK/cmake.log"; fail "configure against the installed SDK"; finish; }
cmake --build "$WORK/build" > "$WORK/build.log" 2>&1 || { cat "$WORK/build.log"; fail "build against the installed SDK"; finish; }
PLUGIN="$WORK/build/quant_pow2.so"
[ -f "$PLUGIN" ] || fail "no plugin built"

QF="$WORK/prefix/bin/qframe"  # the installed CLI, with its installed built-in plugins
"$QF" synth -q --out "$WORK/m.gguf"
cat > "$WORK/pow2.yaml" <<Y
qframe: 1
plugins: [$PLUGIN]
model: { input: $WORK/m.gguf, output: $WORK/pow2.gguf }
report: $WORK/report
stages:
  - quantize: pow2
    select: { name: "blk.*.ffn_norm.weight" }
    options: { min_exponent: -10 }
  - evaluate: tensor_diff
Y
"$QF" run -q "$WORK/pow2.yaml" || fail "run with the out-of-tree plugin"
"$QF" plugins --plugin-path "$PLUGIN" | grep "quant.pow2" > /dev/null || fail "plugins does not list quant.pow2"
"$QF" dump "$WORK/pow2.gguf" blk.1.ffn_norm.weight --format text > "$WORK/after.txt"
"$QF" dump "$WORK/m.gguf" blk.1.ffn_norm.weight --format text > "$WORK/before.txt"
/usr/bin/python3 - "$WORK/before.txt" "$WORK/after.txt" <<'PYEOF' || fail "pow2 output values"
import math, sys
before = [float(x) for x in open(sys.argv[1])]
after = [float(x) for x in open(sys.argv[2])]
assert len(before) == len(after) == 256
for x, y in zip(before, after):
    e = round(math.log2(abs(x)))
    assert y == math.copysign(2.0 ** e, x), (x, y)
assert any(x != y for x, y in zip(before, after))
PYEOF
grep -q '"stage": "quant.pow2"' "$WORK/report/REPORT.json" || fail "report lacks quant.pow2"
finish
