// eval.model_size: what a mixed-precision choice costs in bytes — tensor bytes by type, bits
// per weight of the matrices, before and after the pipeline.
#include <map>

#include "qframe/plugin.hpp"

namespace {

struct Sizes {
    std::map<std::string, uint64_t> bytes_by_type;
    uint64_t bytes = 0, values = 0, matrix_bytes = 0, matrix_values = 0;
};

Sizes measure(const qframe::ModelView& model) {
    Sizes s;
    for (const auto& name : model.tensor_names()) {
        const auto t = model.tensor(name);
        const std::string type = t->type_name();
        s.bytes_by_type[type] += t->bytes.size();
        s.bytes += t->bytes.size();
        s.values += t->n_values();
        if (t->dims.size() >= 2) {
            s.matrix_bytes += t->bytes.size();
            s.matrix_values += t->n_values();
        }
    }
    return s;
}

qframe::Findings to_findings(const Sizes& s) {
    qframe::Findings by_type = qframe::Findings::object();
    for (const auto& [type, bytes] : s.bytes_by_type) by_type[type] = bytes;
    return {{"tensor_bytes", s.bytes},
            {"bits_per_weight", s.values ? 8.0 * s.bytes / s.values : 0.0},
            {"matrix_bits_per_weight", s.matrix_values ? 8.0 * s.matrix_bytes / s.matrix_values : 0.0},
            {"bytes_by_type", by_type}};
}

class ModelSize : public qframe::ModelEvaluator {
public:
    qframe::Findings evaluate(const qframe::ModelView& original, const qframe::ModelView& result, const qframe::ProgressFn&) const override {
        const Sizes before = measure(original), after = measure(result);
        return {{"original", to_findings(before)},
                {"result", to_findings(after)},
                {"size_ratio", before.bytes ? static_cast<double>(after.bytes) / before.bytes : 1.0}};
    }
};

void register_stages(qframe::Registry& r) {
    r.add("eval.model_size", "tensor bytes by type and bits per weight, input vs result", {},
          [](const qframe::Options&) { return std::make_unique<ModelSize>(); });
}

}  // namespace

QFRAME_PLUGIN("model_size", "1.0.0", register_stages)
