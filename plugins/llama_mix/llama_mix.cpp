// quant.mix: llama.cpp's standard mixes (Q4_K_M, Q3_K_M, …) as a stage — each tensor gets the
// type llama-quantize would give it (mix_rules.hpp), with the bytes ggml's reference quantizer
// writes. The tensors a mix leaves alone keep their bytes.
#include <fmt/format.h>

#include "mix_rules.hpp"
#include "qframe/codec.hpp"
#include "qframe/error.hpp"
#include "qframe/plugin.hpp"

namespace {

using namespace qframe;

class LlamaMix : public Quantizer {
public:
    explicit LlamaMix(const Options& o) : mix_(llama_mix::find_mix(o.get_string("mix"))) {
        if (!mix_) throw Error(fmt::format("mix: '{}' is not one of llama.cpp's mixes qframe reproduces ({})", o.get_string("mix"), llama_mix::mix_names()));
    }

    QuantizedTensor quantize(const TensorData& t) const override {
        const auto type = llama_mix::mix_type(*mix_, t);
        if (!type) return {static_cast<TensorType>(t.type_id), {t.bytes.begin(), t.bytes.end()}, {{"to", t.type_name()}, {"changed", false}}};
        if (!can_encode(*type))
            throw Error(fmt::format("llama.cpp's {} gives this tensor {}, which qframe cannot encode yet", mix_->name, type_name(*type)));
        return {*type, t.encoded_as(*type), {{"to", std::string(type_name(*type))}, {"changed", true}}};
    }

private:
    const llama_mix::MixInfo* mix_;
};

void register_stages(Registry& r) {
    r.add("quant.mix", "llama.cpp's standard type mix (llama-quantize's choice per tensor; architectures llama (with experts), qwen2, qwen2moe, gemma, gemma2, phi3), bytes as ggml writes them",
          {OptionSpec::string("mix", "Q2_K, Q3_K_S, Q3_K_M, Q3_K_L, Q4_K_S, Q4_K_M, Q5_K_S, Q5_K_M, Q6_K, Q8_0, Q4_0, Q4_1, Q5_0 or Q5_1", std::nullopt)},
          [](const Options& o) { return std::make_unique<LlamaMix>(o); });
}

}  // namespace

QFRAME_PLUGIN("llama_mix", "1.0.0", register_stages)
