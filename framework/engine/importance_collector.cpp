#include "qframe/engine/importance_collector.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "qframe/error.hpp"

namespace qframe::engine {
namespace {

// llama-imatrix skips products of fewer rows (its "small batches") and, without
// --process-output, everything outside the blocks.
constexpr size_t kMinRows = 16;

bool collected(std::string_view name) { return name.starts_with("blk."); }

// sums[j] += x[j]² for one row, in float, as llama-imatrix adds them; a value that stops being
// finite stops the collection, naming the weight (llama-imatrix exits there too).
void add_squares(float* sums, const float* x, size_t cols, std::string_view name) {
    for (size_t j = 0; j < cols; ++j) {
        sums[j] += x[j] * x[j];
        if (!std::isfinite(sums[j])) throw Error(fmt::format("importance of {}: the sum of squares at column {} is {}", name, j, sums[j]));
    }
}

}  // namespace

ImportanceCollector::Sums& ImportanceCollector::entry(std::string_view name, uint32_t n_matrices, size_t cols) {
    auto it = sums_.find(name);
    if (it == sums_.end()) {
        Sums s;
        s.n_matrices = n_matrices;
        s.cols = cols;
        s.sum_squares.assign(size_t(n_matrices) * cols, 0.0f);
        s.counts.assign(n_matrices, 0);
        it = sums_.emplace(std::string(name), std::move(s)).first;
    } else if (it->second.cols != cols || it->second.n_matrices != n_matrices) {
        throw Error(fmt::format("importance of {}: inputs of {} columns × {} matrices, then {} × {}", name, it->second.cols,
                                it->second.n_matrices, cols, n_matrices));
    }
    return it->second;
}

void ImportanceCollector::batch(size_t) { ++batch_; }

void ImportanceCollector::input(std::string_view name, const float* x, size_t ld, size_t nt, size_t cols) {
    if (nt < kMinRows || !collected(name)) return;
    Sums& s = entry(name, 1, cols);
    ++s.calls;
    for (size_t t = 0; t < nt; ++t) add_squares(s.sum_squares.data(), x + t * ld, cols, name);
    s.counts[0] += nt;
}

void ImportanceCollector::expert_input(std::string_view name, uint32_t expert, uint32_t n_expert, uint32_t n_used, const float* x,
                                       size_t ld, std::span<const size_t> slots, size_t cols) {
    if (!collected(name)) return;
    Sums& s = entry(name, n_expert, cols);
    if (s.last_batch != batch_) {  // one ggml_mul_mat_id per batch, whichever experts it reaches
        s.last_batch = batch_;
        ++s.calls;
    }
    // llama-imatrix's order: the tokens that chose this expert first, then those that chose it
    // second…, each group in token order (slot = token · n_used + choice).
    order_.resize(slots.size());
    std::iota(order_.begin(), order_.end(), size_t(0));
    std::stable_sort(order_.begin(), order_.end(), [&](size_t a, size_t b) { return slots[a] % n_used < slots[b] % n_used; });
    float* sums = s.sum_squares.data() + size_t(expert) * cols;
    for (size_t i : order_) add_squares(sums, x + i * ld, cols, name);
    s.counts[expert] += slots.size();
}

ImportanceMatrix ImportanceCollector::result(std::vector<std::string> datasets, uint32_t chunk_count, uint32_t chunk_size) const {
    ImportanceMatrix im;
    im.datasets = std::move(datasets);
    im.chunk_count = chunk_count;
    im.chunk_size = chunk_size;
    for (const auto& [name, s] : sums_) {
        ImportanceEntry e;
        e.n_matrices = s.n_matrices;
        e.sum_squares = s.sum_squares;
        e.counts.assign(s.counts.begin(), s.counts.end());
        e.legacy_calls = s.calls;
        im.entries.emplace(name, std::move(e));
    }
    return im;
}

}  // namespace qframe::engine
