#include "pipeline/streamed_output.hpp"

#include <fmt/format.h>

#include "gguf/layout.hpp"
#include "qframe/error.hpp"
#include "qframe/sha256.hpp"

namespace qframe {
namespace {

// Hashing reads the data back in pieces of this size, dropping each from the resident set after.
// (Sizes of the padding between tensors: offsets_ differences, read once every size is known.)
constexpr uint64_t kHashChunk = 64u << 20;

}  // namespace

StreamedOutput::StreamedOutput(const std::filesystem::path& target, const GgufLayout& layout, std::vector<OutputTensor> tensors)
    : file_(target),
      tensors_(std::move(tensors)),
      alignment_(data_alignment(layout)),
      data_start_(header_bytes(layout, tensors_).size()),
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

std::optional<uint64_t> StreamedOutput::place(size_t i, uint32_t type_id, uint64_t n_bytes) {
    std::unique_lock lock(mutex_);
    tensors_[i].type_id = type_id;
    tensors_[i].n_bytes = n_bytes;
    sized_[i] = true;
    bool advanced = false;
    for (; known_ < tensors_.size() && sized_[known_]; ++known_, advanced = true)
        offsets_[known_ + 1] = gguf::align_up(offsets_[known_] + tensors_[known_].n_bytes, alignment_);
    if (advanced) placed_.notify_all();
    placed_.wait(lock, [&] { return abandoned_ || known_ >= i; });
    if (abandoned_) return std::nullopt;
    return data_start_ + offsets_[i];
}

std::optional<std::span<const std::byte>> StreamedOutput::write(size_t i, uint32_t type_id, std::span<const std::byte> bytes) {
    return put(i, type_id, bytes.size(), [&](uint64_t offset) { return written_->write(offset, bytes); });
}

std::optional<std::span<const std::byte>> StreamedOutput::copy(size_t i, uint32_t type_id, const FileBytes& from) {
    return put(i, type_id, from.bytes.size(), [&](uint64_t offset) { return written_->copy(offset, from); });
}

template <class Put>
std::optional<std::span<const std::byte>> StreamedOutput::put(size_t i, uint32_t type_id, uint64_t n_bytes, Put put_at) {
    const auto offset = place(i, type_id, n_bytes);
    if (!offset) return std::nullopt;
    std::span<const std::byte> view;
    {
        // One writer at a time: writers into one file queue on its inode lock, and the kernel
        // spins while they wait (a third of the CPU time of two copying threads, measured).
        std::lock_guard lock(write_mutex_);
        view = put_at(*offset);
    }
    mark_written(i);
    return view;
}

void StreamedOutput::mark_written(size_t i) {
    std::lock_guard lock(mutex_);
    written_flags_[i] = true;
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
    Sha256 sha;
    sha.update(header_);
    for (size_t i = 0; i < tensors_.size(); ++i) {
        {
            std::unique_lock lock(mutex_);
            written_or_abandoned_.wait(lock, [&] { return abandoned_ || written_flags_[i]; });
            if (abandoned_) throw Error("the output was abandoned");
        }
        for (uint64_t done = 0; done < tensors_[i].n_bytes;) {
            const auto chunk = written_->view(data_start_ + offsets_[i] + done, std::min(kHashChunk, tensors_[i].n_bytes - done));
            sha.update(chunk);
            written_->release(chunk);
            done += chunk.size();
        }
        // The padding: zeros, not read back (what follows may not be written yet).
        for (uint64_t pad = offsets_[i + 1] - offsets_[i] - tensors_[i].n_bytes; pad > 0;) {
            const uint64_t n = std::min<uint64_t>(pad, sizeof zeros);
            sha.update({zeros, n});
            pad -= n;
        }
    }
    return sha.hex();
}

void StreamedOutput::commit(bool sync) {
    if (header_.empty()) throw Error("the output was committed without its header");
    file_.write_at(0, header_);
    file_.resize(data_start_ + offsets_[tensors_.size()]);  // the last tensor's padding
    written_.reset();
    file_.commit(sync);
}

}  // namespace qframe
