// The output written while the last quantizing stage runs (issue 13, item 1): every tensor goes
// to its place in the file as soon as each tensor before it has its size, so no result waits in
// memory for the end of the run. The header goes in last, into space kept for it: its size is
// known from the start, because types and offsets are fixed-width and which keys there are does
// not depend on the types (provenance.hpp).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "pipeline/written_tensors.hpp"
#include "qframe/export.hpp"
#include "qframe/gguf_writer.hpp"
#include "qframe/output_file.hpp"

namespace qframe {

class QFRAME_API StreamedOutput {  // exported for the tests
public:
    struct FinalType {
        uint32_t type_id;
        uint64_t n_bytes;
    };

    // `tensors`: the output's tensors in file order with their types so far (their sizes and
    // producers are not used); `layout`: the metadata, with the keys the final one will have.
    // `run_piece_bytes`: copy_run() copies in pieces of this many bytes, each tensor counted as
    // written once its piece is, so that hash() can follow a long run instead of waiting for its
    // end; 0: one call, the fastest when no one hashes (measured: docs/performance.md).
    StreamedOutput(const std::filesystem::path& target, const GgufLayout& layout, std::vector<OutputTensor> tensors,
                   uint64_t run_piece_bytes);

    // Tensor i's bytes in their final type. Blocks until every tensor before i has its size
    // (bounding what waits in memory by the number of threads); returns the bytes as the file
    // holds them, or nullopt once abandon() was called.
    std::optional<std::span<const std::byte>> write(size_t i, uint32_t type_id, std::span<const std::byte> bytes);
    // The same for bytes already in a file (copied by the kernel).
    std::optional<std::span<const std::byte>> copy(size_t i, uint32_t type_id, const FileBytes& from);
    // A tensor's result written over the bytes a run copied (copy_run): it has the size of those
    // bytes, and its type was given to size() before.
    struct Patch {
        size_t i;
        FileBytes from;
    };
    // Tensors first…last in one copy: `from` holds them laid out as the output lays them out (its
    // padding between them included); then `patches` go over the tensors they name. The others
    // keep the constructor's types and sizes.
    std::optional<std::span<const std::byte>> copy_run(size_t first, size_t last, const FileBytes& from, std::span<const Patch> patches = {});
    // Records the sizes of tensors first…last (`final` sets first's, for one tensor; a run keeps
    // the constructor's) without waiting, so that the tensors after them can be placed. Returns
    // whether every tensor before `first` has its size, i.e. whether writing them now would not
    // wait. A tensor whose place is not known yet can be kept elsewhere and written later
    // (by copy()), so that its thread goes on working instead of waiting.
    bool size(size_t first, size_t last, std::optional<FinalType> final);
    bool placed(size_t first);
    // Wakes every waiting writer: a tensor failed and the file will not be committed.
    void abandon();
    // The data section's alignment: every tensor starts at a multiple of it.
    uint64_t alignment() const { return alignment_; }

    // The tensors with their final types and sizes, once every one has them (nullopt once
    // abandoned): what the header needs, known before the last bytes are written.
    std::optional<std::vector<OutputTensor>> wait_for_sizes();
    // The header, made from `layout` (which must have the constructor's keys) and the final
    // types; set once, before hash() or commit().
    void set_header(const GgufLayout& layout);
    // The file's SHA-256, computed while the tensors are still being written (on a thread of its
    // own): the header, then each tensor as soon as it is written, read back from the page cache
    // and dropped from the resident set. Throws qframe::Error once abandoned.
    std::string hash();

    // Once every tensor is written: starts writing the pages back to the disk (commit()'s fsync
    // then has less left to wait for).
    void start_writeback() { file_.start_writeback(); }
    // Writes the header (set_header's) where it was kept, fsyncs when `sync`, runs
    // `before_rename` (OutputFile::commit) and renames the file into place.
    void commit(bool sync, const std::function<void(uint64_t bytes)>& before_rename = {});

private:
    // size(), then waits for every tensor before `first` to have a size; returns where `first`
    // goes (nullopt once abandoned).
    std::optional<uint64_t> place(size_t first, size_t last, std::optional<FinalType> final);
    // place(), then `put_at(offset)` (which writes and returns the view), then mark_written().
    template <class Put>
    std::optional<std::span<const std::byte>> put(size_t first, size_t last, std::optional<FinalType> final, Put put_at);
    void mark_written(size_t first, size_t last);
    void record_sizes(size_t first, size_t last, std::optional<FinalType> final);  // mutex_ held

    OutputFile file_;
    std::vector<OutputTensor> tensors_;
    uint64_t alignment_;
    uint64_t data_start_;
    uint64_t run_piece_bytes_;
    std::optional<WrittenTensors> written_;

    std::mutex write_mutex_;
    std::mutex mutex_;
    std::condition_variable placed_;
    std::vector<bool> sized_, written_flags_;
    std::vector<uint64_t> offsets_;  // offsets_[k], within the data section, is known for k <= known_
    size_t known_ = 0;
    bool abandoned_ = false;
    std::condition_variable written_or_abandoned_;
    std::vector<std::byte> header_;
};

}  // namespace qframe
