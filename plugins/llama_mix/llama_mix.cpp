// quant.mix: llama.cpp's standard mixes (Q4_K_M, Q3_K_M, …) as a stage — each tensor gets the
// type llama-quantize would give it (mix_rules.hpp), with the bytes ggml's quantizer writes
// (weighted when the run has an importance matrix). The options are llama-quantize's
// (`qframe quantize` is this stage made from its command line). The tensors a mix leaves alone
// keep their bytes.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "mix_rules.hpp"
#include "qframe/codec.hpp"
#include "qframe/error.hpp"
#include "qframe/plugin.hpp"

namespace {

using namespace qframe;

std::optional<TensorType> type_option(const Options& o, const std::string& name) {
    const std::string& value = o.get_string(name);
    if (value.empty()) return std::nullopt;
    const TypeInfo* type = find_type(value);
    if (!type) throw Error(fmt::format("{}: '{}' is not a ggml type", name, value));
    return type->type;
}

// "REGEX=TYPE" (llama-quantize's --tensor-type): the pattern lower-cased, as llama.cpp does.
std::pair<qframe::Regex, TensorType> tensor_type_rule(const std::string& rule) {
    const auto eq = rule.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == rule.size())
        throw Error(fmt::format("tensor_types: '{}' is not PATTERN=TYPE (e.g. attn_v=q8_0)", rule));
    std::string pattern = rule.substr(0, eq);
    std::transform(pattern.begin(), pattern.end(), pattern.begin(), [](unsigned char c) { return std::tolower(c); });
    const TypeInfo* type = find_type(std::string_view(rule).substr(eq + 1));
    if (!type) throw Error(fmt::format("tensor_types: '{}' in '{}' is not a ggml type", rule.substr(eq + 1), rule));
    try {
        return {qframe::Regex(pattern), type->type};
    } catch (const Error& e) {
        throw Error(fmt::format("tensor_types: {}", e.what()));
    }
}

llama_mix::MixSettings settings_of(const Options& o) {
    llama_mix::MixSettings s;
    s.pure = o.get_bool("pure");
    s.quantize_output = !o.get_bool("leave_output_tensor");
    s.output_tensor_type = type_option(o, "output_tensor_type");
    s.token_embedding_type = type_option(o, "token_embedding_type");
    for (const auto& rule : o.get_strings("tensor_types")) s.tensor_types.push_back(tensor_type_rule(rule));
    return s;
}

bool is_float_type(uint32_t type_id) {
    return type_id == static_cast<uint32_t>(TensorType::F32) || type_id == static_cast<uint32_t>(TensorType::F16) ||
           type_id == static_cast<uint32_t>(TensorType::BF16);
}

class LlamaMix : public Quantizer {
public:
    explicit LlamaMix(const Options& o)
        : mix_(llama_mix::find_mix(o.get_string("mix"))), settings_(settings_of(o)), allow_requantize_(o.get_bool("allow_requantize")) {
        if (!mix_) throw Error(fmt::format("mix: '{}' is not one of llama.cpp's mixes qframe reproduces ({})", o.get_string("mix"), llama_mix::mix_names()));
    }

    QuantizedTensor quantize(const TensorData& t) const override {
        const auto type = llama_mix::mix_type(*mix_, t, settings_);
        if (!type) return {static_cast<TensorType>(t.type_id), {t.bytes.begin(), t.bytes.end()}, {{"to", t.type_name()}, {"changed", false}}};
        if (!can_encode(*type))
            throw Error(fmt::format("llama.cpp's {} gives this tensor {}, which qframe cannot encode yet", mix_->mix, type_name(*type)));
        if (!is_float_type(t.type_id) && !allow_requantize_)
            throw Error(fmt::format("requantizing from type {} is disabled, as in llama-quantize (allow_requantize: true, or "
                                    "qframe quantize --allow-requantize, re-encodes its decoded values)",
                                    t.type_name()));
        // llama-quantize's "Missing importance matrix for tensor … in a very low-bit quantization".
        if (llama_mix::needs_importance(*mix_, *type, t.name) && t.importance.empty())
            throw Error(fmt::format("{} needs an importance matrix for this tensor's {} (llama-quantize refuses a very low-bit type without one)",
                                    mix_->mix, type_name(*type)));
        return {*type, t.encoded_as(*type), {{"to", std::string(type_name(*type))}, {"changed", true}}};
    }

    std::optional<TensorType> planned_type(const TensorData& t) const override {
        return llama_mix::mix_type(*mix_, t, settings_).value_or(static_cast<TensorType>(t.type_id));
    }

private:
    const llama_mix::MixInfo* mix_;
    llama_mix::MixSettings settings_;
    bool allow_requantize_;
};

void register_stages(Registry& r) {
    r.add("quant.mix", "llama.cpp's standard type mix (llama-quantize's choice per tensor, with its options; architectures llama (with experts), qwen2, qwen2moe, gemma, gemma2, phi3), bytes as ggml writes them",
          {OptionSpec::string("mix", "Q2_K, Q2_K_S, Q3_K_S, Q3_K_M, Q3_K_L, Q4_K_S, Q4_K_M, Q5_K_S, Q5_K_M, Q6_K, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, F16, BF16 or F32", std::nullopt),
           OptionSpec::boolean("pure", "every quantized tensor at the mix's base type, no per-tensor rules (llama-quantize --pure)", false),
           OptionSpec::boolean("leave_output_tensor", "keep output.weight as it is (llama-quantize --leave-output-tensor)", false),
           OptionSpec::string("output_tensor_type", "type of output.weight, and of a tied token_embd unless pure (--output-tensor-type); empty: the mix's", ""),
           OptionSpec::string("token_embedding_type", "type of token_embd.weight (--token-embedding-type); empty: the mix's", ""),
           OptionSpec::string_list("tensor_types", "PATTERN=TYPE rules, first match wins over the mix's rules (--tensor-type)", std::vector<std::string>{}),
           OptionSpec::boolean("allow_requantize", "re-encode tensors that are already quantized (llama-quantize refuses them by default)", false)},
          [](const Options& o) { return std::make_unique<LlamaMix>(o); });
}

}  // namespace

QFRAME_PLUGIN("llama_mix", "1.0.0", register_stages)
