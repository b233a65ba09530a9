# Sourced by tools/bench/engine/iq_speed.sh and tools/bench/encoders/iq_quantize.sh: the 1.1B model
# (`qframe synth --preset tinyllama-1.1b-f16`) and llama-imatrix's matrix of it (IMATRIX_CHUNKS
# chunks of 512 tokens of TEXT, default 4), made in WORK when missing. Needs BUILD, WORK,
# LLAMA_BIN, THREADS and TEXT; sets F16 and IMATRIX.
IMATRIX_CHUNKS=${IMATRIX_CHUNKS:-4}
export LD_LIBRARY_PATH="$LLAMA_BIN${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
mkdir -p "$WORK"
F16="$WORK/tinyllama-1.1b-f16.gguf"
IMATRIX="$WORK/tinyllama-1.1b-imatrix.dat"
[ -f "$F16" ] || "$BUILD/bin/qframe" synth -q --preset tinyllama-1.1b-f16 --out "$F16"
[ -f "$IMATRIX" ] || "$LLAMA_BIN/llama-imatrix" -m "$F16" -f "$TEXT" --chunks "$IMATRIX_CHUNKS" -c 512 -t "$THREADS" \
  -o "$IMATRIX" > "$WORK/imatrix.log" 2>&1
