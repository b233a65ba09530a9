// quant.int, quant.int8, quant.int4: fake integer quantization (values stay F32) per tensor, per
// row or per group, symmetric or asymmetric, with NF4 and MXFP4-style FP4 variants for 4 bits.
#include <fmt/format.h>

#include <cmath>
#include <cstring>

#include "fake_quant.hpp"
#include "qframe/error.hpp"
#include "qframe/plugin.hpp"

namespace {

using qframe::OptionSpec;
using qframe::fake::ScaleFormat;

enum class Format { Int, Nf4, Fp4 };

class FakeQuant : public qframe::Quantizer {
public:
    FakeQuant(const qframe::Options& o, int bits)
        : bits_(bits),
          symmetric_(o.get_string("scheme") == "symmetric"),
          granularity_(o.get_string("granularity")),
          group_size_(static_cast<size_t>(o.get_int("group_size"))),
          scale_(qframe::fake::parse_scale_format(o.get_string("scale"))),
          format_(!o.has("format") || o.get_string("format") == "int" ? Format::Int : o.get_string("format") == "nf4" ? Format::Nf4 : Format::Fp4) {}

    qframe::QuantizedTensor quantize(const qframe::TensorData& t) const override {
        std::vector<float> values = t.decode();
        const std::vector<float> original = values;
        const size_t group = granularity_ == "tensor" ? values.size() : granularity_ == "row" ? t.row_length()
                                                                                              : std::min<size_t>(group_size_, t.row_length());
        float max_scale = 0, worst_ratio = 0;
        size_t groups = 0;
        // Groups never straddle rows: each row is cut into groups, the last one maybe shorter.
        const size_t row = granularity_ == "tensor" ? values.size() : t.row_length();
        for (size_t r = 0; r < values.size(); r += row) {
            for (size_t g = r; g < r + row; g += group) {
                std::span<float> span(values.data() + g, std::min(group, r + row - g));
                const float scale = quantize_group(span);
                max_scale = std::max(max_scale, scale);
                ++groups;
                for (size_t i = 0; i < span.size() && scale > 0; ++i)
                    worst_ratio = std::max(worst_ratio, std::fabs(span[i] - original[g + i]) / scale);
            }
        }
        double max_err = 0, sum_sq = 0;
        for (size_t i = 0; i < values.size(); ++i) {
            const double e = std::fabs(static_cast<double>(values[i]) - original[i]);
            max_err = std::max(max_err, e);
            sum_sq += e * e;
        }
        qframe::QuantizedTensor out{qframe::TensorType::F32, std::vector<std::byte>(values.size() * 4), {}};
        std::memcpy(out.bytes.data(), values.data(), out.bytes.size());
        out.findings = {{"bits", bits_},           {"groups", groups},  {"max_scale", max_scale},
                        {"max_abs_error", max_err}, {"rmse", std::sqrt(sum_sq / std::max<size_t>(1, values.size()))},
                        {"max_error_in_scales", worst_ratio}};
        return out;
    }

private:
    float quantize_group(std::span<float> g) const {
        switch (format_) {
            case Format::Nf4: return qframe::fake::quantize_nf4(g, scale_);
            case Format::Fp4: return qframe::fake::quantize_fp4(g);
            case Format::Int: break;
        }
        return qframe::fake::quantize_int(g, bits_, symmetric_, scale_);
    }

    int bits_;
    bool symmetric_;
    std::string granularity_;
    size_t group_size_;
    ScaleFormat scale_;
    Format format_;
};

qframe::OptionSchema common_options() {
    return {OptionSpec::choice("scheme", "symmetric: x ≈ q·scale; asymmetric: x ≈ min + q·scale", {"symmetric", "asymmetric"}, "symmetric"),
            OptionSpec::choice("granularity", "one scale per tensor, per row (channel) or per group of group_size values in a row",
                               {"tensor", "row", "group"}, "group"),
            OptionSpec::integer("group_size", "values per group (granularity: group)", 32, 1, 1 << 20),
            OptionSpec::choice("scale", "how scales are stored: exact, as F16 (rounded up), or as a power of two", {"f32", "f16", "pow2"}, "f32")};
}

void register_stages(qframe::Registry& r) {
    auto int_options = common_options();
    int_options.insert(int_options.begin(), OptionSpec::integer("bits", "code width", std::nullopt, 2, 8));
    r.add("quant.int", "fake integer quantization with 2 to 8 bits (values stay F32)", int_options,
          [](const qframe::Options& o) { return std::make_unique<FakeQuant>(o, static_cast<int>(o.get_int("bits"))); });
    r.add("quant.int8", "fake INT8 quantization (values stay F32)", common_options(),
          [](const qframe::Options& o) { return std::make_unique<FakeQuant>(o, 8); });
    auto int4_options = common_options();
    int4_options.push_back(OptionSpec::choice("format", "int: integer codes; nf4: normal-float code book; fp4: E2M1 with a power-of-two scale per group (MXFP4 with group_size 32)",
                                              {"int", "nf4", "fp4"}, "int"));
    r.add("quant.int4", "fake 4-bit quantization: integer, NF4 or FP4 (values stay F32)", int4_options,
          [](const qframe::Options& o) { return std::make_unique<FakeQuant>(o, 4); });
}

}  // namespace

QFRAME_PLUGIN("int_quant", "1.0.0", register_stages)
