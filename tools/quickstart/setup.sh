#!/usr/bin/env bash
# Installs what is missing (Debian 12 packages) and builds qframe into build/ (or $QFRAME_BUILD_DIR).
# Usage: tools/quickstart/setup.sh [extra cmake -D options]
set -euo pipefail
cd "$(dirname "$0")/../.."

PACKAGES=(build-essential cmake libboost-dev libboost-program-options-dev libboost-filesystem-dev
          libyaml-cpp-dev libspdlog-dev libfmt-dev nlohmann-json3-dev libssl-dev catch2 python3 python3-numpy strace gnuplot-nox)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" > /dev/null
fi

BUILD_DIR=${QFRAME_BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" > /dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)"
