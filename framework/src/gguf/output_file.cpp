#include "qframe/output_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <future>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "qframe/error.hpp"
#include "qframe/gguf.hpp"
#include "qframe/temporary_files.hpp"

namespace qframe {
namespace {

constexpr size_t kBufferBytes = 8u << 20;

[[noreturn]] void fail(const std::filesystem::path& p, const char* what, int err) {
    throw Error(fmt::format("{}: {}: {}", p.string(), what, std::strerror(err)));
}

// Returns how many bytes the kernel copied (all, or fewer where it cannot).
size_t copy_in_kernel(const FileBytes& from, int fd, uint64_t offset) {
    if (from.fd < 0) return 0;
    loff_t in = static_cast<loff_t>(from.offset), out = static_cast<loff_t>(offset);
    size_t copied = 0;
    while (copied < from.bytes.size()) {
        const ssize_t n = ::copy_file_range(from.fd, &in, fd, &out, from.bytes.size() - copied, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        copied += static_cast<size_t>(n);
    }
    return copied;
}

}  // namespace

FileBytes file_bytes(const MappedFile& file, std::span<const std::byte> range) {
    const auto whole = file.bytes();
    if (range.data() < whole.data() || range.data() + range.size() > whole.data() + whole.size())
        throw Error(fmt::format("{}: bytes from outside its mapping", file.path().string()));
    return {file.descriptor(), static_cast<uint64_t>(range.data() - whole.data()), range};
}

void write_at(int fd, uint64_t offset, std::span<const std::byte> bytes, const std::filesystem::path& name) {
    size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t n = ::pwrite(fd, bytes.data() + done, bytes.size() - done, static_cast<off_t>(offset + done));
        if (n < 0) {
            if (errno == EINTR) continue;
            fail(name, "write failed", errno);
        }
        done += static_cast<size_t>(n);
    }
}

void copy_at(const FileBytes& from, int fd, uint64_t offset, const std::filesystem::path& name) {
    const size_t copied = copy_in_kernel(from, fd, offset);
    write_at(fd, offset + copied, from.bytes.subspan(copied), name);
}

void check_output_target(const std::filesystem::path& target) {
    std::error_code ec;
    const auto status = std::filesystem::symlink_status(target, ec);
    if (ec || status.type() == std::filesystem::file_type::not_found || status.type() == std::filesystem::file_type::regular) return;
    if (status.type() == std::filesystem::file_type::directory) throw Error(fmt::format("{}: is a folder; the output is a file", target.string()));
    const char* what = status.type() == std::filesystem::file_type::symlink ? "a symbolic link"
                       : status.type() == std::filesystem::file_type::fifo  ? "a FIFO"
                       : status.type() == std::filesystem::file_type::block || status.type() == std::filesystem::file_type::character ? "a device"
                                                                                                                                        : "not a regular file";
    throw Error(fmt::format("{}: is {}; refusing to replace it with the output (name a regular file or a new path)", target.string(), what));
}

OutputFile::OutputFile(std::filesystem::path target, bool hash) : target_(std::move(target)), buffer_(kBufferBytes) {
    check_output_target(target_);
    if (hash) digest_.emplace();
    remove_stale_temporaries(target_);
    std::string pattern = temporary_pattern(target_);
    fd_ = ::mkstemp(pattern.data());
    if (fd_ < 0) fail(target_, "cannot create a temporary file beside it", errno);
    temp_ = pattern;
    signal_slot_ = register_temporary(temp_);
    // mkstemp creates 0600; give the output the permissions a plain create would.
    const mode_t mask = ::umask(0);
    ::umask(mask);
    ::fchmod(fd_, 0666 & ~mask);
}

OutputFile::~OutputFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_ && !temp_.empty()) ::unlink(temp_.c_str());
    forget_temporary(signal_slot_);
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
    const FileBytes from = file_bytes(source, range);
    flush_buffer();
    std::future<void> hashed;
    if (digest_) hashed = std::async(std::launch::async, [this, range] { digest_->update(range); });
    const size_t copied = copy_in_kernel(from, fd_, written_);
    written_ += copied;
    if (::lseek(fd_, static_cast<off_t>(written_), SEEK_SET) < 0) fail(target_, "seek failed", errno);
    // What the kernel did not copy: from the mapping.
    buffer(range.subspan(copied));
    if (hashed.valid()) hashed.get();
}

void OutputFile::write_at(uint64_t offset, std::span<const std::byte> bytes) { qframe::write_at(fd_, offset, bytes, target_); }

void OutputFile::resize(uint64_t size) {
    if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) fail(target_, "cannot set its size", errno);
}

void OutputFile::start_writeback() { ::sync_file_range(fd_, 0, 0, SYNC_FILE_RANGE_WRITE); }

void OutputFile::commit(bool sync, const std::function<void(uint64_t bytes)>& before_rename) {
    flush_buffer();
    if (sync && ::fsync(fd_) != 0) fail(target_, "fsync failed", errno);
    struct stat st {};
    if (::fstat(fd_, &st) != 0) fail(target_, "cannot stat the finished file", errno);
    const int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) fail(target_, "close failed", errno);
    if (digest_) sha256_ = digest_->hex();
    if (before_rename) before_rename(static_cast<uint64_t>(st.st_size));
    if (::rename(temp_.c_str(), target_.c_str()) != 0) fail(target_, "cannot rename the finished file into place", errno);
    committed_ = true;
    forget_temporary(std::exchange(signal_slot_, -1));
}

void write_file_atomically(const std::filesystem::path& path, std::span<const std::byte> bytes) {
    OutputFile out(path);
    out.write(bytes);
    out.commit();
}

}  // namespace qframe
