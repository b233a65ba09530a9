#include "qframe/output_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <future>
#include <string>

#include <fmt/format.h>

#include "qframe/error.hpp"
#include "qframe/gguf.hpp"

namespace qframe {
namespace {

constexpr size_t kBufferBytes = 8u << 20;

[[noreturn]] void fail(const std::filesystem::path& p, const char* what, int err) {
    throw Error(fmt::format("{}: {}: {}", p.string(), what, std::strerror(err)));
}

}  // namespace

OutputFile::OutputFile(std::filesystem::path target, bool hash) : target_(std::move(target)), buffer_(kBufferBytes) {
    if (hash) digest_.emplace();
    const auto dir = target_.has_parent_path() ? target_.parent_path() : std::filesystem::path(".");
    std::string pattern = (dir / fmt::format(".{}.tmp.XXXXXX", target_.filename().string())).string();
    fd_ = ::mkstemp(pattern.data());
    if (fd_ < 0) fail(target_, "cannot create a temporary file beside it", errno);
    temp_ = pattern;
    // mkstemp creates 0600; give the output the permissions a plain create would.
    const mode_t mask = ::umask(0);
    ::umask(mask);
    ::fchmod(fd_, 0666 & ~mask);
}

OutputFile::~OutputFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_ && !temp_.empty()) ::unlink(temp_.c_str());
}

void OutputFile::flush_buffer() {
    size_t done = 0;
    while (done < buffered_) {
        const ssize_t n = ::write(fd_, buffer_.data() + done, buffered_ - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            fail(target_, "write failed", errno);
        }
        done += static_cast<size_t>(n);
    }
    buffered_ = 0;
}

void OutputFile::write(std::span<const std::byte> bytes) {
    if (digest_) digest_->update(bytes);
    buffer(bytes);
}

void OutputFile::buffer(std::span<const std::byte> bytes) {
    while (!bytes.empty()) {
        const size_t n = std::min(bytes.size(), buffer_.size() - buffered_);
        std::memcpy(buffer_.data() + buffered_, bytes.data(), n);
        buffered_ += n;
        written_ += n;
        bytes = bytes.subspan(n);
        if (buffered_ == buffer_.size()) flush_buffer();
    }
}

void OutputFile::write_zeros(uint64_t n) {
    static const std::byte zeros[256] = {};
    while (n > 0) {
        const size_t chunk = static_cast<size_t>(std::min<uint64_t>(n, sizeof zeros));
        write({zeros, chunk});
        n -= chunk;
    }
}

void OutputFile::copy(const MappedFile& source, std::span<const std::byte> range) {
    const auto whole = source.bytes();
    if (range.data() < whole.data() || range.data() + range.size() > whole.data() + whole.size())
        throw Error(fmt::format("{}: a copy from outside the source's mapping", target_.string()));
    flush_buffer();
    std::future<void> hashed;
    if (digest_) hashed = std::async(std::launch::async, [this, range] { digest_->update(range); });
    loff_t from = range.data() - whole.data();
    size_t copied = 0;
    while (copied < range.size()) {
        const ssize_t n = ::copy_file_range(source.descriptor(), &from, fd_, nullptr, range.size() - copied, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        copied += static_cast<size_t>(n);
    }
    written_ += copied;
    // What the kernel did not copy (another file system, an old kernel): from the mapping.
    buffer(range.subspan(copied));
    if (hashed.valid()) hashed.get();
}

void OutputFile::commit() {
    flush_buffer();
    if (::fsync(fd_) != 0) fail(target_, "fsync failed", errno);
    const int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) fail(target_, "close failed", errno);
    if (::rename(temp_.c_str(), target_.c_str()) != 0) fail(target_, "cannot rename the finished file into place", errno);
    committed_ = true;
    if (digest_) sha256_ = digest_->hex();
}

void write_file_atomically(const std::filesystem::path& path, std::span<const std::byte> bytes) {
    OutputFile out(path);
    out.write(bytes);
    out.commit();
}

}  // namespace qframe
