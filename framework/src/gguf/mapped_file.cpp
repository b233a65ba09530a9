#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include <fmt/format.h>

#include "qframe/error.hpp"
#include "qframe/gguf.hpp"
#include "qframe/input_file.hpp"
#include "qframe/sha256.hpp"

namespace qframe {

MappedFile::MappedFile(const std::filesystem::path& path) : path_(path) {
    InputFile input(path, "GGUF file");
    size_ = static_cast<size_t>(input.size());
    const int fd = input.release();
    if (size_ > 0) {
        void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            const int err = errno;
            ::close(fd);
            throw Error(fmt::format("{}: cannot map: {}", path.string(), std::strerror(err)));
        }
        data_ = static_cast<const std::byte*>(p);
        // Tensors are read front to back, mostly once.
        ::madvise(p, size_, MADV_SEQUENTIAL);
    }
    fd_ = fd;
}

void MappedFile::release(std::span<const std::byte> range) const {
    if (range.empty() || range.data() < data_ || range.data() + range.size() > data_ + size_) return;
    release_pages(range);
}

void release_pages(std::span<const std::byte> range) {
    const auto page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
    const auto begin = (reinterpret_cast<uintptr_t>(range.data()) + page - 1) & ~(page - 1);
    const auto end = (reinterpret_cast<uintptr_t>(range.data()) + range.size()) & ~(page - 1);
    if (end > begin) ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);
}

void hash_releasing(Sha256& sha, std::span<const std::byte> range) {
    constexpr size_t kPiece = 64u << 20;
    for (size_t done = 0; done < range.size(); done += kPiece) {
        const auto piece = range.subspan(done, std::min(kPiece, range.size() - done));
        sha.update(piece);
        release_pages(piece);
    }
}

MappedFile::~MappedFile() {
    if (data_) ::munmap(const_cast<std::byte*>(data_), size_);
    if (fd_ >= 0) ::close(fd_);
}

}  // namespace qframe
