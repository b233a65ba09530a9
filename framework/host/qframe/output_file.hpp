// A file written through a temporary name and published by rename() on commit().
#pragma once

#include "qframe/export.hpp"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "qframe/sha256.hpp"

namespace qframe {

class MappedFile;

// Bytes of an open file, for copies made by the kernel: `fd` from `offset`, also readable as
// `bytes` (a mapping of them) for what the kernel will not copy. fd -1: only `bytes`.
struct FileBytes {
    int fd = -1;
    uint64_t offset = 0;
    std::span<const std::byte> bytes;
};
// `range`, a part of `file`'s mapping, as FileBytes; throws qframe::Error when it is not.
QFRAME_API FileBytes file_bytes(const MappedFile& file, std::span<const std::byte> range);

// Positional writes, safe from several threads at once; `name` says which file in errors.
// All of `bytes` at `offset` of `fd`.
QFRAME_API void write_at(int fd, uint64_t offset, std::span<const std::byte> bytes, const std::filesystem::path& name);
// `from` to `offset` of `fd`: copied by the kernel (copy_file_range) where it can, and through
// user space, from the mapping, where it cannot (another file system, an old kernel).
QFRAME_API void copy_at(const FileBytes& from, int fd, uint64_t offset, const std::filesystem::path& name);

// A whole file written through OutputFile: complete or absent, never half-written.
// Throws qframe::Error when `target` exists and is not a regular file: a device, a FIFO, a folder
// or a symbolic link would be replaced by the regular file an atomic write renames into place.
// OutputFile checks it; so do the commands, before any work.
QFRAME_API void check_output_target(const std::filesystem::path& target);

QFRAME_API void write_file_atomically(const std::filesystem::path& path, std::span<const std::byte> bytes);
inline void write_text_atomically(const std::filesystem::path& path, std::string_view text) {
    write_file_atomically(path, std::as_bytes(std::span(text.data(), text.size())));
}

class QFRAME_API OutputFile {
public:
    // Creates a temporary file beside `target` (qframe/temporary_files.hpp: removed on a signal,
    // and stale ones of dead processes removed first); throws qframe::Error. With `hash`, the SHA-256
    // of every byte written is computed on the way (sha256() after commit()).
    explicit OutputFile(std::filesystem::path target, bool hash = false);
    // Removes the temporary file unless commit() succeeded.
    ~OutputFile();
    OutputFile(const OutputFile&) = delete;
    OutputFile& operator=(const OutputFile&) = delete;

    void write(std::span<const std::byte> bytes);
    void write_zeros(uint64_t n);
    // Appends `range`, a part of `source`'s mapping, copied by the kernel from the source file
    // (copy_file_range; read and written through user space where the kernel cannot, e.g.
    // across file systems). Its hash is computed from the mapping meanwhile, on another thread.
    void copy(const MappedFile& source, std::span<const std::byte> range);
    uint64_t position() const { return written_; }

    // Positional writing, for files assembled out of order (from several threads at once); do
    // not mix with the appending calls above.
    int descriptor() const { return fd_; }
    void write_at(uint64_t offset, std::span<const std::byte> bytes);
    void resize(uint64_t size);
    // Starts writing the dirty pages back to the disk, without waiting; commit()'s fsync then
    // has less left to do.
    void start_writeback();
    // Flushes, fsyncs when `sync` (so that the file survives a power loss, not just a killed
    // process, which the rename already covers), and renames the temporary file onto the target.
    // `before_rename` runs once the file is complete (its size given; sha256() is known): what
    // describes the file (a report) is written then, and if it throws the file never takes its
    // name.
    void commit(bool sync, const std::function<void(uint64_t bytes)>& before_rename = {});
    void commit() { commit(true); }
    // The SHA-256 of the committed file; empty without `hash`.
    const std::string& sha256() const { return sha256_; }

private:
    void flush_buffer();
    void buffer(std::span<const std::byte> bytes);

    std::filesystem::path target_;
    std::filesystem::path temp_;
    int fd_ = -1;
    int signal_slot_ = -1;  // the temporary's registration for removal on SIGINT/SIGTERM/SIGHUP
    bool committed_ = false;
    uint64_t written_ = 0;
    std::vector<std::byte> buffer_;
    size_t buffered_ = 0;
    std::optional<Sha256> digest_;
    std::string sha256_;
};

}  // namespace qframe
