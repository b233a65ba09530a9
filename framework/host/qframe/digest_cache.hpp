// The SHA-256 of a file that runs read again and again (a sweep's input model, run after run,
// is hashed once instead of every time: 9 s for an 8B F16 model). Kept on disk under the file's
// identity: device, inode, size, modification and status-change times. Every write moves the
// status-change time, which no user-space call can set back, so a changed file never meets an
// old digest.
//
// Where: $QFRAME_CACHE_DIR, else $XDG_CACHE_HOME/qframe, else $HOME/.cache/qframe; an empty
// QFRAME_CACHE_DIR turns the cache off. A cache that cannot be read or written is no cache: the
// digest is then computed, never an error.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "qframe/export.hpp"

namespace qframe {

class QFRAME_API DigestCache {
public:
    // The file's identity is taken now: a digest computed after this and put() is filed under
    // it, so a file changed meanwhile is never matched with it.
    explicit DigestCache(const std::filesystem::path& file);

    std::optional<std::string> get() const;
    void put(const std::string& sha256_hex) const;
    // The entry's path, empty when the cache is off or the file cannot be identified.
    const std::filesystem::path& entry() const { return entry_; }

private:
    std::string identity_;
    std::filesystem::path entry_;
};

}  // namespace qframe
