// llama.cpp's type mixes (llama-quantize's "ftypes": Q2_K … Q8_0, the IQ and TQ mixes, F16, BF16
// and F32): which GGUF type each tensor gets. A transcription of llama_tensor_get_type and the
// tensor filter of llama_model_quantize_impl (src/llama-quant.cpp, llama.cpp c392e50) with
// llama-quantize's options (MixSettings); checked against llama-quantize's own choices in
// tests/cli/data/llama_mixes/ and tests/cli/data/quantize/.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "qframe/file_type.hpp"
#include "qframe/regex.hpp"
#include "qframe/stage.hpp"
#include "qframe/types.hpp"

namespace qframe::llama_mix {

// The mixes are llama.cpp's file types: the values are llama_ftype's, and the row of each
// (qframe/file_type.hpp) gives its name, base type and whether it needs an importance matrix.
enum class Mix : uint32_t {
    F32 = 0, F16 = 1, Q4_0 = 2, Q4_1 = 3, Q8_0 = 7, Q5_0 = 8, Q5_1 = 9, Q2_K = 10, Q3_K_S = 11, Q3_K_M = 12, Q3_K_L = 13,
    Q4_K_S = 14, Q4_K_M = 15, Q5_K_S = 16, Q5_K_M = 17, Q6_K = 18, IQ2_XXS = 19, IQ2_XS = 20, Q2_K_S = 21, IQ3_XS = 22,
    IQ3_XXS = 23, IQ1_S = 24, IQ4_NL = 25, IQ3_S = 26, IQ3_M = 27, IQ2_S = 28, IQ2_M = 29, IQ4_XS = 30, IQ1_M = 31, BF16 = 32,
    TQ1_0 = 36, TQ2_0 = 37,
};
using MixInfo = LlamaFileType;
inline Mix mix_of(const MixInfo& m) { return static_cast<Mix>(m.id); }

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

// llama-quantize's "Missing importance matrix for tensor … in a very low-bit quantization": a
// tensor of `type` under `mix` must have importance (IQ2_XXS, IQ2_XS, IQ2_S, IQ1_S everywhere; IQ1_M
// but for token_embd and output; Q2_K under Q2_K_S but for token_embd).
bool needs_importance(const MixInfo& mix, TensorType type, std::string_view tensor_name);

}  // namespace qframe::llama_mix
