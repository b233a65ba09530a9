#include "qframe/output_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include <fmt/format.h>

#include "qframe/error.hpp"

namespace qframe {

OutputLock::OutputLock(const std::filesystem::path& output) {
    const auto dir = output.has_parent_path() ? output.parent_path() : std::filesystem::path(".");
    const auto path = dir / fmt::format(".{}.lock", output.filename().string());
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd_ < 0) throw Error(fmt::format("{}: cannot open its lock file {}: {}", output.string(), path.string(), std::strerror(errno)));
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
        const int err = errno;
        char holder[32] = {};
        const ssize_t n = ::pread(fd_, holder, sizeof holder - 1, 0);
        ::close(fd_);
        fd_ = -1;
        if (err != EWOULDBLOCK) throw Error(fmt::format("{}: cannot lock {}: {}", output.string(), path.string(), std::strerror(err)));
        throw Error(fmt::format("{}: another qframe process{} is writing this output; wait for it or choose another",
                                output.string(), n > 0 ? fmt::format(" (PID {})", std::string(holder, static_cast<size_t>(n))) : ""));
    }
    const std::string pid = std::to_string(::getpid());
    if (::ftruncate(fd_, 0) == 0) (void)!::pwrite(fd_, pid.data(), pid.size(), 0);  // only for the message above
}

OutputLock::~OutputLock() {
    if (fd_ >= 0) ::close(fd_);  // releases the lock
}

}  // namespace qframe
