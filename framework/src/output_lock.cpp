#include "qframe/output_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include <fmt/format.h>

#include "qframe/error.hpp"

namespace qframe {

OutputLock::OutputLock(const std::filesystem::path& output) {
    const auto dir = output.has_parent_path() ? output.parent_path() : std::filesystem::path(".");
    path_ = dir / fmt::format(".{}.lock", output.filename().string());
    // The holder removes the file when it is done, so a lock taken on a file that was removed
    // meanwhile is on a name nobody else sees: take it again on the file the name now points to.
    for (int attempt = 0; attempt < 100; ++attempt) {
        const int fd = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0) throw Error(fmt::format("{}: cannot open its lock file {}: {}", output.string(), path_.string(), std::strerror(errno)));
        if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
            const int err = errno;
            char holder[32] = {};
            const ssize_t n = ::pread(fd, holder, sizeof holder - 1, 0);
            ::close(fd);
            if (err != EWOULDBLOCK) throw Error(fmt::format("{}: cannot lock {}: {}", output.string(), path_.string(), std::strerror(err)));
            throw Error(fmt::format("{}: another qframe process{} is writing this output; wait for it or choose another",
                                    output.string(), n > 0 ? fmt::format(" (PID {})", std::string(holder, static_cast<size_t>(n))) : ""));
        }
        struct stat held {}, named {};
        if (::fstat(fd, &held) == 0 && ::stat(path_.c_str(), &named) == 0 && held.st_ino == named.st_ino && held.st_dev == named.st_dev) {
            fd_ = fd;
            const std::string pid = std::to_string(::getpid());
            if (::ftruncate(fd_, 0) == 0) (void)!::pwrite(fd_, pid.data(), pid.size(), 0);  // only for the message above
            return;
        }
        ::close(fd);
    }
    throw Error(fmt::format("{}: could not take its lock file {}", output.string(), path_.string()));
}

OutputLock::~OutputLock() {
    if (fd_ < 0) return;
    ::unlink(path_.c_str());  // while still held: the next writer creates a fresh one
    ::close(fd_);
}

}  // namespace qframe
