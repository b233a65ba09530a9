// Collects an importance matrix while the engine evaluates text, as llama-imatrix (llama.cpp
// c392e50) collects it: for every product of a weight in the blocks ("blk.*") with at least 16
// input rows, the per-column sums of the squared inputs, in float, row by row; for experts, per
// expert, over the tokens routed to it (the first choices of every token, then the second…).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "qframe/engine/model.hpp"
#include "qframe/importance.hpp"

namespace qframe::engine {

class ImportanceCollector : public ProductObserver {
public:
    void batch(size_t nt) override;
    void input(std::string_view name, const float* x, size_t ld, size_t nt, size_t cols) override;
    void expert_input(std::string_view name, uint32_t expert, uint32_t n_expert, uint32_t n_used, const float* x, size_t ld,
                      std::span<const size_t> slots, size_t cols) override;

    // What was collected, with the text's description: every entry and its call count.
    ImportanceMatrix result(std::vector<std::string> datasets, uint32_t chunk_count, uint32_t chunk_size) const;

private:
    struct Sums {
        uint32_t n_matrices = 1;
        size_t cols = 0;
        std::vector<float> sum_squares;  // [n_matrices][cols]
        std::vector<uint64_t> counts;    // [n_matrices]
        int32_t calls = 0;               // products (for experts: batches) that reached it
        uint64_t last_batch = 0;         // the batch an expert entry was last counted in
    };
    Sums& entry(std::string_view name, uint32_t n_matrices, size_t cols);

    std::map<std::string, Sums, std::less<>> sums_;
    uint64_t batch_ = 0;
    std::vector<size_t> order_;
};

}  // namespace qframe::engine
