// eval.tensor_diff: how far a changed tensor moved from the original, in the study's terms
// (max abs, mean abs, max relative) plus RMSE, SNR, cosine similarity and a changed count.
#include <fmt/format.h>

#include <cmath>

#include "qframe/error.hpp"
#include "qframe/float_bits.hpp"
#include "qframe/plugin.hpp"

namespace {

class TensorDiff : public qframe::Evaluator {
public:
    qframe::Findings evaluate(const qframe::TensorData& before, const qframe::TensorData& after) const override {
        const auto a = before.decode(), b = after.decode();
        if (a.size() != b.size()) throw qframe::Error(fmt::format("value counts differ: {} vs {}", a.size(), b.size()));
        double max_abs = 0, sum_abs = 0, max_rel = 0, sum_sq_err = 0, sum_sq_a = 0, dot = 0, sum_sq_b = 0;
        size_t changed = 0;
        for (size_t i = 0; i < a.size(); ++i) {
            const double x = a[i], y = b[i], err = std::abs(x - y);
            changed += qframe::bits_of(a[i]) != qframe::bits_of(b[i]);
            max_abs = std::max(max_abs, err);
            sum_abs += err;
            if (x != 0) max_rel = std::max(max_rel, err / std::abs(x));
            sum_sq_err += err * err;
            sum_sq_a += x * x;
            sum_sq_b += y * y;
            dot += x * y;
        }
        const double n = a.empty() ? 1.0 : static_cast<double>(a.size());
        // SNR is infinite for an unchanged tensor; JSON has no infinity, so it is reported as null.
        const qframe::Findings snr = sum_sq_err > 0 ? qframe::Findings(10 * std::log10(sum_sq_a / sum_sq_err)) : qframe::Findings(nullptr);
        const double cosine = sum_sq_a > 0 && sum_sq_b > 0 ? dot / std::sqrt(sum_sq_a * sum_sq_b) : (sum_sq_a == sum_sq_b ? 1.0 : 0.0);
        return {
            {"before_type", before.type_name()},
            {"after_type", after.type_name()},
            {"values", a.size()},
            {"changed", changed},
            {"max_abs", max_abs},
            {"mean_abs", sum_abs / n},
            {"max_rel", max_rel},
            {"rmse", std::sqrt(sum_sq_err / n)},
            {"snr_db", snr},
            {"cosine", cosine},
        };
    }
};

void register_stages(qframe::Registry& r) {
    r.add("eval.tensor_diff",
          "per changed tensor: max abs, mean abs, max relative difference, RMSE, SNR (dB), cosine similarity, changed values",
          {}, [](const qframe::Options&) { return std::make_unique<TensorDiff>(); });
}

}  // namespace

QFRAME_PLUGIN("tensor_diff", "1.0.0", register_stages)
