// quant.bf16_truncate: the original study's experiment. Keeps the high 16 bits of each F32
// (the value stays F32: fake quantization), or rounds to nearest even, or stores real BF16.
#include <fmt/format.h>

#include <cstring>

#include "qframe/codec.hpp"
#include "qframe/error.hpp"
#include "qframe/float_bits.hpp"
#include "qframe/plugin.hpp"

namespace {

class Bf16Truncate : public qframe::Quantizer {
public:
    explicit Bf16Truncate(const qframe::Options& o)
        : nearest_even_(o.get_string("rounding") == "nearest_even"), store_bf16_(o.get_string("output_type") == "BF16") {}

    qframe::QuantizedTensor quantize(const qframe::TensorData& t) const override {
        if (!store_bf16_ && (!t.type || t.type->type != qframe::TensorType::F32))
            throw qframe::Error(fmt::format("fake BF16 works on F32 tensors, this one is {} (select type: F32, or set output_type: BF16)",
                                            t.type_name()));
        const std::vector<float> values = t.decode();
        std::vector<uint16_t> half(values.size());
        size_t changed = 0;
        for (size_t i = 0; i < values.size(); ++i) {
            half[i] = nearest_even_ ? qframe::f32_to_bf16_nearest_even(values[i]) : qframe::f32_to_bf16_truncate(values[i]);
            changed += qframe::bits_of(qframe::bf16_to_f32(half[i])) != qframe::bits_of(values[i]);
        }
        qframe::QuantizedTensor out;
        if (store_bf16_) {
            out.type = qframe::TensorType::BF16;
            out.bytes.resize(half.size() * 2);
            std::memcpy(out.bytes.data(), half.data(), out.bytes.size());
        } else {
            out.type = qframe::TensorType::F32;
            out.bytes.resize(values.size() * 4);
            for (size_t i = 0; i < half.size(); ++i) {
                const float v = qframe::bf16_to_f32(half[i]);
                std::memcpy(out.bytes.data() + 4 * i, &v, 4);
            }
        }
        out.findings = {{"values_changed", changed}, {"output_type", store_bf16_ ? "BF16" : "F32"}};
        return out;
    }

private:
    bool nearest_even_;
    bool store_bf16_;
};

void register_stages(qframe::Registry& r) {
    r.add("quant.bf16_truncate", "reduce values to BF16 precision (fake: stays F32; or real BF16 storage)",
          {qframe::OptionSpec::choice("rounding", "truncate: clear the low 16 bits; nearest_even: round first",
                                      {"truncate", "nearest_even"}, "truncate"),
           qframe::OptionSpec::choice("output_type", "F32: fake quantization; BF16: store 16-bit values", {"F32", "BF16"}, "F32")},
          [](const qframe::Options& o) { return std::make_unique<Bf16Truncate>(o); });
}

}  // namespace

QFRAME_PLUGIN("bf16_truncate", "1.0.0", register_stages)
