// An importance matrix matched to the tensors of one model (qframe/importance.hpp).
#include <fmt/format.h>

#include "qframe/error.hpp"
#include "qframe/gguf.hpp"
#include "qframe/importance.hpp"

namespace qframe {

TensorImportance importance_for(const ImportanceMatrix& im, const GgufFile& model, const std::filesystem::path& im_path) {
    TensorImportance out;
    for (const auto& [name, entry] : im.entries) {
        const TensorInfo* t = model.find_tensor(name);
        if (!t)
            throw Error(fmt::format("{}: importance of {}, which {} does not have (an importance matrix of another model?)",
                                    im_path.string(), name, model.display_name()));
        // One weight per column of each matrix: [cols] or, for experts, [n_expert][cols]. A
        // legacy .dat stores the experts' weights as one run of cols · n_expert values.
        const uint64_t cols = t->row_length(), matrices = t->dims.size() >= 3 ? t->dims[2] : 1;
        std::vector<float> weights;
        for (uint32_t m = 0; m < entry.n_matrices; ++m) {
            const auto mean = entry.mean_squares(m);
            weights.insert(weights.end(), mean.begin(), mean.end());
        }
        if (weights.size() != cols * matrices)
            throw Error(fmt::format("{}: importance of {} has {} values; the tensor ({}) needs {} ({} columns{})", im_path.string(), name,
                                    weights.size(), t->shape(), cols * matrices, cols,
                                    matrices > 1 ? fmt::format(" × {} experts", matrices) : std::string()));
        out.emplace(name, std::move(weights));
    }
    return out;
}

}  // namespace qframe
