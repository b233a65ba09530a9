// Writing GGUF files: streamed tensor by tensor into a temporary file that is renamed into place
// only once complete, so a failure never leaves a partial file under the output name.
#pragma once

#include "qframe/export.hpp"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "qframe/gguf.hpp"
#include "qframe/metadata.hpp"

namespace qframe {

// One tensor of the output. `produce` is called once, in file order, when the writer reaches
// the tensor: it returns a view (e.g. into an input mapping, copied without decoding) or fills
// `scratch` and returns it. The returned size must equal n_bytes.
struct OutputTensor {
    using Producer = std::function<std::span<const std::byte>(std::vector<std::byte>& scratch)>;

    std::string name;
    uint32_t type_id = 0;
    std::vector<uint64_t> dims;
    uint64_t n_bytes = 0;
    Producer produce;
    // Optional: called once the bytes are written (pass-through tensors release their pages).
    std::function<void()> written;
    // Optional: the mapping `produce` returns a range of; the range is then copied by the kernel.
    std::shared_ptr<const MappedFile> source;
};

struct GgufLayout {
    uint32_t version = 3;
    Metadata metadata;  // general.alignment, when present, sets the alignment (default 32)
    // Pad a tensorless file to the alignment after its header (ggml does; gguf-py does not).
    bool pad_empty_data_section = true;
};

struct WriteOptions {
    // Files the output must not replace (the inputs): writing onto one is refused.
    std::vector<std::filesystem::path> inputs;
    // Called after each tensor with (bytes written so far, total bytes).
    std::function<void(uint64_t, uint64_t)> progress;
    // Compute the output's SHA-256 from the bytes as they are written.
    bool hash = false;
    // fsync before the rename: the file then survives a power loss too. A killed process never
    // leaves a partial file either way. Off, like cp and llama-quantize: it waits for the disk.
    bool sync = false;
    // Runs once the file is complete, before it takes its name (OutputFile::commit), with its size
    // and SHA-256 (empty without `hash`): a report written here never describes a missing file.
    std::function<void(uint64_t bytes, const std::string& sha256)> before_publish{};
};

// Throws qframe::Error when `path` is one of `inputs` (the same file, by inode: a hard link or
// another name counts) or is no regular file (check_output_target). write_gguf checks; so does
// every command, for each file it writes, before any work.
QFRAME_API void refuse_overwriting(const std::filesystem::path& path, const std::vector<std::filesystem::path>& inputs);

// The layout and pass-through tensors of `file`: writing them back reproduces the file.
QFRAME_API GgufLayout layout_of(const GgufFile& file);
QFRAME_API OutputTensor pass_through(const GgufFile& file, const TensorInfo& tensor);
QFRAME_API std::vector<OutputTensor> pass_through_all(const GgufFile& file);

// Where the data section of the file write_gguf would write begins: the header's bytes, padded
// (the tensors' names, dims and types count; their bytes do not).
QFRAME_API uint64_t data_section_offset(const GgufLayout& layout, const std::vector<OutputTensor>& tensors);
// What write_gguf writes before the first tensor's bytes: the header and its padding. A
// tensor's type and size change its bytes, never their number.
QFRAME_API std::vector<std::byte> header_bytes(const GgufLayout& layout, const std::vector<OutputTensor>& tensors);
// The alignment of every tensor's bytes in the data section (general.alignment, or 32).
QFRAME_API uint64_t data_alignment(const GgufLayout& layout);

// Writes the file atomically (temp file in the target directory, fsync, rename); returns its
// SHA-256 with options.hash (else empty). Throws qframe::Error; on any failure nothing is left
// under `path`.
QFRAME_API std::string write_gguf(const std::filesystem::path& path, const GgufLayout& layout, const std::vector<OutputTensor>& tensors,
                const WriteOptions& options = {});

}  // namespace qframe
