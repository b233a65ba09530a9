# The SDK headers are those recorded in framework/sdk-abi.txt for the current ABI version.
# Checked by hand: adding `int x;` to struct TensorData in stage.hpp without bumping the ABI
# makes this test fail with:
#   SDK ABI check failed: the SDK headers changed since ABI 4 was recorded: bump
#   QFRAME_PLUGIN_ABI_VERSION in framework/include/qframe/plugin.hpp to 4 and run
#   `tools/abi/sdk_fingerprint.py record`, so that plugins built against the old headers are
#   refused instead of crashing.
set -euo pipefail
exec /usr/bin/python3 tools/abi/sdk_fingerprint.py check
