// quant.pow2: rounds every value to a signed power of two (fake quantization: stays F32).
// A complete third-party plugin, built against the installed qframe SDK.
#include <cmath>
#include <cstring>

#include "qframe/plugin.hpp"

namespace {

class Pow2 : public qframe::Quantizer {
public:
    explicit Pow2(const qframe::Options& o) : min_exponent_(static_cast<int>(o.get_int("min_exponent"))) {}

    qframe::QuantizedTensor quantize(const qframe::TensorData& tensor) const override {
        std::vector<float> values = tensor.decode();  // any decodable type in, F32 out
        for (float& v : values) v = round_to_pow2(v);
        qframe::QuantizedTensor out{qframe::TensorType::F32, std::vector<std::byte>(values.size() * 4), {}};
        std::memcpy(out.bytes.data(), values.data(), out.bytes.size());
        out.findings = {{"min_exponent", min_exponent_}};
        return out;
    }

private:
    // Nearest power of two in the log domain; magnitudes below 2^min_exponent become 0.
    float round_to_pow2(float v) const {
        if (v == 0 || !std::isfinite(v)) return v;
        const int e = static_cast<int>(std::lround(std::log2(std::fabs(v))));
        if (e < min_exponent_) return 0.0f;
        return std::copysign(std::ldexp(1.0f, e), v);
    }
    int min_exponent_;
};

void register_stages(qframe::Registry& r) {
    r.add("quant.pow2", "round each value to the nearest signed power of two",
          {qframe::OptionSpec::integer("min_exponent", "smaller magnitudes become 0", -24, -149, 127)},
          [](const qframe::Options& o) { return std::make_unique<Pow2>(o); });
}

}  // namespace

QFRAME_PLUGIN("pow2_example", "1.0.0", register_stages)
