// The hidden temporary files that outputs are written through (OutputFile): named so that the
// process which made them can be told, removed when a signal ends the process, and removed on a
// later run when that process died without the chance (SIGKILL, a power loss).
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>

#include "qframe/export.hpp"

namespace qframe {

// The mkstemp pattern of a temporary beside `target`: ".NAME.tmp.HOST.PID.XXXXXX". The host is
// part of it because a folder may be shared by the nodes of a cluster, each with its own PIDs.
QFRAME_API std::string temporary_pattern(const std::filesystem::path& target);

// Removes the temporaries beside `target` left by processes of this host that no longer run;
// returns how many.
QFRAME_API size_t remove_stale_temporaries(const std::filesystem::path& target);

// While registered, a temporary is removed by the handlers install_interrupt_cleanup() sets up.
// register_temporary returns a slot for forget_temporary, or -1 when every slot is taken (the
// file is then left to remove_stale_temporaries).
QFRAME_API int register_temporary(const std::filesystem::path& path);
QFRAME_API void forget_temporary(int slot);

// SIGINT, SIGTERM and SIGHUP: remove every registered temporary, say so on stderr and exit with
// 128 + the signal's number (130, 143, 129), as a shell reports a process its signal ended.
QFRAME_API void install_interrupt_cleanup();

}  // namespace qframe
