# qframe copy must reproduce llama.cpp- and gguf-py-written files byte for byte, and its own.
source "$(dirname "$0")/lib.sh"
need_data
count=0
for f in "$DATA"/models/*.gguf "$DATA"/vocab/*.gguf; do
  "$QFRAME" copy -q "$f" "$WORK/copy.gguf" || { fail "copy of $f exited $?"; continue; }
  cmp "$f" "$WORK/copy.gguf" || fail "copy of $f differs"
  count=$((count + 1))
done
for preset in tinyllama llama3; do
  "$QFRAME" synth -q --preset $preset --seed 7 --out "$WORK/synth.gguf"
  "$QFRAME" copy -q "$WORK/synth.gguf" "$WORK/copy.gguf"
  cmp "$WORK/synth.gguf" "$WORK/copy.gguf" || fail "copy of synthesized $preset differs"
  count=$((count + 1))
done
echo "compared $count files"
[ "$count" -ge 20 ] || fail "expected at least 20 files, compared $count"
finish
