#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) in build-fuzz/ and runs each for
# SECONDS (default 60) on the seed corpus in tests/fuzz/corpus/, keeping new inputs in
# build-fuzz/corpus/. A crash leaves crash-* files in build-fuzz/ and fails the script.
# Usage: tools/fuzz.sh [SECONDS] [TARGET...]   (targets: gguf decode recipe)
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-60}
shift || true
TARGETS=${*:-gguf decode recipe}
command -v clang++ > /dev/null || { echo "needs clang++ (apt-get install clang libclang-rt-14-dev)"; exit 1; }
CXX=clang++ cmake -S . -B build-fuzz -DQFRAME_FUZZ=ON -DQFRAME_SANITIZE=ON -DQFRAME_BUILD_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo > /dev/null
cmake --build build-fuzz -j"$(nproc)" > /dev/null
for t in $TARGETS; do
  mkdir -p "build-fuzz/corpus/$t"
  echo "fuzz_$t: ${SECONDS_EACH}s"
  (cd build-fuzz && ASAN_OPTIONS=detect_leaks=1 ./bin/fuzz_$t -max_total_time="$SECONDS_EACH" -rss_limit_mb=4096 -print_final_stats=1 \
     "corpus/$t" "../tests/fuzz/corpus/$t" 2>&1 | grep -E "^(#[0-9]+ *DONE|stat::number_of_executed_units|stat::peak_rss|==[0-9]+==ERROR|SUMMARY)" || true)
done
if ls build-fuzz/crash-* build-fuzz/leak-* build-fuzz/timeout-* > /dev/null 2>&1; then
  echo "findings:"; ls build-fuzz/crash-* build-fuzz/leak-* build-fuzz/timeout-* 2>/dev/null; exit 1
fi
echo "no crashes"
