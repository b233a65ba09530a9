// The output written while the last quantizing stage runs (issue 13, item 1): every tensor goes
// to its place in the file as soon as each tensor before it has its size, so no result waits in
// memory for the end of the run. The header goes in last, into space kept for it: its size is
// known from the start, because types and offsets are fixed-width and which keys there are does
// not depend on the types (provenance.hpp).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "pipeline/written_tensors.hpp"
#include "qframe/gguf_writer.hpp"
#include "qframe/output_file.hpp"

namespace qframe {

class StreamedOutput {
public:
    // `tensors`: the output's tensors in file order with their types so far (their sizes and
    // producers are not used); `layout`: the metadata, with the keys the final one will have.
    StreamedOutput(const std::filesystem::path& target, const GgufLayout& layout, std::vector<OutputTensor> tensors);

    // Tensor i's bytes in their final type. Blocks until every tensor before i has its size
    // (bounding what waits in memory by the number of threads); returns the bytes as the file
    // holds them, or nullopt once abandon() was called.
    std::optional<std::span<const std::byte>> write(size_t i, uint32_t type_id, std::span<const std::byte> bytes);
    // The same for bytes already in a file (copied by the kernel).
    std::optional<std::span<const std::byte>> copy(size_t i, uint32_t type_id, const FileBytes& from);
    // Wakes every waiting writer: a tensor failed and the file will not be committed.
    void abandon();

    // Writes the header for `layout` (which must have the constructor's keys) and the tensors'
    // types, then fsyncs and renames the file into place. With `hash`, returns the file's SHA-256
    // (the header from memory, the data read back from the page cache, page by page), calling
    // `progress(done, total)` on the way.
    std::string commit(const GgufLayout& layout, bool hash, const std::function<void(uint64_t, uint64_t)>& progress);

private:
    std::optional<uint64_t> place(size_t i, uint32_t type_id, uint64_t n_bytes);

    OutputFile file_;
    std::vector<OutputTensor> tensors_;
    uint64_t alignment_;
    uint64_t data_start_;
    std::optional<WrittenTensors> written_;

    std::mutex mutex_;
    std::condition_variable placed_;
    std::vector<bool> sized_;
    std::vector<uint64_t> offsets_;  // offsets_[k], within the data section, is known for k <= known_
    size_t known_ = 0;
    bool abandoned_ = false;
};

}  // namespace qframe
