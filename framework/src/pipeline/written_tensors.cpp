#include "pipeline/written_tensors.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

#include <fmt/format.h>

#include "qframe/error.hpp"

namespace qframe {
namespace {

// Results are placed on cache-line boundaries (the spill has no alignment rule of its own).
constexpr uint64_t kSpillAlignment = 64;
constexpr uint64_t kMaxBytesPerValue = 8;

[[noreturn]] void fail(const std::filesystem::path& name, const char* what, int err) {
    throw Error(fmt::format("{}: {}: {}", name.string(), what, std::strerror(err)));
}

// O_TMPFILE makes a file without a name; where the file system cannot, a named one is unlinked
// at once.
int nameless_file(const std::filesystem::path& dir) {
    int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd >= 0) return fd;
    std::string pattern = (dir / ".qframe-spill.XXXXXX").string();
    fd = ::mkostemp(pattern.data(), O_CLOEXEC);
    if (fd < 0) fail(dir, "cannot create a spill file", errno);
    ::unlink(pattern.c_str());
    return fd;
}

}  // namespace

uint64_t largest_tensor_bytes(uint64_t n_values, uint64_t n_bytes) { return std::max(n_values * kMaxBytesPerValue, n_bytes); }

WrittenTensors::WrittenTensors(int fd, uint64_t capacity, std::filesystem::path name) : fd_(fd), name_(std::move(name)), capacity_(capacity) {
    if (capacity_ == 0) return;
    // Address space only: pages exist once written, and are the file's.
    void* p = ::mmap(nullptr, capacity_, PROT_READ, MAP_SHARED, fd_, 0);
    if (p == MAP_FAILED) fail(name_, "cannot map", errno);
    data_ = static_cast<std::byte*>(p);
}

WrittenTensors::~WrittenTensors() {
    if (data_) ::munmap(data_, capacity_);
}

std::span<const std::byte> WrittenTensors::view(uint64_t offset, uint64_t n) const {
    if (offset + n > capacity_) throw Error(fmt::format("{}: {} bytes at {} lie past the {} reserved", name_.string(), n, offset, capacity_));
    return {data_ + offset, n};
}

std::span<const std::byte> WrittenTensors::write(uint64_t offset, std::span<const std::byte> bytes) {
    const auto out = view(offset, bytes.size());
    write_at(fd_, offset, bytes, name_);
    return out;
}

std::span<const std::byte> WrittenTensors::copy(uint64_t offset, const FileBytes& from) {
    const auto out = view(offset, from.bytes.size());
    copy_at(from, fd_, offset, name_);
    return out;
}

FileBytes WrittenTensors::file_bytes(std::span<const std::byte> v) const {
    if (v.data() < data_ || v.data() + v.size() > data_ + capacity_) throw Error(fmt::format("{}: bytes from outside its mapping", name_.string()));
    return {fd_, static_cast<uint64_t>(v.data() - data_), v};
}

SpillFile::SpillFile(const std::filesystem::path& dir, uint64_t capacity) : fd_(nameless_file(dir)) {
    tensors_.emplace(fd_, capacity, dir / "(spill file)");
}

SpillFile::~SpillFile() {
    tensors_.reset();
    ::close(fd_);
}

std::span<const std::byte> SpillFile::append(std::span<const std::byte> bytes) {
    const uint64_t size = (bytes.size() + kSpillAlignment - 1) / kSpillAlignment * kSpillAlignment;
    return tensors_->write(end_.fetch_add(size), bytes);
}

}  // namespace qframe
