# Bad plugins: each gives one clear error naming the file, exit code 1, no crash, no output.
source "$(dirname "$0")/lib.sh"
PLUGINS="$BUILD/lib/test-plugins"
"$QFRAME" synth -q --out "$WORK/m.gguf"

check() {  # check PLUGIN_FILE PATTERN STAGE
  local plugin=$1 pattern=$2 stage=$3
  cat > "$WORK/r.yaml" <<Y
qframe: 1
plugins: [$plugin]
stages:
  - quantize: $stage
    select: { name: output_norm.weight }
Y
  set +e; "$QFRAME" run -q "$WORK/r.yaml" --input "$WORK/m.gguf" --output "$WORK/out.gguf" --report "$WORK/rep" 2> "$WORK/err"; local code=$?; set -e
  [ "$code" -eq 1 ] || fail "$plugin: exit code $code, expected 1 ($(cat "$WORK/err"))"
  grep -q -- "$pattern" "$WORK/err" || fail "$plugin: expected '$pattern', got: $(cat "$WORK/err")"
  [ "$(wc -l < "$WORK/err")" -eq 1 ] || fail "$plugin: $(wc -l < "$WORK/err") lines on stderr"
  [ ! -e "$WORK/out.gguf" ] && [ ! -e "$WORK/rep" ] || fail "$plugin: output or report left behind"
}

check "$WORK/missing.so" "missing.so: plugin file does not exist" bf16_truncate
echo "not a library" > "$WORK/junk.so"
check "$WORK/junk.so" "junk.so: cannot load plugin library" bf16_truncate
check "$PLUGINS/bad_no_entry.so" "bad_no_entry.so: not a qframe plugin (it exports no 'qframe_plugin_entry' function" bf16_truncate
ABI=$(sed -n 's/^#define QFRAME_PLUGIN_ABI_VERSION \([0-9]*\)u$/\1/p' framework/include/qframe/plugin.hpp)
check "$PLUGINS/bad_abi.so" "bad_abi.so: plugin 'from_the_future' was built for qframe plugin ABI $((ABI + 1)), but this qframe has ABI $ABI" bf16_truncate
check "$PLUGINS/bad_duplicate.so" "bad_duplicate.so: stage 'quant.bf16_truncate' is already provided by .*qframe_bf16_truncate.so" bf16_truncate
check "$PLUGINS/bad_stages.so" "stage 1: quant.test_throws (quantizer from plugin 'misbehaving', bad_stages.so) failed on tensor 'output_norm.weight': deliberate failure" test_throws
check "$PLUGINS/bad_stages.so" "failed on tensor 'output_norm.weight': returned 512 bytes for 256 F32 values; 1024 expected" test_wrong_size

# QFRAME_PLUGIN_PATH is searched too, and qframe plugins lists what it found.
QFRAME_PLUGIN_PATH="$PLUGINS/bad_stages.so" "$QFRAME" plugins > "$WORK/list.txt"
grep -q "quant.test_throws" "$WORK/list.txt" || fail "QFRAME_PLUGIN_PATH not searched"
grep -q "plugin misbehaving 0.1 (.*bad_stages.so)" "$WORK/list.txt" || fail "plugins lacks version and file"
grep -q "rounding: truncate|nearest_even (default truncate)" "$WORK/list.txt" || fail "plugins lacks option schemas"
for s in select.name select.layers select.type select.precision quant.bf16_truncate analyze.precision eval.tensor_diff; do
  grep -q "^  $s " "$WORK/list.txt" || fail "plugins does not list $s"
done
set +e; QFRAME_PLUGIN_PATH="$PLUGINS/bad_abi.so" "$QFRAME" plugins > /dev/null 2> "$WORK/err"; code=$?; set -e
[ "$code" -eq 1 ] && grep -q "bad_abi.so" "$WORK/err" || fail "plugins with a bad plugin: exit $code, $(cat "$WORK/err")"
finish
