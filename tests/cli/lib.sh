# Shared by the CLI tests: $QFRAME is the executable, $DATA the shared data folder, $WORK a
# scratch folder removed on exit, $ROOT the repository. `fail` stops the test with a message.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
QFRAME=$1
DATA=$2
BUILD=${3:-}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export QFRAME_CACHE_DIR="$WORK/cache"  # each test starts with no digest cached
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
finish() {
  if [ "$failures" -ne 0 ]; then echo "$failures failure(s)" >&2; exit 1; fi
  echo "all checks passed"
}
need_data() {
  if [ ! -d "$DATA/models" ]; then echo "SKIP: $DATA not present"; exit 77; fi
}
# The sanitizer pass (tools/quickstart/test.sh) runs the same checks on lighter studies: the
# acceptance-size runs are several times slower there and test nothing more of memory safety.
SANITIZED=0
if [ -n "$BUILD" ] && grep -q "^QFRAME_SANITIZE:BOOL=ON" "$BUILD/CMakeCache.txt" 2> /dev/null; then
  SANITIZED=1
  echo "(sanitizer build: studies run one chunk)"
fi
# light_study_sets: --set arguments that make a study one chunk long in the sanitizer pass.
light_study_sets() {
  if [ "$SANITIZED" = 1 ]; then echo "--set study.chunks=1"; fi
}
