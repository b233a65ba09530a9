// A file written through a temporary name and published by rename() on commit().
#pragma once

#include "qframe/export.hpp"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string_view>
#include <vector>

namespace qframe {

// A whole file written through OutputFile: complete or absent, never half-written.
QFRAME_API void write_file_atomically(const std::filesystem::path& path, std::span<const std::byte> bytes);
inline void write_text_atomically(const std::filesystem::path& path, std::string_view text) {
    write_file_atomically(path, std::as_bytes(std::span(text.data(), text.size())));
}

class QFRAME_API OutputFile {
public:
    // Creates a temporary file beside `target`; throws qframe::Error.
    explicit OutputFile(std::filesystem::path target);
    // Removes the temporary file unless commit() succeeded.
    ~OutputFile();
    OutputFile(const OutputFile&) = delete;
    OutputFile& operator=(const OutputFile&) = delete;

    void write(std::span<const std::byte> bytes);
    void write_zeros(uint64_t n);
    uint64_t position() const { return written_; }
    // Flushes, fsyncs and renames the temporary file onto the target.
    void commit();

private:
    void flush_buffer();

    std::filesystem::path target_;
    std::filesystem::path temp_;
    int fd_ = -1;
    bool committed_ = false;
    uint64_t written_ = 0;
    std::vector<std::byte> buffer_;
    size_t buffered_ = 0;
};

}  // namespace qframe
