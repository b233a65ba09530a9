# Shared by the CLI tests: $QFRAME is the executable, $DATA the shared data folder, $WORK a
# scratch folder removed on exit. `fail` stops the test with a message.
set -euo pipefail
QFRAME=$1
DATA=$2
BUILD=${3:-}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
finish() {
  if [ "$failures" -ne 0 ]; then echo "$failures failure(s)" >&2; exit 1; fi
  echo "all checks passed"
}
need_data() {
  if [ ! -d "$DATA/models" ]; then echo "SKIP: $DATA not present"; exit 77; fi
}
