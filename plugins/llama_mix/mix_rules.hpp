// llama.cpp's standard type mixes (llama-quantize's Q2_K … Q8_0, F16, BF16 and F32 "ftypes"):
// which GGUF type each tensor gets. A transcription of llama_tensor_get_type and the tensor
// filter of llama_model_quantize_impl (src/llama-quant.cpp, llama.cpp c392e50) with
// llama-quantize's options (MixSettings), without the IQ mixes; checked against llama-quantize's
// own choices in tests/cli/data/llama_mixes/ and tests/cli/data/quantize/.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "qframe/regex.hpp"
#include "qframe/stage.hpp"
#include "qframe/types.hpp"

namespace qframe::llama_mix {

enum class Mix { Q2_K, Q2_K_S, Q3_K_S, Q3_K_M, Q3_K_L, Q4_K_S, Q4_K_M, Q5_K_S, Q5_K_M, Q6_K, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, F16, BF16, F32 };

struct MixInfo {
    Mix mix;
    const char* name;   // as llama-quantize spells it: "Q4_K_M"
    TensorType base;    // the type most tensors get
    // Q2_K_S: llama-quantize refuses it without an importance matrix (each Q2_K tensor but
    // token_embd must have one).
    bool needs_importance = false;
};

// llama-quantize's options that change the types (llama_model_quantize_params).
struct MixSettings {
    bool pure = false;                               // --pure: every quantized tensor at the base type
    bool quantize_output = true;                     // false: --leave-output-tensor
    std::optional<TensorType> output_tensor_type{};  // --output-tensor-type (and a tied token_embd, unless pure)
    std::optional<TensorType> token_embedding_type{};
    // --tensor-type REGEX=TYPE, in order: the first pattern found in a tensor's name gives its
    // type instead of the mix's rules (current llama.cpp's precedence: token_embd and output
    // options first, then these, then the rules; the row fallbacks after either).
    std::vector<std::pair<qframe::Regex, TensorType>> tensor_types{};
};

// nullptr for a name that is not one of the mixes (llama-quantize's spelling: "Q4_K_M").
const MixInfo* find_mix(std::string_view name);
std::string mix_names();  // "Q2_K, Q3_K_S, …", for messages

// The type llama-quantize gives `tensor` (its name, dims and model) under `mix`; nullopt when
// it leaves the tensor as it is (norms, 1-D tensors, a tensor already of that type, …). Throws
// qframe::Error where llama-quantize refuses (rows that fit no type of the mix), and for an
// architecture whose rules are not transcribed.
std::optional<TensorType> mix_type(const MixInfo& mix, const TensorData& tensor, const MixSettings& settings = {});

}  // namespace qframe::llama_mix
