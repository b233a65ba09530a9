#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) in build-fuzz/ and runs each for
# SECONDS (default 60) on its seed corpus (tests/fuzz/corpus/TARGET, plus the shipped recipes and
# studies, and the texts of ../shared/data/vocab for the tokenizer), keeping new inputs in
# build-fuzz/corpus/. A crash leaves crash-* files in build-fuzz/ and fails the script.
# Usage: tools/fuzz.sh [SECONDS] [TARGET...]
#   targets: gguf decode recipe tokenizer model study plan (default: all)
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-60}
shift || true
TARGETS=${*:-gguf decode recipe tokenizer model study plan}
# clang 16: the engine's _Float16 needs clang 15 or later on x86 (Debian 12's clang is 14).
CLANG=${CLANG:-clang++-16}
command -v "$CLANG" > /dev/null || { echo "needs $CLANG (apt-get install clang-16 libclang-rt-16-dev)"; exit 1; }
CXX=$CLANG cmake -S . -B build-fuzz -DQFRAME_FUZZ=ON -DQFRAME_SANITIZE=ON -DQFRAME_BUILD_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo > /dev/null
cmake --build build-fuzz -j"$(nproc)" > /dev/null

# Seeds beyond tests/fuzz/corpus: what ships, and llama.cpp's tokenizer test texts cut at their
# separators.
mkdir -p build-fuzz/seeds/{recipe,study,tokenizer,model}
for preset in qwen2 qwen2moe gemma gemma2 phi3 mixtral llama3; do
  [ -f "build-fuzz/seeds/model/$preset.gguf" ] ||
    ASAN_OPTIONS=detect_leaks=0 build-fuzz/bin/qframe synth -q --preset "$preset" --layers 1 --out "build-fuzz/seeds/model/$preset.gguf"
done
cp recipes/*.yaml build-fuzz/seeds/recipe/ 2> /dev/null || true
cp recipes/studies/*.yaml build-fuzz/seeds/study/ 2> /dev/null || true
for inp in ../shared/data/vocab/*.inp; do
  [ -f "$inp" ] || continue
  /usr/bin/python3 - "$inp" build-fuzz/seeds/tokenizer <<'PY'
import os, sys
text = open(sys.argv[1], "rb").read()
for i, part in enumerate(text.split(b"\n__ggml_vocab_test__\n")):
    open(os.path.join(sys.argv[2], f"{os.path.basename(sys.argv[1])}.{i}"), "wb").write(part)
PY
done

for t in $TARGETS; do
  mkdir -p "build-fuzz/corpus/$t" "build-fuzz/seeds/$t"
  seeds=$t
  [ "$t" != model ] || seeds=gguf  # the micro model
  echo "fuzz_$t: ${SECONDS_EACH}s"
  (cd build-fuzz && ASAN_OPTIONS=detect_leaks=1 ./bin/fuzz_$t -max_total_time="$SECONDS_EACH" -rss_limit_mb=4096 -print_final_stats=1 \
     "corpus/$t" "../tests/fuzz/corpus/$seeds" "seeds/$t" 2>&1 | grep -E "^(#[0-9]+ *DONE|stat::number_of_executed_units|stat::peak_rss|==[0-9]+==ERROR|SUMMARY)" || true)
done
findings=$(find build-fuzz -maxdepth 1 \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \))
if [ -n "$findings" ]; then
  echo "findings:"; echo "$findings"; exit 1
fi
echo "no crashes"
