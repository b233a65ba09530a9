#include "pipeline/streamed_output.hpp"

#include <fmt/format.h>

#include "gguf/layout.hpp"
#include "qframe/error.hpp"
#include "qframe/sha256.hpp"

namespace qframe {
namespace {

// Hashing reads the data back in pieces of this size, dropping each from the resident set after.
constexpr uint64_t kHashChunk = 64u << 20;

}  // namespace

StreamedOutput::StreamedOutput(const std::filesystem::path& target, const GgufLayout& layout, std::vector<OutputTensor> tensors)
    : file_(target),
      tensors_(std::move(tensors)),
      alignment_(data_alignment(layout)),
      data_start_(header_bytes(layout, tensors_).size()),
      sized_(tensors_.size(), false),
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
    const auto offset = place(i, type_id, bytes.size());
    if (!offset) return std::nullopt;
    return written_->write(*offset, bytes);
}

std::optional<std::span<const std::byte>> StreamedOutput::copy(size_t i, uint32_t type_id, const FileBytes& from) {
    const auto offset = place(i, type_id, from.bytes.size());
    if (!offset) return std::nullopt;
    return written_->copy(*offset, from);
}

void StreamedOutput::abandon() {
    std::lock_guard lock(mutex_);
    abandoned_ = true;
    placed_.notify_all();
}

std::string StreamedOutput::commit(const GgufLayout& layout, bool hash, const std::function<void(uint64_t, uint64_t)>& progress) {
    if (known_ != tensors_.size()) throw Error("the output was committed before every tensor was written");
    const std::vector<std::byte> header = header_bytes(layout, tensors_);
    if (header.size() != data_start_)
        throw Error(fmt::format("internal error: the output's header takes {} bytes, {} were kept for it", header.size(), data_start_));
    const uint64_t data_bytes = offsets_[tensors_.size()];
    file_.write_at(0, header);
    file_.resize(data_start_ + data_bytes);  // the last tensor's padding
    file_.start_writeback();

    std::string digest;
    if (hash) {
        Sha256 sha;
        sha.update(header);
        for (uint64_t done = 0; done < data_bytes;) {
            const auto chunk = written_->view(data_start_ + done, std::min(kHashChunk, data_bytes - done));
            sha.update(chunk);
            written_->release(chunk);
            done += chunk.size();
            if (progress) progress(done, data_bytes);
        }
        digest = sha.hex();
    }
    written_.reset();
    file_.commit();
    return digest;
}

}  // namespace qframe
