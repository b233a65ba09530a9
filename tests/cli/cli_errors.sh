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
# No command writes onto a file it reads, nor replaces what is not a regular file; the inputs
# stay byte for byte.
sum_before=$(sha256sum "$WORK/m.gguf" | cut -c1-64)
expect 1 "refusing to write the output onto the input" -- "$QFRAME" dump "$WORK/m.gguf" output.weight --out "$WORK/m.gguf"
printf 'qframe: 1\nstages: []\n' > "$WORK/copy.yaml"
expect 1 "copy.yaml, which this command reads" -- "$QFRAME" run "$WORK/copy.yaml" --input "$WORK/m.gguf" --output "$WORK/copy.yaml"
printf 'qframe: 1\nstages:\n  - { evaluate: perplexity, options: { text: %s } }\n' "$WORK/text.txt" > "$WORK/eval.yaml"
cp "$ROOT/recipes/data/tinystories_sample.txt" "$WORK/text.txt"
expect 1 "text.txt, which this command reads" -- "$QFRAME" run "$WORK/eval.yaml" --input "$WORK/m.gguf" --output "$WORK/text.txt"
mkdir "$WORK/rep" && cp "$WORK/copy.yaml" "$WORK/rep/REPORT.md"
expect 1 "REPORT.md, which this command reads" -- "$QFRAME" run "$WORK/rep/REPORT.md" --input "$WORK/m.gguf" --report "$WORK/rep"
cmp -s "$WORK/copy.yaml" "$WORK/rep/REPORT.md" || fail "a recipe in the report folder was replaced"
ln -s "$WORK/m.gguf" "$WORK/link.gguf"
expect 1 "link.gguf: is a symbolic link; refusing to replace it" -- "$QFRAME" copy "$WORK/m.gguf" "$WORK/link.gguf"
expect 1 "is a device; refusing to replace it" -- "$QFRAME" copy "$WORK/m.gguf" /dev/null
mkfifo "$WORK/fifo"
expect 1 "is a FIFO; refusing to replace it" -- "$QFRAME" dump "$WORK/m.gguf" output.weight --out "$WORK/fifo"
[ -L "$WORK/link.gguf" ] && [ -p "$WORK/fifo" ] || fail "a refused output was replaced"
# Inputs are regular files: a FIFO does not block the open, a device is not read without end, and
# a settings file has a size limit. (timeout: a hang fails the test instead of stalling it.)
expect 1 "fifo: the GGUF file is a FIFO, not a regular file" -- timeout 60 "$QFRAME" inspect "$WORK/fifo"
expect 1 "the recipe is a FIFO, not a regular file" -- timeout 60 "$QFRAME" run "$WORK/fifo" --input "$WORK/m.gguf"
expect 1 "/dev/zero: the recipe is a character device, not a regular file" -- timeout 60 "$QFRAME" run /dev/zero --input "$WORK/m.gguf"
expect 1 "the GGUF file is a folder, not a regular file" -- timeout 60 "$QFRAME" inspect "$WORK"
expect 1 "the study file is a FIFO" -- timeout 60 "$QFRAME" sweep "$WORK/fifo" --out "$WORK/fifo-study"
expect 1 "the tensor type file is a character device" -- timeout 60 "$QFRAME" quantize --tensor-type-file /dev/zero --dry-run "$WORK/m.gguf" Q8_0
# A text with bytes that are not UTF-8 is scored as llama.cpp scores it, with a warning saying so.
{ cat "$ROOT/recipes/data/tinystories_sample.txt"; printf '\377\376'; } > "$WORK/latin.txt"
printf 'qframe: 1\nstages:\n  - { evaluate: perplexity, options: { text: %s, ctx: 64, chunks: 2 } }\n' "$WORK/latin.txt" > "$WORK/latin.yaml"
"$QFRAME" run "$WORK/latin.yaml" --input "$WORK/m.gguf" --report "$WORK/latin-rep" 2> "$WORK/latin.err" || fail "a text with non-UTF-8 bytes: $(cat "$WORK/latin.err")"
grep -q "latin.txt: 2 of its [0-9]* bytes are not UTF-8 (the first at byte [0-9]*)" "$WORK/latin.err" || fail "no warning: $(cat "$WORK/latin.err")"
head -c $((16 * 1048576 + 1)) /dev/zero | tr '\0' '#' > "$WORK/huge.yaml"
expect 1 "huge.yaml: the recipe is 16777217 bytes; at most 16777216 are read" -- "$QFRAME" run "$WORK/huge.yaml" --input "$WORK/m.gguf"
rm "$WORK/huge.yaml"
[ "$(sha256sum "$WORK/m.gguf" | cut -c1-64)" = "$sum_before" ] && cmp -s "$WORK/text.txt" "$ROOT/recipes/data/tinystories_sample.txt" ||
  fail "an input changed"
