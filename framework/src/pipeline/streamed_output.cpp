#include "pipeline/streamed_output.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "gguf/layout.hpp"
#include "qframe/error.hpp"
#include "qframe/gguf.hpp"
#include "qframe/sha256.hpp"

namespace qframe {

StreamedOutput::StreamedOutput(const std::filesystem::path& target, const GgufLayout& layout, std::vector<OutputTensor> tensors,
                               uint64_t run_piece_bytes)
    : file_(target),
      tensors_(std::move(tensors)),
      alignment_(data_alignment(layout)),
      data_start_(header_bytes(layout, tensors_).size()),
      run_piece_bytes_(run_piece_bytes),
      sized_(tensors_.size(), false),
      written_flags_(tensors_.size(), false),
      offsets_(tensors_.size() + 1, 0) {
    uint64_t capacity = data_start_;
    for (const auto& t : tensors_) {
        uint64_t n_values = 1;
        for (uint64_t d : t.dims) n_values *= d;
        capacity += gguf::align_up(largest_tensor_bytes(n_values, t.n_bytes), alignment_);
    }
    written_.emplace(file_.descriptor(), capacity, target);
}

void StreamedOutput::record_sizes(size_t first, size_t last, std::optional<FinalType> final) {
    // A size is recorded once: a deferred tensor's copy() gives it again, and the digest's thread
    // reads tensors_ without the lock once every size is known.
    if (final && !sized_[first]) {
        tensors_[first].type_id = final->type_id;
        tensors_[first].n_bytes = final->n_bytes;
    }
    for (size_t k = first; k <= last; ++k) sized_[k] = true;
    bool advanced = false;
    for (; known_ < tensors_.size() && sized_[known_]; ++known_, advanced = true)
        offsets_[known_ + 1] = gguf::align_up(offsets_[known_] + tensors_[known_].n_bytes, alignment_);
    if (advanced) placed_.notify_all();
}

bool StreamedOutput::size(size_t first, size_t last, std::optional<FinalType> final) {
    std::lock_guard lock(mutex_);
    record_sizes(first, last, final);
    return known_ >= first;
}

bool StreamedOutput::placed(size_t first) {
    std::lock_guard lock(mutex_);
    return known_ >= first;
}

std::optional<uint64_t> StreamedOutput::place(size_t first, size_t last, std::optional<FinalType> final) {
    std::unique_lock lock(mutex_);
    record_sizes(first, last, final);
    placed_.wait(lock, [&] { return abandoned_ || known_ >= first; });
    if (abandoned_) return std::nullopt;
    return data_start_ + offsets_[first];
}

std::optional<std::span<const std::byte>> StreamedOutput::write(size_t i, uint32_t type_id, std::span<const std::byte> bytes) {
    return put(i, i, FinalType{type_id, bytes.size()}, [&](uint64_t offset) { return written_->write(offset, bytes); });
}

std::optional<std::span<const std::byte>> StreamedOutput::copy(size_t i, uint32_t type_id, const FileBytes& from) {
    return put(i, i, FinalType{type_id, from.bytes.size()}, [&](uint64_t offset) { return written_->copy(offset, from); });
}

std::optional<std::span<const std::byte>> StreamedOutput::copy_run(size_t first, size_t last, const FileBytes& from,
                                                                   std::span<const Patch> patches) {
    return put(first, last, std::nullopt, [&](uint64_t offset) {
        // Every tensor in the run has its size by now, so its offsets are known already.
        if (offset + from.bytes.size() != data_start_ + offsets_[last] + tensors_[last].n_bytes)
            throw Error(fmt::format("internal error: tensors {}…{} are not laid out in their source as in the output", first, last));
        for (const Patch& p : patches)
            if (p.i < first || p.i > last || p.from.bytes.size() != tensors_[p.i].n_bytes)
                throw Error(fmt::format("internal error: tensor {} does not fit where run {}…{} put it", p.i, first, last));
        const uint64_t n = from.bytes.size(), piece = run_piece_bytes_ ? run_piece_bytes_ : n;
        size_t next = first;  // the first tensor not yet counted as written
        for (uint64_t done = 0; done < n;) {
            const uint64_t k = std::min(piece, n - done);
            written_->copy(offset + done, {from.fd, from.offset + done, from.bytes.subspan(done, k)});
            done += k;
            size_t end = next;  // tensors next…end-1 now lie whole in the file
            while (end <= last && data_start_ + offsets_[end] + tensors_[end].n_bytes <= offset + done) ++end;
            for (const Patch& p : patches)
                if (p.i >= next && p.i < end) written_->copy(data_start_ + offsets_[p.i], p.from);
            if (end > next) mark_written(next, end - 1);
            next = end;
        }
        return written_->view(offset, n);
    });
}

template <class Put>
std::optional<std::span<const std::byte>> StreamedOutput::put(size_t first, size_t last, std::optional<FinalType> final, Put put_at) {
    const auto offset = place(first, last, final);
    if (!offset) return std::nullopt;
    std::span<const std::byte> view;
    {
        // One writer at a time: writers into one file queue on its inode lock, and the kernel
        // spins while they wait (a third of the CPU time of two copying threads, measured).
        std::lock_guard lock(write_mutex_);
        view = put_at(*offset);
    }
    mark_written(first, last);
    return view;
}

void StreamedOutput::mark_written(size_t first, size_t last) {
    std::lock_guard lock(mutex_);
    for (size_t k = first; k <= last; ++k) written_flags_[k] = true;
    written_or_abandoned_.notify_all();
}

void StreamedOutput::abandon() {
    std::lock_guard lock(mutex_);
    abandoned_ = true;
    placed_.notify_all();
    written_or_abandoned_.notify_all();
}

std::optional<std::vector<OutputTensor>> StreamedOutput::wait_for_sizes() {
    std::unique_lock lock(mutex_);
    placed_.wait(lock, [&] { return abandoned_ || known_ == tensors_.size(); });
    if (abandoned_) return std::nullopt;
    return tensors_;
}

void StreamedOutput::set_header(const GgufLayout& layout) {
    std::lock_guard lock(mutex_);
    if (known_ != tensors_.size()) throw Error("the output's header was made before every tensor had its size");
    if (!header_.empty()) return;
    auto header = header_bytes(layout, tensors_);
    if (header.size() != data_start_)
        throw Error(fmt::format("internal error: the output's header takes {} bytes, {} were kept for it", header.size(), data_start_));
    header_ = std::move(header);
}

std::string StreamedOutput::hash() {
    static const std::byte zeros[256] = {};
    const auto wait_written = [&](size_t i) {
        std::unique_lock lock(mutex_);
        written_or_abandoned_.wait(lock, [&] { return abandoned_ || written_flags_[i]; });
        if (abandoned_) throw Error("the output was abandoned");
    };
    Sha256 sha;
    const auto hash_back = [&](uint64_t offset, uint64_t n) { hash_releasing(sha, written_->view(offset, n)); };
    sha.update(header_);
    const size_t n = tensors_.size();
    for (size_t i = 0; i < n; ++i) {
        wait_written(i);
        const uint64_t end = offsets_[i] + tensors_[i].n_bytes;
        hash_back(data_start_ + offsets_[i], tensors_[i].n_bytes);
        // The padding as the file holds it (a run copied in one piece brings its source's), read
        // once the next tensor is written, so that it lies inside the file; after the last
        // tensor, zeros (commit() sets the size).
        if (i + 1 < n) {
            wait_written(i + 1);
            hash_back(data_start_ + end, offsets_[i + 1] - end);
        } else {
            for (uint64_t pad = offsets_[n] - end; pad > 0;) {
                const uint64_t k = std::min<uint64_t>(pad, sizeof zeros);
                sha.update({zeros, k});
                pad -= k;
            }
        }
    }
    return sha.hex();
}

void StreamedOutput::commit(bool sync, const std::function<void(uint64_t bytes)>& before_rename) {
    if (header_.empty()) throw Error("the output was committed without its header");
    file_.write_at(0, header_);
    file_.resize(data_start_ + offsets_[tensors_.size()]);  // the last tensor's padding
    written_.reset();
    file_.commit(sync, before_rename);
}

}  // namespace qframe
