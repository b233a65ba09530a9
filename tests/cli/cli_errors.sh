# Failures are one line on stderr with exit code 1 (bad input) or 2 (misuse); nothing crashes
# and no partial output is left.
source "$(dirname "$0")/lib.sh"
"$QFRAME" synth -q --out "$WORK/m.gguf"
size=$(stat -c %s "$WORK/m.gguf")

expect() {  # expect CODE PATTERN -- command...
  local code=$1 pattern=$2; shift 3
  set +e; "$@" > "$WORK/out" 2> "$WORK/err"; local got=$?; set -e
  [ "$got" -eq "$code" ] || fail "'$*' exited $got, expected $code ($(cat "$WORK/err"))"
  grep -q -- "$pattern" "$WORK/err" || fail "'$*' stderr lacks '$pattern': $(cat "$WORK/err")"
  [ "$(wc -l < "$WORK/err")" -eq 1 ] || fail "'$*' printed $(wc -l < "$WORK/err") lines on stderr"
}

# Truncated copies of a small model, at every 1 KiB boundary of its header and metadata and
# at a sample through its data, all fail cleanly with the file name and an offset.
for cut in $(seq 0 1024 65536) $(seq 65536 40960 $((size - 1))) $((size - 1)); do
  [ "$cut" -lt "$size" ] || continue
  head -c "$cut" "$WORK/m.gguf" > "$WORK/cut.gguf"
  expect 1 "cut.gguf" -- "$QFRAME" inspect "$WORK/cut.gguf"
done
printf 'GGUF\001\000\000\000' > "$WORK/v1.gguf"
expect 1 "version 1 is not supported" -- "$QFRAME" inspect "$WORK/v1.gguf"
printf 'GGUF\000\000\000\003' > "$WORK/be.gguf"
expect 1 "big-endian" -- "$QFRAME" inspect "$WORK/be.gguf"
expect 1 "cannot open" -- "$QFRAME" inspect "$WORK/missing.gguf"
expect 1 "refusing to write the output onto the input" -- "$QFRAME" copy "$WORK/m.gguf" "$WORK/m.gguf"
ln "$WORK/m.gguf" "$WORK/hardlink.gguf"
expect 1 "refusing to write the output onto the input" -- "$QFRAME" copy "$WORK/m.gguf" "$WORK/hardlink.gguf"
[ "$(stat -c %s "$WORK/m.gguf")" -eq "$size" ] || fail "the input changed size"
expect 1 "no tensor named" -- "$QFRAME" dump "$WORK/m.gguf" nope --format text
expect 2 "unknown command" -- "$QFRAME" frobnicate
expect 2 "unknown preset" -- "$QFRAME" synth --out "$WORK/x.gguf" --preset nope
for n in 0 513 -1; do
  expect 2 "--layers: a synthesized model has 1 to 512 layers, not $n" -- "$QFRAME" synth --out "$WORK/x.gguf" --layers=$n
done
expect 2 "the argument ('four') for option '--layers' is invalid" -- "$QFRAME" synth --out "$WORK/x.gguf" --layers four
expect 2 "--format must be" -- "$QFRAME" dump "$WORK/m.gguf" output.weight --format hex
expect 1 "cannot create a temporary file" -- "$QFRAME" copy "$WORK/m.gguf" "$WORK/no/such/dir/out.gguf"
[ ! -e "$WORK/x.gguf" ] || fail "a failed synth left $WORK/x.gguf"
leftovers=$(find "$WORK" -name '*.tmp.*' | wc -l)
[ "$leftovers" -eq 0 ] || fail "temporary files left behind: $(find "$WORK" -name '*.tmp.*')"
# --help works for every command.
for c in inspect copy dump synth; do "$QFRAME" $c --help | grep "usage: qframe $c" > /dev/null || fail "$c --help"; done
finish
