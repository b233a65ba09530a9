# Every tensor of every shared model, decoded by qframe dump, hashes to the SHA-256 of ggml's own
# decoding (the .ref.tsv beside each model), and its first values print as the reference's.
source "$(dirname "$0")/lib.sh"
need_data
checked=0
for ref in "$DATA"/models/*.gguf.ref.tsv; do
  model=${ref%.ref.tsv}
  while IFS=$'\t' read -r name type dims count sha first; do
    case "$name" in '#'*|'') continue ;; esac
    "$QFRAME" dump -q "$model" "$name" --out "$WORK/t.f32" || { fail "dump $model $name exited $?"; continue; }
    got=$(sha256sum "$WORK/t.f32" | cut -d' ' -f1)
    [ "$got" = "$sha" ] || fail "$(basename "$model") $name ($type): sha256 $got, reference $sha"
    size=$(stat -c %s "$WORK/t.f32")
    [ "$size" -eq $((count * 4)) ] || fail "$(basename "$model") $name: $size bytes for $count values"
    checked=$((checked + 1))
  done < "$ref"
done
# The text format agrees with the raw one (shortest round-trip decimal, one value a line).
"$QFRAME" dump -q "$DATA/models/tiny-llama-q4_k_m.gguf" output_norm.weight --format text > "$WORK/t.txt"
[ "$(head -1 "$WORK/t.txt")" = "0.97265625" ] || fail "text dump's first value is $(head -1 "$WORK/t.txt")"
[ "$(wc -l < "$WORK/t.txt")" -eq 256 ] || fail "text dump has $(wc -l < "$WORK/t.txt") lines"
echo "checked $checked tensors"
[ "$checked" -ge 250 ] || fail "expected every tensor of every model, checked $checked"
finish
