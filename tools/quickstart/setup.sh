#!/usr/bin/env bash
# Installs what is missing (Debian 12 packages) and builds qframe into build/ (or $QFRAME_BUILD_DIR).
# Usage: tools/quickstart/setup.sh [extra cmake -D options]
set -euo pipefail
cd "$(dirname "$0")/../.."

PACKAGES=(build-essential cmake libboost-dev libboost-program-options-dev libboost-filesystem-dev
          libyaml-cpp-dev libspdlog-dev libfmt-dev nlohmann-json3-dev libssl-dev libpcre2-dev pkg-config catch2 python3 python3-numpy strace gnuplot-nox)
# Optional extras (QFRAME_OPTIONAL_PACKAGES, e.g. the local Slurm cluster of the tests): tried
# once, and a failure only says so; the tests that need them skip visibly.
missing_of() {
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || echo "$p"
  done
}
apt_install() {
  local SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "installing: $*"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" > /dev/null
}
mapfile -t missing < <(missing_of "${PACKAGES[@]}")
[ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"
read -r -a optional <<< "${QFRAME_OPTIONAL_PACKAGES:-}"
mapfile -t missing < <(missing_of "${optional[@]}")
[ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}" || echo "could not install ${missing[*]}: the tests that need them will skip"

BUILD_DIR=${QFRAME_BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" > /dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)"
