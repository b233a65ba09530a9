// Where rewritten tensors live once a quantizer has made them: in a file, never all in the
// process's anonymous memory (issue 13: any model size in bounded memory).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>

#include "qframe/export.hpp"
#include "qframe/output_file.hpp"

namespace qframe {

// Upper bound of the bytes a tensor of `n_values` can take in any type (F64 and I64: 8 a value),
// or the `n_bytes` it has now if that is more (an opaque type).
uint64_t largest_tensor_bytes(uint64_t n_values, uint64_t n_bytes);

// A file written at chosen offsets (from any thread) and read back through one shared read-only
// mapping of `capacity` bytes made up front: a view stays valid while the file grows, and its
// pages are page cache, which the kernel may write out and drop, not anonymous memory.
class QFRAME_API WrittenTensors {  // exported, as SpillFile, for the tests
public:
    WrittenTensors(int fd, uint64_t capacity, std::filesystem::path name);  // `fd` stays the caller's
    ~WrittenTensors();
    WrittenTensors(const WrittenTensors&) = delete;
    WrittenTensors& operator=(const WrittenTensors&) = delete;

    // Each returns the bytes as the file now holds them.
    std::span<const std::byte> write(uint64_t offset, std::span<const std::byte> bytes);
    std::span<const std::byte> copy(uint64_t offset, const FileBytes& from);
    std::span<const std::byte> view(uint64_t offset, uint64_t n) const;
    // A view (from the calls above) as bytes of the file, for copies made by the kernel.
    FileBytes file_bytes(std::span<const std::byte> view) const;

private:
    int fd_;
    std::filesystem::path name_;
    std::byte* data_ = nullptr;
    uint64_t capacity_;
};

// The results of quantizers that run before the last one (or of all of them when no output is
// written), appended in the order they finish to a nameless file in `dir` that disappears with
// the process, however it ends.
class QFRAME_API SpillFile {
public:
    SpillFile(const std::filesystem::path& dir, uint64_t capacity);
    ~SpillFile();
    SpillFile(const SpillFile&) = delete;
    SpillFile& operator=(const SpillFile&) = delete;

    std::span<const std::byte> append(std::span<const std::byte> bytes);  // thread-safe
    const WrittenTensors& tensors() const { return *tensors_; }

private:
    int fd_ = -1;
    std::atomic<uint64_t> end_{0};
    std::optional<WrittenTensors> tensors_;
};

}  // namespace qframe
