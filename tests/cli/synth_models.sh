# qframe synth: deterministic, every preset inspectable, and the keys and tensor names llama.cpp
# reads are all there.
source "$(dirname "$0")/lib.sh"
for preset in tinyllama llama3; do
  "$QFRAME" synth -q --preset $preset --seed 3 --out "$WORK/a.gguf"
  "$QFRAME" synth -q --preset $preset --seed 3 --out "$WORK/b.gguf"
  "$QFRAME" synth -q --preset $preset --seed 4 --out "$WORK/c.gguf"
  cmp -s "$WORK/a.gguf" "$WORK/b.gguf" || fail "$preset: same seed, different bytes"
  ! cmp -s "$WORK/a.gguf" "$WORK/c.gguf" || fail "$preset: different seeds, same bytes"
  "$QFRAME" inspect "$WORK/a.gguf" > "$WORK/inspect.txt"
  for key in general.architecture llama.block_count llama.embedding_length llama.feed_forward_length \
             llama.attention.head_count llama.attention.head_count_kv llama.rope.freq_base \
             llama.rope.dimension_count llama.attention.layer_norm_rms_epsilon tokenizer.ggml.model \
             tokenizer.ggml.tokens tokenizer.ggml.scores tokenizer.ggml.token_type tokenizer.ggml.bos_token_id; do
    grep -q "^  $key " "$WORK/inspect.txt" || fail "$preset: inspect lacks key $key"
  done
  for t in token_embd.weight output_norm.weight output.weight; do
    grep -q "^  $t " "$WORK/inspect.txt" || fail "$preset: inspect lacks tensor $t"
  done
  for l in 0 1 2 3; do
    for t in attn_norm attn_q attn_k attn_v attn_output ffn_norm ffn_gate ffn_up ffn_down; do
      grep -q "^  blk.$l.$t.weight " "$WORK/inspect.txt" || fail "$preset: inspect lacks blk.$l.$t.weight"
    done
  done
  "$QFRAME" inspect --json --tensors 'blk.*.ffn_norm.weight' "$WORK/a.gguf" > "$WORK/inspect.json"
  n=$(grep -c '"name": "blk\.[0-9]*\.ffn_norm\.weight"' "$WORK/inspect.json")
  [ "$n" -eq 4 ] || fail "$preset: --tensors glob selected $n ffn_norm tensors, expected 4"
done
"$QFRAME" inspect "$WORK/a.gguf" | grep "^  rope_freqs.weight " > /dev/null || fail "llama3 preset lacks rope_freqs.weight"
# --layers N: the same preset at another depth, with the metadata to match.
"$QFRAME" synth -q --preset llama3 --layers 22 --out "$WORK/deep.gguf"
"$QFRAME" inspect "$WORK/deep.gguf" > "$WORK/deep.txt"
grep -q '^  llama.block_count  *u32  *22$' "$WORK/deep.txt" || fail "--layers 22: block_count is not 22"
grep -q '"qframe-synth-llama3-22l-seed1"' "$WORK/deep.txt" || fail "--layers 22: general.name does not say the depth"
grep -q "^  blk.21.ffn_down.weight " "$WORK/deep.txt" || fail "--layers 22: no blk.21"
! grep -q "^  blk.22\." "$WORK/deep.txt" || fail "--layers 22: a blk.22 tensor"
"$QFRAME" synth -q --preset llama3 --layers 4 --out "$WORK/four.gguf"
"$QFRAME" synth -q --preset llama3 --out "$WORK/default.gguf"
cmp -s "$WORK/four.gguf" "$WORK/default.gguf" || fail "--layers 4 on a 4-layer preset changed the bytes"
finish
