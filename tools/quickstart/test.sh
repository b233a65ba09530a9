#!/usr/bin/env bash
# Quick start, part 2: set up, build, and run the whole test suite; then build it again with
# AddressSanitizer + UndefinedBehaviorSanitizer and run it once more.
set -euo pipefail
cd "$(dirname "$0")/../.."
# slurmctld, slurmd, slurm-client: cli.sweep_slurm runs the Slurm executor on a real local cluster.
export QFRAME_OPTIONAL_PACKAGES="slurmctld slurmd slurm-client"
tools/quickstart/setup.sh
(cd build && ctest --output-on-failure -j"$(nproc)")
if [ "${QFRAME_SKIP_SANITIZERS:-0}" != 1 ]; then
  QFRAME_BUILD_DIR=build-asan tools/quickstart/setup.sh -DQFRAME_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
  (cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j"$(nproc)")
fi
