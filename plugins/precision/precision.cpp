// analyze.precision: what the values of a tensor are, and how much precision they already use.
#include <cmath>
#include <limits>

#include "qframe/float_bits.hpp"
#include "qframe/plugin.hpp"

namespace {

class Precision : public qframe::Analyzer {
public:
    qframe::Findings analyze(const qframe::TensorData& t) const override {
        const std::vector<float> values = t.decode();
        size_t bf16_exact = 0, nan = 0, inf = 0, subnormal = 0, finite = 0;
        double sum = 0, sum_sq = 0;
        float lo = std::numeric_limits<float>::infinity(), hi = -lo;
        for (float v : values) {
            bf16_exact += qframe::is_bf16_exact(v);
            if (std::isnan(v)) { ++nan; continue; }
            if (std::isinf(v)) { ++inf; continue; }
            subnormal += qframe::is_subnormal(v);
            ++finite;
            sum += v;
            sum_sq += static_cast<double>(v) * v;
            lo = std::min(lo, v);
            hi = std::max(hi, v);
        }
        const double mean = finite ? sum / finite : 0;
        const double var = finite ? std::max(0.0, sum_sq / finite - mean * mean) : 0;
        qframe::Findings f = {
            {"type", t.type_name()},
            {"values", values.size()},
            {"bf16_exact_share", values.empty() ? 1.0 : static_cast<double>(bf16_exact) / values.size()},
            {"bf16_exact", bf16_exact == values.size()},
            {"min", finite ? lo : 0.0f},
            {"max", finite ? hi : 0.0f},
            {"mean", mean},
            {"std", std::sqrt(var)},
            {"nan", nan},
            {"inf", inf},
            {"subnormal", subnormal},
        };
        return f;
    }
};

void register_stages(qframe::Registry& r) {
    r.add("analyze.precision",
          "share of values already BF16-exact (low 16 bits zero), min/max/mean/std, NaN/Inf/subnormal counts", {},
          [](const qframe::Options&) { return std::make_unique<Precision>(); });
}

}  // namespace

QFRAME_PLUGIN("precision", "1.0.0", register_stages)
