// quant.gguf_type: re-encode a tensor into a real GGUF block type (Q8_0, Q4_K, …), so that the
// result runs in llama.cpp. The bytes are those ggml's reference quantizer writes (no imatrix).
#include <fmt/format.h>

#include "qframe/codec.hpp"
#include "qframe/error.hpp"
#include "qframe/plugin.hpp"

namespace {

const qframe::TypeInfo& encodable_type(const std::string& name, const char* option) {
    const qframe::TypeInfo* t = qframe::find_type(name);
    if (!t) throw qframe::Error(fmt::format("{}: '{}' is not a ggml type", option, name));
    if (!qframe::can_encode(t->type)) {
        std::string names;
        for (const auto& info : qframe::all_types())
            if (qframe::can_encode(info.type)) names += fmt::format("{}{}", names.empty() ? "" : ", ", info.name);
        throw qframe::Error(fmt::format("{}: qframe cannot encode {} (it can encode {})", option, t->name, names));
    }
    return *t;
}

class GgufType : public qframe::Quantizer {
public:
    explicit GgufType(const qframe::Options& o) : type_(&encodable_type(o.get_string("type"), "type")) {
        if (!o.get_string("fallback").empty()) fallback_ = &encodable_type(o.get_string("fallback"), "fallback");
    }

    qframe::QuantizedTensor quantize(const qframe::TensorData& t) const override {
        const qframe::TypeInfo* type = target(t);
        qframe::QuantizedTensor out{type->type, t.encoded_as(type->type), {}};
        out.findings = {{"from", t.type_name()}, {"to", std::string(type->name)},
                        {"fallback", type != type_}, {"bytes_before", t.bytes.size()}, {"bytes_after", out.bytes.size()}};
        return out;
    }

    std::optional<qframe::TensorType> planned_type(const qframe::TensorData& t) const override { return target(t)->type; }

private:
    // `type`, or the fallback for rows that do not fit its blocks.
    const qframe::TypeInfo* target(const qframe::TensorData& t) const {
        if (t.row_length() % type_->block_size == 0) return type_;
        if (!fallback_ || t.row_length() % fallback_->block_size != 0)
            throw qframe::Error(fmt::format("row length {} is not a multiple of {}'s block size {}{}", t.row_length(), type_->name, type_->block_size,
                                            fallback_ ? fmt::format(", nor of fallback {}'s {}", fallback_->name, fallback_->block_size)
                                                      : std::string(" (set fallback: to a type that fits, or select other tensors)")));
        return fallback_;
    }

    const qframe::TypeInfo* type_;
    const qframe::TypeInfo* fallback_ = nullptr;
};

void register_stages(qframe::Registry& r) {
    r.add("quant.gguf_type", "store tensors in a real GGUF type, bytes as ggml's reference quantizer writes them",
          {qframe::OptionSpec::string("type", "target type, e.g. Q8_0, Q4_K, Q6_K, F16, BF16", std::nullopt),
           qframe::OptionSpec::string("fallback", "type for tensors whose rows do not fit `type`'s blocks (empty: an error)", "")},
          [](const qframe::Options& o) { return std::make_unique<GgufType>(o); });
}

}  // namespace

QFRAME_PLUGIN("gguf_type", "1.0.0", register_stages)
