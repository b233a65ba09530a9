# tools/abi/sdk_fingerprint.py on a scratch copy of the SDK and its record: comments and spacing
# do not count, a real edit fails until the ABI is bumped and recorded, the record takes only a
# bumped number; and, on a small made-up header, what the tokenizer must get right.
set -euo pipefail
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

guard() { /usr/bin/python3 tools/abi/sdk_fingerprint.py "$@"; }
expect() {  # expect CODE TEXT -- command...: exits CODE and says TEXT (stdout or stderr)
  local code=$1 text=$2; shift 3
  set +e; "$@" > "$WORK/out" 2>&1; local got=$?; set -e
  [ "$got" -eq "$code" ] || fail "'$*' exited $got, expected $code: $(cat "$WORK/out")"
  grep -qF -- "$text" "$WORK/out" || fail "'$*' did not say '$text': $(cat "$WORK/out")"
}

SDK=$WORK/sdk REC=$WORK/sdk-abi.txt
cp -r framework/include/qframe "$SDK"
cp framework/sdk-abi.txt "$REC"
check() { guard check --sdk "$SDK" --record "$REC"; }
record() { guard record --sdk "$SDK" --record "$REC"; }
set_abi() { sed -i "s/^#define QFRAME_PLUGIN_ABI_VERSION .*/#define QFRAME_PLUGIN_ABI_VERSION $1u/" "$SDK/plugin.hpp"; }
abi=$(sed -n 's/^#define QFRAME_PLUGIN_ABI_VERSION \([0-9]*\)u\?$/\1/p' "$SDK/plugin.hpp")
[ -n "$abi" ] || { echo "FAIL: no QFRAME_PLUGIN_ABI_VERSION in plugin.hpp" >&2; exit 1; }
next=$((abi + 1))

# The copy as it is.
expect 0 "ABI $abi is recorded" -- check

# Comments and whitespace only, in every header: re-indented, blank lines doubled, comments added.
find "$SDK" -name '*.hpp' -exec sed -i 's/^    /\t/; s/^$/\n/; s/;$/;  \/\/ a "comment" it'"'"'s/; s/{$/{ \/* block *\//' {} +
diff -rq framework/include/qframe "$SDK" > /dev/null && fail "the comment and whitespace edit changed nothing"
expect 0 "ABI $abi is recorded" -- check

# A real edit: check and record both ask for a bump, and record leaves the record alone.
sed -i 's/^struct QFRAME_API TensorData {.*/&\n    int x;/' "$SDK/stage.hpp"
grep -q '^    int x;$' "$SDK/stage.hpp" || fail "could not add a member to TensorData in stage.hpp"
expect 1 "the SDK headers changed since ABI $abi was recorded: bump QFRAME_PLUGIN_ABI_VERSION" -- check
expect 1 "plugin.hpp to $next and run \`tools/abi/sdk_fingerprint.py record --sdk" -- check
cp "$REC" "$WORK/record.before"
expect 1 "bump QFRAME_PLUGIN_ABI_VERSION" -- record
cmp -s "$REC" "$WORK/record.before" || fail "record without a bump changed the record"

# Bumped: not recorded yet, then recorded, then the check passes.
set_abi $next
expect 1 "ABI $next is not recorded yet: run \`tools/abi/sdk_fingerprint.py record" -- check
expect 0 "recorded ABI $next" -- record
expect 0 "ABI $next is recorded" -- check
[ "$(tail -n 1 "$REC")" = "$next $(guard print --sdk "$SDK")" ] || fail "the record's last line is '$(tail -n 1 "$REC")'"

# A bump with nothing changed, a number set back, and a new edit under an old number all fail.
set_abi $((next + 1))
expect 1 "the same as recorded for ABI $next" -- check
set_abi $abi
expect 1 "the SDK headers are those recorded for ABI $next, but QFRAME_PLUGIN_ABI_VERSION is $abi: set it to $next" -- check
sed -i 's/^    int x;$/    int y;/' "$SDK/stage.hpp"
expect 1 "the SDK headers changed since ABI $abi was recorded: bump QFRAME_PLUGIN_ABI_VERSION" -- check
expect 1 "to $((next + 1)) and run" -- check

# The tokenizer: "//" and "/*" inside string and char literals are not comments, spacing inside
# them counts, and so do the ends of preprocessor lines and the spaces that split an operator.
MINI=$WORK/mini
mkdir "$MINI"
echo '#define QFRAME_PLUGIN_ABI_VERSION 1u' > "$MINI/plugin.hpp"
fp_of() { cat > "$MINI/tricky.hpp"; guard print --sdk "$MINI"; }
TRICKY=$(cat <<'H'
#define LAYER "re:^blk\\.(\\d+)"  // the "layer" pattern
const char* url = "http://x/*y*/";   /* a 'block' comment */
char slash = '/', quote = '"';
int n = a - -b;
H
)
base=$(printf '%s\n' "$TRICKY" | fp_of)
same() { [ "$(fp_of)" = "$base" ] || fail "$1 changed the fingerprint"; }
# differs NAME SED-SCRIPT: the tricky header edited by the script must fingerprint differently.
differs() { [ "$(printf '%s\n' "$TRICKY" | sed "$2" | fp_of)" != "$base" ] || fail "$1 did not change the fingerprint"; }
same "other comments and spacing" <<'H'
#  define   LAYER "re:^blk\\.(\\d+)"  /* another */
const char* url =
    "http://x/*y*/";
char slash='/',quote='"'; // it's
int n = a - - b;
H
differs "an edit in a string after //" 's|http://x/|http://z/|'
differs "an edit in a string with escapes" 's|(\\\\d+)|(\\\\d)|'
differs "spaces inside a string" 's|x/\*y|x/* y|'
differs "a #define joined with the next line" '1{N;s|  // the "layer" pattern\n| |}'
differs "'a - -b' written 'a --b'" 's|a - -b|a --b|'

if [ "$failures" -ne 0 ]; then echo "$failures failure(s)" >&2; exit 1; fi
echo "all checks passed"