# A metadata value of the wrong type, or a block count the tensors disagree with, is one line
# naming the file and the key, from every command that reads it, and nothing is written.
bad_key() {  # bad_key NAME KEY TYPE VALUE: $WORK/NAME.gguf is m.gguf with KEY's value replaced
  /usr/bin/python3 "$ROOT/tests/cli/gguf_bytes.py" set-key "$WORK/m.gguf" "$WORK/$1.gguf" "$2" "$3" "$4"
}
bad_key arch general.architecture u32 7
bad_key depth llama.block_count str four
bad_key deeper llama.block_count u32 99
bad_key width llama.embedding_length str wide
bad_key vocab tokenizer.ggml.model u32 1
printf 'qframe: 1\nstages:\n  - { evaluate: perplexity, options: { text: %s, ctx: 32, chunks: 1 } }\n' "$WORK/text.txt" > "$WORK/ppl.yaml"
for command in "quantize -q --dry-run MODEL $WORK/o.gguf Q4_K_M" "quantize -q MODEL $WORK/o.gguf Q4_K_M" "run -q $WORK/ppl.yaml --input MODEL --output $WORK/o.gguf" \
               "imatrix -q MODEL --text $WORK/text.txt -o $WORK/o.gguf"; do
  expect 1 "arch.gguf: .*metadata key 'general.architecture': expected a string, found u32" -- "$QFRAME" ${command//MODEL/$WORK/arch.gguf}
  expect 1 "depth.gguf: .*llama.block_count.*expected a non-negative integer, found str value \"four\"" -- "$QFRAME" ${command//MODEL/$WORK/depth.gguf}
done
expect 1 "deeper.gguf: .*the model's llama.block_count is 99, but its tensors name [0-9]* blocks" -- "$QFRAME" quantize -q "$WORK/deeper.gguf" "$WORK/o.gguf" Q4_K_M
expect 1 "width.gguf: metadata 'llama.embedding_length': expected a non-negative integer" -- "$QFRAME" run -q "$WORK/ppl.yaml" --input "$WORK/width.gguf"
expect 1 "vocab.gguf: tokenizer: metadata key tokenizer.ggml.model must be a string" -- "$QFRAME" imatrix -q "$WORK/vocab.gguf" --text "$WORK/text.txt" -o "$WORK/o.gguf"
"$QFRAME" imatrix "$WORK/m.gguf" --text "$WORK/text.txt" --chunks 2 --ctx 32 -o "$WORK/good.imatrix.gguf" 2> /dev/null
/usr/bin/python3 "$ROOT/tests/cli/gguf_bytes.py" set-key "$WORK/good.imatrix.gguf" "$WORK/bad.imatrix.gguf" imatrix.chunk_count str many
expect 1 "bad.imatrix.gguf: metadata key 'imatrix.chunk_count': expected a non-negative integer" -- \
  "$QFRAME" quantize -q --imatrix "$WORK/bad.imatrix.gguf" "$WORK/m.gguf" "$WORK/o.gguf" Q4_K_M
[ ! -e "$WORK/o.gguf" ] || fail "a refused model left $WORK/o.gguf"
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
