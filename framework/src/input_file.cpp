#include "qframe/input_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "qframe/error.hpp"
#include "tokenizer/unicode.hpp"

namespace qframe {
namespace {

const char* kind_of(mode_t mode) {
    if (S_ISDIR(mode)) return "a folder";
    if (S_ISFIFO(mode)) return "a FIFO";
    if (S_ISCHR(mode)) return "a character device";
    if (S_ISBLK(mode)) return "a block device";
    if (S_ISSOCK(mode)) return "a socket";
    return "not a regular file";
}

}  // namespace

InputFile::InputFile(const std::filesystem::path& path, std::string_view what) : path_(path), what_(what) {
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer.
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) throw Error(fmt::format("{}: cannot open the {}: {}", path.string(), what_, std::strerror(errno)));
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        const int err = errno;
        ::close(fd);
        throw Error(fmt::format("{}: cannot stat the {}: {}", path.string(), what_, std::strerror(err)));
    }
    if (!S_ISREG(st.st_mode)) {
        ::close(fd);
        throw Error(fmt::format("{}: the {} is {}, not a regular file", path.string(), what_, kind_of(st.st_mode)));
    }
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    fd_ = fd;
    size_ = static_cast<uint64_t>(st.st_size);
}

InputFile::~InputFile() {
    if (fd_ >= 0) ::close(fd_);
}

InputFile::InputFile(InputFile&& other) noexcept
    : path_(std::move(other.path_)), what_(std::move(other.what_)), fd_(other.fd_), size_(other.size_) {
    other.fd_ = -1;
}

int InputFile::release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
}

std::string InputFile::read_all(uint64_t max_bytes) const {
    if (size_ > max_bytes)
        throw Error(fmt::format("{}: the {} is {} bytes; at most {} are read (is it the right file?)", path_.string(), what_,
                                size_, max_bytes));
    std::string out(size_, '\0');
    size_t done = 0;
    while (done < out.size()) {
        const ssize_t n = ::pread(fd_, out.data() + done, out.size() - done, static_cast<off_t>(done));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw Error(fmt::format("{}: reading the {} failed: {}", path_.string(), what_, std::strerror(errno)));
        if (n == 0) throw Error(fmt::format("{}: the {} shrank while it was read", path_.string(), what_));
        done += static_cast<size_t>(n);
    }
    return out;
}

std::string read_input_text(const std::filesystem::path& path, std::string_view what, uint64_t max_bytes) {
    return InputFile(path, what).read_all(max_bytes);
}

std::string read_evaluation_text(const std::filesystem::path& path) {
    std::string text = read_input_text(path, "text", kMaxTextFileBytes);
    if (const tok::Utf8Damage damage = tok::utf8_damage(text); damage.bad_bytes > 0)
        spdlog::warn("{}: {} of its {} bytes are not UTF-8 (the first at byte {}); each is read as U+FFFD, as llama.cpp does",
                     path.string(), damage.bad_bytes, text.size(), damage.first_offset);
    return text;
}

}  // namespace qframe
