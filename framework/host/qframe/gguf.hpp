// Reading GGUF files: the whole file is mapped, validated once, and tensors are views into it.
#pragma once

#include "qframe/export.hpp"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "qframe/metadata.hpp"
#include "qframe/types.hpp"

namespace qframe {

inline constexpr uint64_t kDefaultAlignment = 32;
inline constexpr const char* kAlignmentKey = "general.alignment";

// A read-only memory mapping of a whole file (empty files map to an empty span).
class QFRAME_API MappedFile {
public:
    explicit MappedFile(const std::filesystem::path& path);
    ~MappedFile();
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;

    std::span<const std::byte> bytes() const { return {data_, size_}; }
    const std::filesystem::path& path() const { return path_; }
    // The open file, kept for copies in the kernel (copy_file_range) of ranges of the mapping.
    int descriptor() const { return fd_; }
    // Drops the whole pages of `range` (which must lie in this mapping) from the process's
    // resident set once they have been used; a later access reads them again from the file.
    // Keeps peak memory flat while a large model streams through.
    void release(std::span<const std::byte> range) const;

private:
    std::filesystem::path path_;
    const std::byte* data_ = nullptr;
    size_t size_ = 0;
    int fd_ = -1;
};

// Drops the whole pages of `range`, a part of a file mapping, from the process's resident set.
QFRAME_API void release_pages(std::span<const std::byte> range);
class Sha256;
// Feeds `range`, a part of a file mapping, to `sha` 64 MiB at a time, releasing each piece's
// pages once hashed: hashing a model keeps the resident set flat.
QFRAME_API void hash_releasing(Sha256& sha, std::span<const std::byte> range);

struct QFRAME_API TensorInfo {
    std::string name;
    std::vector<uint64_t> dims;     // ne0 (the contiguous row) first, like ggml
    uint32_t type_id = 0;           // as stored; may be an id this build does not know
    const TypeInfo* type = nullptr; // nullptr for an unknown id: the tensor passes through opaque
    uint64_t offset = 0;            // relative to the data section
    uint64_t n_values = 0;
    // Exact size for a known type; for an unknown one, the bytes up to the next tensor (or the
    // end of the file), which is what a copy must carry.
    uint64_t n_bytes = 0;
    std::span<const std::byte> data;  // view into the mapping

    bool known_type() const { return type != nullptr; }
    std::string type_name() const;   // "Q4_K", or "type 42" for an unknown id
    std::string shape() const;       // "4096 x 32000"
    uint64_t row_length() const { return dims.empty() ? 0 : dims[0]; }
};

class QFRAME_API GgufFile {
public:
    // Maps and validates `path`; throws FormatError (file, offset, problem) or Error.
    static GgufFile open(const std::filesystem::path& path);
    // Validates bytes already in memory (tests, fuzzers). `bytes` must outlive the result.
    static GgufFile parse(std::span<const std::byte> bytes, const std::string& display_name);

    const std::string& display_name() const { return name_; }
    uint32_t version() const { return version_; }
    uint64_t alignment() const { return alignment_; }
    // The bytes a tensor of n bytes takes in this file's data section: n padded to the alignment.
    uint64_t padded(uint64_t n) const { return (n + alignment_ - 1) / alignment_ * alignment_; }
    const Metadata& metadata() const { return metadata_; }
    const std::vector<TensorInfo>& tensors() const { return tensors_; }
    const TensorInfo* find_tensor(std::string_view name) const;
    uint64_t data_offset() const { return data_offset_; }
    uint64_t file_size() const { return bytes_.size(); }
    std::span<const std::byte> bytes() const { return bytes_; }
    // True for tensorless files that stop right after the header, unpadded (gguf-py writes so).
    bool ends_before_data_section() const { return tensors_.empty() && bytes_.size() < data_offset_; }
    std::shared_ptr<const MappedFile> mapping() const { return mapping_; }

    // The tensor decoded to F32; throws Error naming the tensor when its type cannot be decoded.
    std::vector<float> decode(const TensorInfo& tensor) const;

private:
    std::shared_ptr<const MappedFile> mapping_;
    std::span<const std::byte> bytes_;
    std::string name_;
    uint32_t version_ = 0;
    uint64_t alignment_ = kDefaultAlignment;
    Metadata metadata_;
    std::vector<TensorInfo> tensors_;
    uint64_t data_offset_ = 0;

    friend class GgufParser;
};

}  // namespace qframe
