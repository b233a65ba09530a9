// An importance matrix as a run or a study chose it: the entries it keeps, the keys it leaves in
// the output, the digest that keys what was computed with it.
#include <algorithm>

#include "qframe/importance.hpp"
#include "qframe/sha256.hpp"

namespace qframe {
namespace {

bool contains_any(const std::string& name, const std::vector<std::string>& parts) {
    return std::any_of(parts.begin(), parts.end(), [&](const std::string& p) { return name.find(p) != std::string::npos; });
}

}  // namespace

ImportanceMatrix read_chosen(const ImportanceChoice& choice) {
    ImportanceMatrix im = ImportanceMatrix::read(choice.file);
    std::erase_if(im.entries, [&](const auto& entry) {
        return (!choice.include.empty() && !contains_any(entry.first, choice.include)) || contains_any(entry.first, choice.exclude);
    });
    return im;
}

std::vector<std::pair<std::string, Value>> importance_metadata(const ImportanceMatrix& im, const std::filesystem::path& file) {
    std::vector<std::pair<std::string, Value>> out;
    if (im.entries.empty()) return out;
    // llama-quantize keeps 127 bytes of each string (its override's buffer).
    out.emplace_back("quantize.imatrix.file", Value::string(file.string().substr(0, 127)));
    if (!im.datasets.empty()) out.emplace_back("quantize.imatrix.dataset", Value::string(im.datasets.front().substr(0, 127)));
    out.emplace_back("quantize.imatrix.entries_count", Value::i32(static_cast<int32_t>(im.entries.size())));
    if (im.chunk_count > 0) out.emplace_back("quantize.imatrix.chunks_count", Value::i32(static_cast<int32_t>(im.chunk_count)));
    return out;
}

std::string importance_digest(std::span<const float> weights) {
    return sha256_hex(std::string_view(reinterpret_cast<const char*>(weights.data()), weights.size_bytes()));
}

}  // namespace qframe
