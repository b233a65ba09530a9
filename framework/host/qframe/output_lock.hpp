// One writer per output: two qframe processes writing the same model could leave one's model
// beside the other's report. The lock is flock(2) on a hidden file beside the output
// (".NAME.lock", removed when the lock is released), held while the object lives; the kernel
// releases it when the process ends, so a killed run leaves no stale lock (only the empty file,
// which the next writer takes).
#pragma once

#include <filesystem>

#include "qframe/export.hpp"

namespace qframe {

class QFRAME_API OutputLock {
public:
    // Throws qframe::Error naming the output (and the holder's PID) when another process holds it.
    explicit OutputLock(const std::filesystem::path& output);
    ~OutputLock();
    OutputLock(const OutputLock&) = delete;
    OutputLock& operator=(const OutputLock&) = delete;

private:
    std::filesystem::path path_;
    int fd_ = -1;
};

}  // namespace qframe
