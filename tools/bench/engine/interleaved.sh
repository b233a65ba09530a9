# Sourced by vs_llama.sh and arch_speed.sh: qframe_engine against llama.cpp on one file, run by
# run alternating. Needs BUILD, LLAMA_BIN, WORK, THREADS, REPEAT, PROMPT, GEN and TEXT.

median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

machine_line() {
  echo "$(date -u +%F), $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $THREADS threads, $REPEAT interleaved runs, load average $(cut -d' ' -f1 /proc/loadavg)"
}

# measure_interleaved FILE: sets pq pl gq gl (medians: prompt tok/s of qframe and llama.cpp,
# generation tok/s of each) and pr gr (the medians of the paired runs' ratios, qframe over
# llama.cpp). Prompt: PROMPT tokens in one batch, engine_logits' timer against llama-perplexity's
# "prompt eval time" on one chunk of TEXT; generation: GEN tokens against llama-simple's "eval time".
measure_interleaved() {
  local f=$1 i
  : > "$WORK/pp_q"; : > "$WORK/pp_l"; : > "$WORK/tg_q"; : > "$WORK/tg_l"
  for ((i = 0; i < REPEAT; i++)); do
    "$BUILD/bin/engine_logits" "$f" "random:$PROMPT" /dev/null --threads "$THREADS" --batch "$PROMPT" --last 1 --time 1 2>&1 |
      grep -o '[0-9.]* tokens/s' | cut -d' ' -f1 >> "$WORK/pp_q"
    "$LLAMA_BIN/llama-perplexity" -m "$f" -f "$TEXT" --chunks 1 -c "$PROMPT" -b "$PROMPT" -t "$THREADS" 2>&1 |
      grep 'prompt eval time' | grep -o '[0-9.]* tokens per second' | cut -d' ' -f1 >> "$WORK/pp_l"
    "$BUILD/bin/engine_logits" "$f" "random:8" /dev/null --threads "$THREADS" --generate "$GEN" --time 1 2>&1 > /dev/null |
      grep -o '[0-9.]* tokens/s' | cut -d' ' -f1 >> "$WORK/tg_q"
    "$LLAMA_BIN/llama-simple" -m "$f" -n "$GEN" "Hello world" 2>&1 |
      grep ' eval time' | grep -v prompt | grep -o '[0-9.]* tokens per second' | cut -d' ' -f1 >> "$WORK/tg_l"
  done
  pq=$(median < "$WORK/pp_q") pl=$(median < "$WORK/pp_l") gq=$(median < "$WORK/tg_q") gl=$(median < "$WORK/tg_l")
  pr=$(paste "$WORK/pp_q" "$WORK/pp_l" | awk '{print $1 / $2}' | median)
  gr=$(paste "$WORK/tg_q" "$WORK/tg_l" | awk '{print $1 / $2}' | median)
}
